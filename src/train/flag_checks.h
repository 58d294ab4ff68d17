// Flag validation helpers shared by the workloads' option parsers (lm_options.cc,
// classify_options.cc). No libtorch. Every failure is a one-line autoglm::ConfigError naming the
// flag, which autoglm-train prints and turns into exit status 2.
#pragma once

#include <filesystem>
#include <iostream>
#include <sstream>
#include <string>

#include <CLI/CLI.hpp>

#include "autoglm/error.h"

namespace autoglm::train {

/// Throws ConfigError(message).
[[noreturn]] inline void bad_flag(const std::string& message) { throw ConfigError(message); }

/// A double as a flag value is written back in messages ("0.001", "1e-05").
inline std::string flag_number(double v) {
  std::ostringstream s;
  s << v;
  return s.str();
}

/// Refuses v outside [lo, hi] (NaN included): "<flag> must be in <hint>, got <v>".
inline void check_in_range(const char* flag, double v, double lo, double hi, const char* hint) {
  if (!(v >= lo && v <= hi)) bad_flag(std::string(flag) + " must be in " + hint + ", got " + flag_number(v));
}

/// Parses the command line of workload `name` with `app`. Returns false after printing the help
/// (--help); throws ConfigError with CLI11's message and a pointer to --help on a bad flag.
inline bool parse_flags(CLI::App& app, int argc, char** argv, const char* name) {
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp&) {
    std::cout << app.help();
    return false;
  } catch (const CLI::ParseError& e) {
    bad_flag(std::string(e.what()) + "; see 'autoglm-train " + name + " --help'");
  }
  return true;
}

/// When `--data` was not given and its relative default does not exist from here (a trial may
/// run in another directory), uses the same path under the source tree (AUTOGLM_SOURCE_DIR, set
/// by CMake for autoglm-train) when that exists. Leaves `data` as it is otherwise.
inline void resolve_default_data(const CLI::App& app, std::string& data) {
#ifdef AUTOGLM_SOURCE_DIR
  if (app.count("--data") == 0 && !std::filesystem::exists(data)) {
    const std::filesystem::path fallback = std::filesystem::path(AUTOGLM_SOURCE_DIR) / data;
    if (std::filesystem::exists(fallback)) data = fallback.string();
  }
#else
  (void)app;
  (void)data;
#endif
}

}  // namespace autoglm::train
