// Read-only opening (StorageOpenOptions::read_only): reads work, every write throws, and nothing
// on disk changes: no schema is created in an empty file, a missing file is not created, no
// "-wal"/"-shm" files are left behind, and a chmod 444 file in a chmod 555 directory can be read
// by another user (checked as uid 65534 when the test runs as root).

#include <grp.h>
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <sstream>
#include <stdexcept>

#include "autoglm/error.h"
#include "autoglm/storage.h"
#include "storage/sqlite_storage.h"
#include "storage/storage_test_util.h"

namespace autoglm {
namespace {

namespace fs = std::filesystem;
using testing_util::read_file;
using testing_util::TempDir;

const std::vector<StudyDirection> kMin{StudyDirection::MINIMIZE};
constexpr uid_t kNobody = 65534;

StorageOpenOptions read_only() {
  StorageOpenOptions o;
  o.read_only = true;
  return o;
}

// Every file of a directory with its bytes: equal snapshots mean nothing was written.
std::map<std::string, std::string> snapshot(const std::string& dir) {
  std::map<std::string, std::string> out;
  for (const auto& e : fs::directory_iterator(dir)) out[e.path().filename().string()] = read_file(e.path().string());
  return out;
}

using testing_util::contains;
using testing_util::message_of;

// A study "ro" with one COMPLETE trial (value 0.25, param x) and one WAITING trial; returns the
// COMPLETE trial's id. The storage is closed on return, so its "-wal" file is gone.
int64_t make_database(const std::string& url) {
  auto s = open_storage(url);
  const int64_t study = s->create_new_study("ro", kMin);
  s->set_study_user_attr(study, "owner", "qa");
  const int64_t t = s->create_new_trial(study);
  s->set_trial_param(t, "x", 0.5, FloatDistribution{0.0, 1.0});
  s->set_trial_intermediate_value(t, 1, 0.75);
  s->set_trial_user_attr(t, "note", "first");
  s->set_trial_state_values(t, TrialState::COMPLETE, {0.25});
  FrozenTrial w;
  w.state = TrialState::WAITING;
  s->create_new_trial(study, w);
  return t;
}

// Runs `body` in a child process (as uid/gid 65534 without supplementary groups when this
// process is root) and returns its exit status; the child prints what went wrong on stderr.
int run_as_other_user(const std::function<int()>& body) {
  std::cout.flush();
  std::cerr.flush();
  const pid_t pid = fork();
  if (pid == 0) {
    int code = 0;
    try {
      if (geteuid() == 0 && (setgroups(0, nullptr) != 0 || setgid(kNobody) != 0 || setuid(kNobody) != 0)) {
        std::cerr << "cannot switch to uid " << kNobody << "\n";
        _exit(98);
      }
      code = body();
    } catch (const std::exception& e) {
      std::cerr << "child: " << e.what() << "\n";
      code = 99;
    }
    std::cerr.flush();
    _exit(code);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// A writer in a child process (this process keeps no connection across fork, as SQLite requires)
// that creates study "busy" with one COMPLETE trial (value 2.0) in `path`. With `crash` it exits
// without closing, as a killed writer does, leaving "-wal" and "-shm" behind; without, it keeps
// the database open until finish().
class ChildWriter {
 public:
  ChildWriter(const std::string& path, bool crash) {
    int ready[2], release[2];
    if (pipe(ready) != 0 || pipe(release) != 0) throw std::runtime_error("pipe failed");
    std::cout.flush();
    std::cerr.flush();
    pid_ = fork();
    if (pid_ == 0) {
      close(ready[0]);
      close(release[1]);
      try {
        auto s = open_storage("sqlite:///" + path);
        const int64_t t = s->create_new_trial(s->create_new_study("busy", kMin));
        s->set_trial_state_values(t, TrialState::COMPLETE, {2.0});
        if (crash) _exit(0);
        char c = 1;
        if (write(ready[1], &c, 1) != 1) _exit(2);
        while (read(release[0], &c, 1) > 0) {
        }
      } catch (const std::exception& e) {
        std::cerr << "writer: " << e.what() << "\n";
        _exit(1);
      }
      _exit(0);
    }
    close(ready[1]);
    close(release[0]);
    release_ = release[1];
    char c = 0;
    if (!crash && read(ready[0], &c, 1) != 1) ok_ = false;
    close(ready[0]);
    if (crash) ok_ = finish() == 0;
  }
  ~ChildWriter() { finish(); }
  bool ok() const { return ok_; }
  /// Lets the writer close the database and exit; returns its exit status.
  int finish() {
    if (pid_ <= 0) return status_;
    close(release_);
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = -1;
    status_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return status_;
  }

 private:
  pid_t pid_ = -1;
  int release_ = -1;
  int status_ = -1;
  bool ok_ = true;
};

// Makes `dir` 0555 and its files 0444 for the scope; restores owner write on exit.
class ReadOnlyDir {
 public:
  explicit ReadOnlyDir(std::string dir) : dir_(std::move(dir)) {
    for (const auto& e : fs::directory_iterator(dir_)) fs::permissions(e.path(), fs::perms(0444));
    fs::permissions(dir_, fs::perms(0555));
  }
  ~ReadOnlyDir() {
    std::error_code ec;
    fs::permissions(dir_, fs::perms(0755), ec);
    for (const auto& e : fs::directory_iterator(dir_, ec)) fs::permissions(e.path(), fs::perms(0644), ec);
  }

 private:
  std::string dir_;
};

// A TempDir other users can enter (mkdtemp makes it 0700), with a subdirectory `db`.
struct SharedTempDir {
  SharedTempDir() {
    fs::permissions(root.path(), fs::perms(0755));
    fs::create_directory(db_dir());
  }
  std::string db_dir() const { return root.file("db"); }
  std::string db_file(const std::string& name) const { return db_dir() + "/" + name; }
  TempDir root;
};

TEST(ReadOnlyStorage, ReadsWorkWritesThrowAndNothingChanges) {
  TempDir dir;
  const std::string path = dir.file("study.db");
  const std::string url = "sqlite:///" + path;
  const int64_t done_id = make_database(url);
  const auto before = snapshot(dir.path());
  ASSERT_EQ(before.size(), 1u) << "a closed writer leaves only the database file";

  {
    auto s = open_storage(url, read_only());
    EXPECT_EQ(s->url(), url);
    const int64_t study = s->get_study_id_from_name("ro");
    EXPECT_EQ(s->get_study_name_from_id(study), "ro");
    EXPECT_EQ(s->get_study_directions(study), kMin);
    EXPECT_EQ(s->get_study_user_attrs(study).at("owner"), "qa");
    EXPECT_TRUE(s->get_study_system_attrs(study).empty());
    auto studies = s->get_all_studies();
    ASSERT_EQ(studies.size(), 1u);
    ASSERT_TRUE(studies[0].best_trial.has_value());
    EXPECT_EQ(studies[0].best_trial->values, std::vector<double>{0.25});
    auto trials = s->get_all_trials(study);
    ASSERT_EQ(trials.size(), 2u);
    EXPECT_EQ(trials[0].params.at("x"), 0.5);
    EXPECT_EQ(trials[0].intermediate_values.at(1), 0.75);
    EXPECT_EQ(trials[1].state, TrialState::WAITING);
    EXPECT_EQ(s->get_trial(done_id).user_attrs.at("note"), "first");
    EXPECT_EQ(s->get_trial_id_from_study_id_trial_number(study, 0), done_id);
    EXPECT_EQ(s->get_n_trials(study, std::vector<TrialState>{TrialState::COMPLETE}), 1);
    EXPECT_THROW(s->get_study_id_from_name("nope"), NotFoundError);

    const int64_t waiting_id = trials[1].trial_id;
    const std::vector<std::pair<std::string, std::function<void()>>> writes = {
        {"create_new_study", [&] { s->create_new_study("new", kMin); }},
        {"delete_study", [&] { s->delete_study(study); }},
        {"set_study_user_attr", [&] { s->set_study_user_attr(study, "k", 1); }},
        {"set_study_system_attr", [&] { s->set_study_system_attr(study, "k", 1); }},
        {"create_new_trial", [&] { s->create_new_trial(study); }},
        {"set_trial_param", [&] { s->set_trial_param(waiting_id, "x", 0.1, FloatDistribution{0.0, 1.0}); }},
        {"set_trial_state_values", [&] { s->set_trial_state_values(waiting_id, TrialState::FAIL); }},
        {"set_trial_intermediate_value", [&] { s->set_trial_intermediate_value(waiting_id, 1, 1.0); }},
        {"set_trial_user_attr", [&] { s->set_trial_user_attr(waiting_id, "k", 1); }},
        {"set_trial_system_attr", [&] { s->set_trial_system_attr(waiting_id, "k", 1); }},
        {"pop_waiting_trial", [&] { s->pop_waiting_trial(study); }},
    };
    for (const auto& [name, write] : writes) {
      SCOPED_TRACE(name);
      const std::string msg = message_of<StorageError>(write);
      EXPECT_TRUE(contains(msg, "opened read-only")) << msg;
      EXPECT_TRUE(contains(msg, url)) << msg;
    }
    EXPECT_EQ(s->get_all_trials(study).size(), 2u);
    EXPECT_EQ(snapshot(dir.path()), before) << "no -wal/-shm files while reading";
  }
  EXPECT_EQ(snapshot(dir.path()), before) << "the read-only storage wrote something";
}

TEST(ReadOnlyStorage, PathsWithUriCharactersAreReadAsIs) {
  TempDir dir;
  for (const std::string name : {"we?ird#50%.db", "a b%20c.db", "file:x.db"}) {
    SCOPED_TRACE(name);
    const std::string path = dir.file(name);
    make_database(path);
    const auto before = snapshot(dir.path());
    auto s = open_storage(path, read_only());
    EXPECT_EQ(s->get_all_studies().size(), 1u);
    EXPECT_EQ(snapshot(dir.path()), before);
  }
}

TEST(ReadOnlyStorage, SeesTheCommitsOfAWriterAtWork) {
  TempDir dir;
  const std::string url = "sqlite:///" + dir.file("live.db");
  auto writer = open_storage(url);  // stays open: its "-wal" file holds commits not yet in the main file
  const int64_t study = writer->create_new_study("live", kMin);
  auto reader = open_storage(url, read_only());
  EXPECT_EQ(reader->get_study_id_from_name("live"), study);
  const int64_t t = writer->create_new_trial(study);
  writer->set_trial_state_values(t, TrialState::COMPLETE, {1.5});
  auto trials = reader->get_all_trials(study);
  ASSERT_EQ(trials.size(), 1u);
  EXPECT_EQ(trials[0].values, std::vector<double>{1.5});
}

// A long-lived reader (the dashboard) opened while no writer is at work (no "-wal" file) still
// sees every later commit with follow_writes.
TEST(ReadOnlyStorage, FollowWritesSeesCommitsMadeAfterOpening) {
  TempDir dir;
  const std::string url = "sqlite:///" + dir.file("later.db");
  make_database(url);
  ASSERT_FALSE(fs::exists(dir.file("later.db-wal")));
  StorageOpenOptions follow = read_only();
  follow.follow_writes = true;
  auto follower = open_storage(url, follow);
  const int64_t study = follower->get_study_id_from_name("ro");
  ASSERT_EQ(follower->get_all_trials(study).size(), 2u);
  {
    auto writer = open_storage(url);
    writer->create_new_trial(study);
    writer->create_new_study("added later", kMin);
  }
  EXPECT_EQ(follower->get_all_trials(study).size(), 3u);
  EXPECT_EQ(follower->get_all_studies().size(), 2u);
  EXPECT_THROW(follower->create_new_study("nope", kMin), StorageError) << "still read-only";
}

TEST(ReadOnlyStorage, EmptyFileRefusedAndLeftAloneByteForByte) {
  TempDir dir;
  const std::string path = dir.file("empty.db");
  std::ofstream(path).close();
  const std::string msg = message_of<StorageError>([&] { open_storage("sqlite:///" + path, read_only()); });
  EXPECT_TRUE(contains(msg, "'" + path + "' is not an Open-AutoGLM database (no studies table)")) << msg;
  EXPECT_TRUE(contains(msg, "check the --storage path")) << msg;
  EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
  EXPECT_EQ(fs::file_size(path), 0u);
  EXPECT_EQ(snapshot(dir.path()).size(), 1u) << "no journal or -wal/-shm file";
  // A plain path ending in .db goes the same way.
  EXPECT_TRUE(contains(message_of<StorageError>([&] { open_storage(path, read_only()); }), "no studies table"));
  EXPECT_EQ(fs::file_size(path), 0u);
}

TEST(ReadOnlyStorage, MissingFileRefusedAndNotCreated) {
  TempDir dir;
  const std::string path = dir.file("typo.db");
  const std::string msg = message_of<StorageError>([&] { open_storage("sqlite:///" + path, read_only()); });
  EXPECT_TRUE(contains(msg, path)) << msg;
  EXPECT_TRUE(contains(msg, "does not exist")) << msg;
  EXPECT_FALSE(fs::exists(path));
  EXPECT_TRUE(snapshot(dir.path()).empty());
  const std::string missing_dir = message_of<StorageError>(
      [&] { open_storage("sqlite:///" + dir.file("no/such/dir/x.db"), read_only()); });
  EXPECT_TRUE(contains(missing_dir, "does not exist")) << missing_dir;
  EXPECT_FALSE(fs::exists(dir.file("no")));
  EXPECT_TRUE(contains(message_of<StorageError>([&] { open_storage("sqlite:///" + dir.path(), read_only()); }),
                       "is a directory"));
}

TEST(ReadOnlyStorage, ForeignNewerAndNonDatabaseFilesRefusedAndLeftAlone) {
  TempDir dir;
  const std::string foreign = dir.file("other.db");
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(foreign.c_str(), &db), SQLITE_OK);
    sqlite3_exec(db, "CREATE TABLE invoices (id INTEGER PRIMARY KEY)", nullptr, nullptr, nullptr);
    sqlite3_close(db);
  }
  const std::string newer = dir.file("newer.db");
  make_database(newer);
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(newer.c_str(), &db), SQLITE_OK);
    sqlite3_exec(db, "UPDATE autoglm_schema SET version = 99", nullptr, nullptr, nullptr);
    sqlite3_close(db);
  }
  const std::string text = dir.file("notes.db");
  std::ofstream(text) << std::string(4096, 'x');
  const auto before = snapshot(dir.path());

