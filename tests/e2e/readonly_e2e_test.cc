// End-to-end tests of the read-only verbs (`autoglm studies`, `trials`, `best`): they never write.
// An empty file given as --storage is refused in one line and stays 0 bytes; reading a database
// leaves its directory byte for byte as it was; and, when the suite runs as root with setpriv
// available, uid 65534 reads a chmod 444 database in a chmod 555 directory.
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "e2e/e2e_util.h"

#include "autoglm/storage.h"

namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using json = nlohmann::json;

using autoglm_e2e::kAutoglm;
using autoglm_e2e::read_file;
using autoglm_e2e::Result;

// Every file of a directory with its bytes.
std::map<std::string, std::string> snapshot(const fs::path& dir) {
  std::map<std::string, std::string> out;
  for (const auto& e : fs::directory_iterator(dir)) out[e.path().filename().string()] = read_file(e.path());
  return out;
}

// The setpriv executable, or "" when it is not installed.
std::string find_setpriv() {
  for (const char* p : {"/usr/bin/setpriv", "/bin/setpriv", "/usr/sbin/setpriv", "/sbin/setpriv"})
    if (::access(p, X_OK) == 0) return p;
  return "";
}

class ReadOnlyE2E : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/autoglm-ro-e2e-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    fs::permissions(dir_, fs::perms(0755));  // other users may enter (the setpriv test)
    fs::create_directory(dir_ / "out");
  }
  void TearDown() override {
    std::error_code ec;
    for (const auto& e : fs::recursive_directory_iterator(dir_, ec)) {
      fs::permissions(e.path(), e.is_directory() ? fs::perms(0755) : fs::perms(0644), ec);
    }
    if (!HasFailure()) fs::remove_all(dir_, ec);
    else std::cerr << "kept " << dir_ << " for inspection\n";
  }

  // Runs `prefix... autoglm args...` in dir_ with stdout/stderr captured under dir_/out.
  Result run(const std::vector<std::string>& args, const std::vector<std::string>& prefix = {}) {
    std::vector<std::string> full = prefix;
    full.push_back(kAutoglm);
    full.insert(full.end(), args.begin(), args.end());
    const fs::path out = dir_ / "out" / "stdout", err = dir_ / "out" / "stderr";
    return autoglm_e2e::finish_spawn(autoglm_e2e::spawn_in(dir_, full, out, err), out, err);
  }

  // A database with study "quad": trials 0 and 1 COMPLETE (values 4.0 and 1.0), trial 2 FAIL.
  void make_database(const fs::path& path) {
    auto s = autoglm::open_storage("sqlite:///" + path.string());
    const int64_t study = s->create_new_study("quad", {autoglm::StudyDirection::MINIMIZE});
    for (double v : {4.0, 1.0}) {
      const int64_t t = s->create_new_trial(study);
      s->set_trial_param(t, "x", v, autoglm::FloatDistribution{0.0, 10.0});
      s->set_trial_state_values(t, autoglm::TrialState::COMPLETE, {v});
    }
    s->set_trial_state_values(s->create_new_trial(study), autoglm::TrialState::FAIL);
  }

  // studies / trials / best on `url` succeed and show the database's content.
  void expect_reads(const std::string& url, const std::vector<std::string>& prefix = {}) {
    Result studies = run({"studies", "--storage", url}, prefix);
    EXPECT_EQ(studies.code, 0) << studies.err;
    EXPECT_THAT(studies.out, HasSubstr("quad"));
    Result trials = run({"trials", "--study", "quad", "--storage", url, "--format", "json"}, prefix);
    ASSERT_EQ(trials.code, 0) << trials.err;
    EXPECT_EQ(json::parse(trials.out).size(), 3u);
    Result best = run({"best", "--study", "quad", "--storage", url, "--format", "json"}, prefix);
    ASSERT_EQ(best.code, 0) << best.err;
    EXPECT_EQ(json::parse(best.out)["value"], 1.0);
  }

  fs::path dir_;
};

TEST_F(ReadOnlyE2E, EmptyFileIsRefusedInOneLineAndStaysZeroBytes) {
  std::ofstream(dir_ / "empty.db").close();
  const std::vector<std::vector<std::string>> commands = {
      {"studies", "--storage", "empty.db"},
      {"studies", "--storage", "sqlite:///empty.db", "--format", "json"},
      {"trials", "--study", "quad", "--storage", "empty.db"},
      {"best", "--study", "quad", "--storage", "empty.db"},
  };
  for (const auto& args : commands) {
    SCOPED_TRACE("autoglm " + ::testing::PrintToString(args));
    Result r = run(args);
    EXPECT_EQ(r.code, 2) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    EXPECT_THAT(r.err, HasSubstr("autoglm: error: "));
    EXPECT_THAT(r.err, HasSubstr("'empty.db' is not an Open-AutoGLM database"));
    EXPECT_THAT(r.err, HasSubstr("--storage"));
    EXPECT_TRUE(r.out.empty()) << r.out;
    EXPECT_EQ(fs::file_size(dir_ / "empty.db"), 0u);
    std::vector<std::string> names;
    for (const auto& e : fs::directory_iterator(dir_)) names.push_back(e.path().filename().string());
    std::sort(names.begin(), names.end());
    EXPECT_EQ(names, (std::vector<std::string>{"empty.db", "out"})) << "no journal, -wal or -shm file";
  }
}

TEST_F(ReadOnlyE2E, ReadingLeavesTheDatabaseDirectoryUnchanged) {
  fs::create_directory(dir_ / "db");
  make_database(dir_ / "db" / "study.db");
  const auto before = snapshot(dir_ / "db");
  ASSERT_EQ(before.size(), 1u);
  expect_reads("sqlite:///db/study.db");
  EXPECT_EQ(snapshot(dir_ / "db"), before) << "a read-only verb wrote to the database or left -wal/-shm files";
}

TEST_F(ReadOnlyE2E, AnotherUserReadsAChmod444DatabaseInAChmod555Directory) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to run autoglm as uid 65534";
  const std::string setpriv = find_setpriv();
  if (setpriv.empty()) GTEST_SKIP() << "setpriv is not installed";
  fs::create_directory(dir_ / "db");
  make_database(dir_ / "db" / "study.db");
  fs::permissions(dir_ / "db" / "study.db", fs::perms(0444));
  fs::permissions(dir_ / "db", fs::perms(0555));
  const auto before = snapshot(dir_ / "db");
  const std::vector<std::string> nobody = {setpriv, "--reuid=65534", "--regid=65534", "--clear-groups"};
  expect_reads("sqlite:///" + (dir_ / "db" / "study.db").string(), nobody);
  EXPECT_EQ(snapshot(dir_ / "db"), before);
}

}  // namespace
