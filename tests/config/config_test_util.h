// Parsing helpers shared by the config test files.
#pragma once

#include <string>

#include <gtest/gtest.h>

#include "autoglm/config.h"
#include "autoglm/error.h"

namespace autoglm::test {

/// Parses `yaml` as a config file named cfg.yaml.
inline StudyConfig parse(const std::string& yaml) { return parse_study_config(yaml, "cfg.yaml"); }

/// The ConfigError message of parsing `yaml`; fails the test when it parses or when the message
/// has more than one line.
inline std::string error_of(const std::string& yaml) {
  try {
    parse(yaml);
  } catch (const ConfigError& e) {
    std::string msg = e.what();
    EXPECT_EQ(msg.find('\n'), std::string::npos) << "error messages are one line: " << msg;
    return msg;
  }
  ADD_FAILURE() << "expected a ConfigError for:\n" << yaml;
  return "";
}

}  // namespace autoglm::test