  std::string msg = message_of<StorageError>([&] { open_storage(foreign, read_only()); });
  EXPECT_TRUE(contains(msg, "not an Open-AutoGLM storage")) << msg;
  EXPECT_TRUE(contains(msg, "invoices")) << msg;
  msg = message_of<StorageError>([&] { open_storage(newer, read_only()); });
  EXPECT_TRUE(contains(msg, "schema 99 > 3")) << msg;
  msg = message_of<StorageError>([&] { open_storage(text, read_only()); });
  EXPECT_TRUE(contains(msg, "not an SQLite database")) << msg;
  EXPECT_EQ(snapshot(dir.path()), before);
}

TEST(ReadOnlyStorage, InMemoryUrlsRefused) {
  for (const std::string url : {"", ":memory:"}) {
    const std::string msg = message_of<ConfigError>([&] { open_storage(url, read_only()); });
    EXPECT_TRUE(contains(msg, "in-memory")) << msg;
    EXPECT_TRUE(contains(msg, "sqlite:///")) << msg;
  }
  EXPECT_THROW(SQLiteStorage(":memory:", read_only()), StorageError);
  // The one-argument form and empty options keep opening for writing.
  EXPECT_NO_THROW(open_storage(":memory:")->create_new_study("w", kMin));
  EXPECT_NO_THROW(open_storage(":memory:", StorageOpenOptions{})->create_new_study("w", kMin));
}

