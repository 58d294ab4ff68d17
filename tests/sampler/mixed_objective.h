// A mixed search space used by several sampler tests: log float, stepped int, log int, stepped
// float, a categorical and a single-valued int. Minimum 0 at a = 1e-2, b = 6, c = 10, d = 0,
// e = "y".
#pragma once

#include <cmath>
#include <string>
#include <vector>

#include "autoglm/trial.h"

namespace autoglm::test {

inline double mixed_objective(Trial& t) {
  const double a = t.suggest_float("a", 1e-4, 1.0, true);
  const auto b = t.suggest_int("b", 0, 10, 2);
  const auto c = t.suggest_int("c", 1, 1000, 1, true);
  const double d = t.suggest_float("d", -1.0, 1.0, false, 0.25);
  const auto e = t.suggest_categorical("e", std::vector<std::string>{"x", "y", "z"});
  t.suggest_int("fixed", 3, 3);
  return std::pow(std::log10(a) + 2.0, 2) + std::pow(b - 6.0, 2) + std::pow(std::log10(static_cast<double>(c)) - 1.0, 2) +
         d * d + (e == "y" ? 0.0 : 0.5);
}

}  // namespace autoglm::test
