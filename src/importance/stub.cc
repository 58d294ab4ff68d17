// Placeholder until the evaluators land.
#include "autoglm/importance.h"
#include "autoglm/error.h"
namespace autoglm {
ImportanceResult evaluate_importance(const std::vector<FrozenTrial>&, const std::vector<StudyDirection>&,
                                     const ImportanceOptions&) {
  throw Error("importance: not implemented yet");
}
}  // namespace autoglm