TEST(ReadOnlyStorage, AnotherUserReadsAChmod444FileInAChmod555Directory) {
  SharedTempDir tmp;
  const std::string path = tmp.db_file("shared.db");
  make_database("sqlite:///" + path);
  const auto before = snapshot(tmp.db_dir());
  ReadOnlyDir lock(tmp.db_dir());
  const int code = run_as_other_user([&] {
    auto s = open_storage("sqlite:///" + path, read_only());
    const int64_t study = s->get_study_id_from_name("ro");
    if (s->get_all_trials(study).size() != 2) return 2;
    if (s->get_all_studies().size() != 1) return 3;
    try {
      s->create_new_study("new", kMin);
      return 4;
    } catch (const StorageError&) {
    }
    return 0;
  });
  EXPECT_EQ(code, 0);
  EXPECT_EQ(snapshot(tmp.db_dir()), before);
  // Opening it for writing is refused with the permission hint, not a crash.
  if (geteuid() != 0) {
    EXPECT_TRUE(contains(message_of<StorageError>([&] { open_storage(path); }), "read-only"));
  }
}

TEST(ReadOnlyStorage, AnotherUserReadsTheWalOfAWriterAtWork) {
  SharedTempDir tmp;
  const std::string path = tmp.db_file("busy.db");
  ChildWriter writer(path, /*crash=*/false);  // keeps "-wal" and "-shm" in place
  ASSERT_TRUE(writer.ok());
  ASSERT_TRUE(fs::exists(path + "-wal"));
  {
    ReadOnlyDir lock(tmp.db_dir());
    const int code = run_as_other_user([&] {
      auto s = open_storage("sqlite:///" + path, read_only());
      auto trials = s->get_all_trials(s->get_study_id_from_name("busy"));
      return trials.size() == 1 && trials[0].values == std::vector<double>{2.0} ? 0 : 2;
    });
    EXPECT_EQ(code, 0) << "the reader must see commits that are only in the -wal file";
  }
  EXPECT_EQ(writer.finish(), 0);
}

