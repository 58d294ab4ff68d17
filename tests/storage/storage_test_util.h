// Helpers for the storage tests: a fresh temporary directory per test and a NaN-aware
// FrozenTrial comparison.
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "autoglm/frozen_trial.h"

namespace autoglm::testing_util {

/// A new empty directory under the system temp dir, removed with everything in it on destruction.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "autoglm-storage-XXXXXX").string();
    std::vector<char> buf(tmpl.begin(), tmpl.end());
    buf.push_back('\0');
    if (!mkdtemp(buf.data())) throw std::runtime_error("mkdtemp failed");
    path_ = buf.data();
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

/// Equal doubles, treating NaN == NaN (and distinguishing +inf / -inf).
inline bool same_double(double a, double b) { return (std::isnan(a) && std::isnan(b)) || a == b; }

inline void expect_same_values(const std::vector<double>& a, const std::vector<double>& b, const std::string& what) {
  ASSERT_EQ(a.size(), b.size()) << what;
  for (size_t i = 0; i < a.size(); ++i) EXPECT_TRUE(same_double(a[i], b[i])) << what << "[" << i << "]: " << a[i] << " vs " << b[i];
}

/// Every field of two snapshots, NaN-aware.
inline void expect_same_trial(const FrozenTrial& a, const FrozenTrial& b) {
  const std::string what = "trial " + std::to_string(a.number);
  EXPECT_EQ(a.trial_id, b.trial_id) << what;
  EXPECT_EQ(a.number, b.number) << what;
  EXPECT_EQ(a.state, b.state) << what;
  expect_same_values(a.values, b.values, what + " values");
  ASSERT_EQ(a.params.size(), b.params.size()) << what;
  for (const auto& [k, v] : a.params) {
    ASSERT_TRUE(b.params.count(k)) << what << " param " << k;
    EXPECT_TRUE(same_double(v, b.params.at(k))) << what << " param " << k;
  }
  EXPECT_EQ(a.distributions, b.distributions) << what;
  ASSERT_EQ(a.intermediate_values.size(), b.intermediate_values.size()) << what;
  for (const auto& [step, v] : a.intermediate_values) {
    ASSERT_TRUE(b.intermediate_values.count(step)) << what << " step " << step;
    EXPECT_TRUE(same_double(v, b.intermediate_values.at(step))) << what << " step " << step;
  }
  EXPECT_EQ(a.user_attrs, b.user_attrs) << what;
  EXPECT_EQ(a.system_attrs, b.system_attrs) << what;
  EXPECT_EQ(a.datetime_start, b.datetime_start) << what;
  EXPECT_EQ(a.datetime_complete, b.datetime_complete) << what;
}

/// The message of the E thrown by f(); records a test failure (and returns "") when f throws
/// nothing or another type.
template <typename E, typename F>
std::string message_of(F&& f) {
  try {
    f();
  } catch (const E& e) {
    return e.what();
  } catch (const std::exception& e) {
    ADD_FAILURE() << "wrong exception type: " << e.what();
    return "";
  }
  ADD_FAILURE() << "no exception";
  return "";
}

inline bool contains(const std::string& haystack, const std::string& needle) { return haystack.find(needle) != std::string::npos; }

}  // namespace autoglm::testing_util
