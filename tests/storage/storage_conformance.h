// The storage conformance suite's fixture: every Storage implementation registers a Backend
// with INSTANTIATE_TEST_SUITE_P(Name, StorageConformance, ...) and passes every TEST_P of
// storage_conformance_test.cc (and the files that add to it).
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <ostream>
#include <string>

#include "autoglm/storage.h"
#include "storage/storage_test_util.h"

namespace autoglm::testing_util {

/// One back end under test. `open` gives a fresh, empty storage for a test. `url`, when set,
/// gives a URL that other processes can open to reach the same storage as `open` (the
/// multi-process tests are skipped for back ends without one, such as in-memory ones).
struct Backend {
  std::string name;
  std::function<std::shared_ptr<Storage>(const TempDir&)> open;
  std::function<std::string(const TempDir&)> url;
};

inline std::ostream& operator<<(std::ostream& os, const Backend& b) { return os << b.name; }

class StorageConformance : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override { storage_ = GetParam().open(dir_); }

  Storage& s() { return *storage_; }

  int64_t waiting_trial(int64_t study_id) {
    FrozenTrial t;
    t.state = TrialState::WAITING;
    return s().create_new_trial(study_id, t);
  }

  testing_util::TempDir dir_;
  std::shared_ptr<Storage> storage_;
};


}  // namespace autoglm::testing_util
