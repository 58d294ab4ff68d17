// Private helpers for pruner option validation: one message format for the constructors and for
// the make_*_pruner factories ("pruner 'NAME': option 'KEY' PROBLEM; FIX"), the same as
// OptionReader::fail produces.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "autoglm/error.h"

namespace autoglm::pruner_detail {

[[noreturn]] inline void invalid(const std::string& what, const std::string& key, const std::string& problem) {
  throw ConfigError(what + ": option '" + key + "' " + problem);
}

/// Shortest text that reads back as `v` (e.g. "25", "12.5", "-1").
inline std::string str(double v) { return nlohmann::json(v).dump(); }

}  // namespace autoglm::pruner_detail