TEST(ReadOnlyStorage, AfterAKilledWriterTheWalIsRead) {
  SharedTempDir tmp;
  const std::string path = tmp.db_file("killed.db");
  ChildWriter writer(path, /*crash=*/true);
  ASSERT_TRUE(writer.ok());
  ASSERT_TRUE(fs::exists(path + "-wal"));
  ReadOnlyDir lock(tmp.db_dir());
  const int code = run_as_other_user([&] {
    auto s = open_storage("sqlite:///" + path, read_only());
    return s->get_all_trials(s->get_study_id_from_name("busy")).size() == 1 ? 0 : 2;
  });
  EXPECT_EQ(code, 0);
}

TEST(ReadOnlyStorage, WalWithoutShmInAReadOnlyDirectoryIsAClearError) {
  SharedTempDir tmp;
  const std::string path = tmp.db_file("crashed.db");
  ChildWriter writer(path, /*crash=*/true);
  ASSERT_TRUE(writer.ok());
  ASSERT_TRUE(fs::exists(path + "-wal"));
  fs::remove(path + "-shm");
  const auto before = snapshot(tmp.db_dir());
  ReadOnlyDir lock(tmp.db_dir());
  const int read = run_as_other_user([&] {
    try {
      open_storage("sqlite:///" + path, read_only())->get_all_studies();
      return 2;
    } catch (const StorageError& e) {
      const std::string msg = e.what();
      if (contains(msg, path + "-shm") && contains(msg, "writable directory")) return 0;
      std::cerr << "unexpected message: " << msg << "\n";
      return 3;
    }
  });
  EXPECT_EQ(read, 0);
  EXPECT_EQ(snapshot(tmp.db_dir()), before);
}

}  // namespace
}  // namespace autoglm
