// SQLite-specific behaviour: persistence across reopen, file format (WAL, schema version,
// NaN encoding), refusal of foreign / newer files, URL parsing, and several processes writing
// one file at once.

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <fstream>
#include <limits>
#include <chrono>
#include <map>
#include <set>
#include <sstream>
#include <thread>

#include "autoglm/error.h"
#include "autoglm/storage.h"
#include "storage/in_memory_storage.h"
#include "storage/sqlite_storage.h"
#include "storage/storage_internal.h"
#include "storage/storage_test_util.h"

namespace autoglm {
namespace {

using testing_util::expect_same_trial;
using testing_util::TempDir;
using json = nlohmann::json;

const std::vector<StudyDirection> kMin{StudyDirection::MINIMIZE};

using testing_util::contains;
using testing_util::message_of;
using testing_util::RawDb;
using testing_util::read_file;
using testing_util::run_in_children;

TEST(SQLiteStorage, ReopenSeesEverything) {
  TempDir dir;
  const std::string url = "sqlite:///" + dir.file("persist.db");
  std::vector<FrozenTrial> before;
  int64_t study_id;
  {
    auto s = open_storage(url);
    EXPECT_EQ(s->url(), url);
    study_id = s->create_new_study("persist", {StudyDirection::MINIMIZE, StudyDirection::MAXIMIZE});
    s->set_study_user_attr(study_id, "owner", "ünï");
    s->set_study_system_attr(study_id, "cfg", json{{"a", {1, 2}}});
    for (int i = 0; i < 5; ++i) {
      const int64_t t = s->create_new_trial(study_id);
      s->set_trial_param(t, "lr", 1e-3 * (i + 1), FloatDistribution{1e-4, 1e-1, true, std::nullopt});
      s->set_trial_param(t, "opt", i % 2, CategoricalDistribution{{std::string("adam"), std::string("sgd")}});
      s->set_trial_intermediate_value(t, 0, i == 2 ? std::numeric_limits<double>::quiet_NaN() : i);
      s->set_trial_user_attr(t, "i", i);
      if (i < 4) s->set_trial_state_values(t, TrialState::COMPLETE, {1.0 * i, -1.0 * i});
    }
    FrozenTrial w;
    w.state = TrialState::WAITING;
    s->create_new_trial(study_id, w);
    before = s->get_all_trials(study_id);
  }
  auto s = open_storage(url);
  EXPECT_EQ(s->get_study_id_from_name("persist"), study_id);
  EXPECT_EQ(s->get_study_directions(study_id).size(), 2u);
  EXPECT_EQ(s->get_study_user_attrs(study_id).at("owner"), "ünï");
  EXPECT_EQ(s->get_study_system_attrs(study_id).at("cfg"), (json{{"a", {1, 2}}}));
  auto after = s->get_all_trials(study_id);
  ASSERT_EQ(after.size(), before.size());
  for (size_t i = 0; i < after.size(); ++i) expect_same_trial(after[i], before[i]);
  // And it goes on numbering where it stopped.
  EXPECT_EQ(s->get_trial(s->create_new_trial(study_id)).number, 6);
}

TEST(SQLiteStorage, FileFormat) {
  TempDir dir;
  const std::string path = dir.file("format.db");
  {
    SQLiteStorage s(path);
    const int64_t id = s.create_new_study("f", kMin);
    const int64_t t = s.create_new_trial(id);
    s.set_trial_intermediate_value(t, 0, std::numeric_limits<double>::quiet_NaN());
    s.set_trial_intermediate_value(t, 1, -std::numeric_limits<double>::infinity());
    s.set_trial_intermediate_value(t, 2, 0.5);

    RawDb raw(path);
    EXPECT_EQ(raw.scalar("PRAGMA journal_mode"), "wal");
    EXPECT_EQ(raw.scalar("SELECT version FROM autoglm_schema"), std::to_string(SQLiteStorage::kSchemaVersion));
    EXPECT_EQ(raw.scalar("SELECT version FROM autoglm_schema"), "3");
    EXPECT_EQ(raw.scalar("SELECT COUNT(*) FROM autoglm_schema"), "1");
    EXPECT_EQ(raw.scalar("SELECT value_type FROM trial_intermediate_values WHERE step = 0"), "3");
    EXPECT_EQ(raw.scalar("SELECT value_type FROM trial_intermediate_values WHERE step = 1"), "2");
    EXPECT_EQ(raw.scalar("SELECT value FROM trial_intermediate_values WHERE step = 2"), "0.5");
    EXPECT_EQ(raw.scalar("SELECT state FROM trials"), "RUNNING");
    EXPECT_NE(raw.scalar("SELECT datetime_start_us FROM trials"), "");
    EXPECT_EQ(raw.scalar("SELECT COUNT(*) FROM trials WHERE heartbeat_us IS NULL AND finish_seq IS NULL"), "1");
    s.record_heartbeat(t);
    s.set_trial_state_values(t, TrialState::PRUNED);
    EXPECT_NE(raw.scalar("SELECT heartbeat_us FROM trials"), "");
    EXPECT_EQ(raw.scalar("SELECT finish_seq FROM trials"), "1");
    EXPECT_EQ(raw.scalar("SELECT COUNT(*) FROM sqlite_master WHERE type = 'index' AND name = 'trials_study_finish'"), "1");
  }
  // Reopening an existing file does not add a second version row.
  SQLiteStorage again(path);
  EXPECT_EQ(RawDb(path).scalar("SELECT COUNT(*) FROM autoglm_schema"), "1");
}

TEST(SQLiteStorage, NewerSchemaRefused) {
  TempDir dir;
  const std::string path = dir.file("newer.db");
  { SQLiteStorage s(path); }
  RawDb(path).exec("UPDATE autoglm_schema SET version = 99");
  const std::string bytes = read_file(path);
  const std::string msg = message_of<StorageError>([&] { SQLiteStorage s(path); });
  EXPECT_TRUE(contains(msg, "newer Open-AutoGLM (schema 99 > 3); upgrade autoglm")) << msg;
  EXPECT_TRUE(contains(msg, path)) << msg;
  EXPECT_TRUE(contains(message_of<StorageError>([&] { open_storage("sqlite:///" + path); }), "schema 99 > 3"));
  EXPECT_EQ(read_file(path), bytes);
  EXPECT_EQ(RawDb(path).scalar("SELECT version FROM autoglm_schema"), "99");
}

TEST(SQLiteStorage, NonDatabaseFileRefusedAndLeftAlone) {
  TempDir dir;
  const std::string path = dir.file("notes.db");
  const std::string content(4096, 'x');
  std::ofstream(path) << content;
  const std::string msg = message_of<StorageError>([&] { SQLiteStorage s(path); });
  EXPECT_TRUE(contains(msg, "not an SQLite database")) << msg;
  EXPECT_TRUE(contains(msg, path)) << msg;
  EXPECT_EQ(read_file(path), content);
}

TEST(SQLiteStorage, UrlQueryOptionsRefusedWithoutCreatingAFile) {
  TempDir dir;
  for (const std::string tail : {"?timeout=30", "#frag"}) {
    const std::string msg = message_of<ConfigError>([&] { open_storage("sqlite:///" + dir.file("q.db") + tail); });
    EXPECT_TRUE(contains(msg, "query options (?...) and fragments (#...) are not supported")) << msg;
    EXPECT_TRUE(contains(msg, "write sqlite:///" + dir.file("q.db"))) << msg;
  }
  EXPECT_TRUE(std::filesystem::is_empty(dir.path()));
}

TEST(SQLiteStorage, ForeignSQLiteDatabaseRefusedAndLeftAlone) {
  TempDir dir;
  const std::string path = dir.file("other.db");
  RawDb(path).exec("CREATE TABLE invoices (id INTEGER PRIMARY KEY, total REAL); INSERT INTO invoices VALUES (1, 9.5)");
  const std::string bytes = read_file(path);
  const std::string msg = message_of<StorageError>([&] { SQLiteStorage s(path); });
  EXPECT_TRUE(contains(msg, "not an Open-AutoGLM storage")) << msg;
  EXPECT_TRUE(contains(msg, "invoices")) << msg;
  EXPECT_EQ(read_file(path), bytes);
  EXPECT_EQ(RawDb(path).scalar("PRAGMA journal_mode"), "delete");
}

TEST(SQLiteStorage, EmptyFileBecomesAStorage) {
  TempDir dir;
  const std::string path = dir.file("empty.db");
  std::ofstream(path).close();
  auto s = open_storage(path);
  EXPECT_EQ(s->url(), "sqlite:///" + path);
  s->create_new_study("x", kMin);
}

TEST(SQLiteStorage, UnreachablePathRefused) {
  TempDir dir;
  const std::string missing_dir = dir.file("no/such/dir");
  std::string msg = message_of<StorageError>([&] { open_storage("sqlite:///" + missing_dir + "/x.db"); });
  EXPECT_TRUE(contains(msg, missing_dir)) << msg;
  EXPECT_TRUE(contains(msg, "does not exist")) << msg;
  msg = message_of<StorageError>([&] { open_storage("sqlite:///" + dir.path()); });
  EXPECT_TRUE(contains(msg, "is a directory")) << msg;
}

TEST(SQLiteStorage, UnwritableDirectoryRefused) {
  if (geteuid() == 0) GTEST_SKIP() << "permission checks do not apply to root";
  TempDir dir;
  const std::string ro = dir.file("ro");
  std::filesystem::create_directory(ro);
  std::filesystem::permissions(ro, std::filesystem::perms::owner_read | std::filesystem::perms::owner_exec);
  const std::string msg = message_of<StorageError>([&] { open_storage("sqlite:///" + ro + "/x.db"); });
  EXPECT_TRUE(contains(msg, ro)) << msg;
  std::filesystem::permissions(ro, std::filesystem::perms::owner_all);
}

TEST(StorageUrl, Forms) {
  EXPECT_EQ(sqlite_path_from_url("sqlite:///rel/a.db"), "rel/a.db");
  EXPECT_EQ(sqlite_path_from_url("sqlite:////abs/a.db"), "/abs/a.db");
  EXPECT_EQ(sqlite_path_from_url("results/study.db"), "results/study.db");
  EXPECT_EQ(sqlite_path_from_url("/abs/study.sqlite3"), "/abs/study.sqlite3");
  EXPECT_EQ(sqlite_path_from_url(""), std::nullopt);
  EXPECT_EQ(sqlite_path_from_url(":memory:"), std::nullopt);
  EXPECT_EQ(sqlite_path_from_url("sqlite://a.db"), std::nullopt);
  EXPECT_EQ(sqlite_path_from_url("sqlite:///"), std::nullopt);
  EXPECT_EQ(sqlite_path_from_url("postgresql://u@h/db"), std::nullopt);
  EXPECT_EQ(sqlite_path_from_url("notes.txt"), std::nullopt);

  EXPECT_EQ(open_storage("")->url(), ":memory:");
  EXPECT_EQ(open_storage(":memory:")->url(), ":memory:");
  EXPECT_NE(dynamic_cast<InMemoryStorage*>(open_storage("").get()), nullptr);
  EXPECT_NE(dynamic_cast<SQLiteStorage*>(open_storage("sqlite:///:memory:").get()), nullptr);

  TempDir dir;
  auto plain = open_storage(dir.file("plain.db"));
  EXPECT_EQ(plain->url(), "sqlite:///" + dir.file("plain.db"));
  EXPECT_TRUE(std::filesystem::exists(dir.file("plain.db")));
}

TEST(StorageUrl, UnsupportedFormsRefusedWithMessage) {
  // SQLAlchemy's driver suffix (as in Optuna URLs) is refused with the form to write instead.
  std::string msg = message_of<ConfigError>([] { open_storage("postgresql+psycopg2://alice:s3cret@db.example/hpo"); });
  EXPECT_TRUE(contains(msg, "drop the driver suffix '+psycopg2'")) << msg;
  EXPECT_TRUE(contains(msg, "postgresql+psycopg2://alice:***@db.example/hpo")) << msg;
  EXPECT_FALSE(contains(msg, "s3cret")) << msg;
  EXPECT_TRUE(contains(msg, "sqlite:///")) << msg;

  msg = message_of<ConfigError>([] { open_storage("mysql://u@h/db"); });
  EXPECT_TRUE(contains(msg, "mysql://u@h/db")) << msg;
  EXPECT_TRUE(contains(msg, "unsupported scheme 'mysql'")) << msg;
  EXPECT_TRUE(contains(msg, ":memory:")) << msg;

  msg = message_of<ConfigError>([] { open_storage("sqlite://study.db"); });
  EXPECT_TRUE(contains(msg, "sqlite:///study.db")) << msg;
  msg = message_of<ConfigError>([] { open_storage("sqlite:///"); });
  EXPECT_TRUE(contains(msg, "no file path")) << msg;
  msg = message_of<ConfigError>([] { open_storage("sqlte:///x.db"); });
  EXPECT_TRUE(contains(msg, "sqlte")) << msg;
  msg = message_of<ConfigError>([] { open_storage("study.txt"); });
  EXPECT_TRUE(contains(msg, "'study.txt'")) << msg;
  EXPECT_TRUE(contains(msg, ".db")) << msg;
  for (const std::string& m : {msg}) EXPECT_EQ(m.find('\n'), std::string::npos);
}

TEST(StorageUrl, PasswordsAreRedactedWhole) {
  using storage_internal::redact_url;
  struct Case {
    std::string url, shown;
    std::vector<std::string> secrets;
  };
  const std::vector<Case> cases = {
      {"postgresql://alice:s3cret@db.example/hpo", "postgresql://alice:***@db.example/hpo", {"s3cret"}},
      // Unencoded '/' and '@' in the password: everything up to the last '@' is hidden.
      {"postgresql://user:se/cret@localhost/db", "postgresql://user:***@localhost/db", {"se/cret", "cret"}},
      {"postgresql://user:p@ss@localhost/db", "postgresql://user:***@localhost/db", {"p@ss", "ss@"}},
      {"postgresql://user:a/b@c:d@localhost:5432/db", "postgresql://user:***@localhost:5432/db", {"a/b", "c:d"}},
      {"postgresql+psycopg2://u:pw?x#y@h/db", "postgresql+psycopg2://u:***@h/db", {"pw", "x#y"}},
      {"mysql://root:toor@h/db", "mysql://root:***@h/db", {"toor"}},
      {"user:hunter2@host/db", "user:***@host/db", {"hunter2"}},  // scheme forgotten
      {"postgresql://h/db?user=u&password=pa55&sslmode=require", "postgresql://h/db?user=u&password=***&sslmode=require",
       {"pa55"}},
      {"host=h PASSWORD=pa55 dbname=x", "host=h PASSWORD=*** dbname=x", {"pa55"}},
      // Nothing to hide.
      {"postgresql://alice@db.example:5432/hpo", "postgresql://alice@db.example:5432/hpo", {}},
      {"postgresql://db.example:5432/hpo", "postgresql://db.example:5432/hpo", {}},
      {"sqlite:///a:b@c.db", "sqlite:///a:b@c.db", {}},
      {"mysql://u@h/db", "mysql://u@h/db", {}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.url);
    const std::string shown = redact_url(c.url);
    EXPECT_EQ(shown, c.shown);
    for (const std::string& secret : c.secrets) EXPECT_FALSE(contains(shown, secret)) << shown;
    if (c.secrets.empty()) continue;  // (and opening "sqlite:///a:b@c.db" would create it)
    // The messages open_storage throws never carry them.
    std::string msg;
    try {
      open_storage(c.url);
    } catch (const std::exception& e) {
      msg = e.what();
    }
    for (const std::string& secret : c.secrets) EXPECT_FALSE(contains(msg, secret)) << msg;
  }
  std::string msg = message_of<ConfigError>([] { open_storage("postgresql://user:se/cret@localhost/db"); });
  EXPECT_TRUE(contains(msg, "postgresql://user:***@localhost/db")) << msg;
  EXPECT_FALSE(contains(msg, "cret")) << msg;
  msg = message_of<ConfigError>([] { open_storage("postgresql://user:p@ss@localhost/db"); });
  EXPECT_TRUE(contains(msg, "postgresql://user:***@localhost/db")) << msg;
  EXPECT_FALSE(contains(msg, "ss@")) << msg;
  EXPECT_FALSE(contains(msg, "p@")) << msg;
}

TEST(SQLiteStorage, WriterWaitsOutALongLockAndWritesOnce) {
  // Another connection holds the write lock longer than SQLite's busy timeout (1 s): the write
  // must back off, retry and land exactly once; readers are not blocked meanwhile (WAL).
  TempDir dir;
  const std::string path = dir.file("locked.db");
  SQLiteStorage s(path);
  const int64_t id = s.create_new_study("locked", kMin);
  s.create_new_trial(id);

  RawDb holder(path);
  holder.exec("BEGIN IMMEDIATE");
  std::thread release([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(1300));
    holder.exec("COMMIT");
  });
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(s.get_all_trials(id).size(), 1u);  // a read while the lock is held
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(500));
  const int64_t t = s.create_new_trial(id);
  const auto waited = std::chrono::steady_clock::now() - t0;
  release.join();
  EXPECT_GE(waited, std::chrono::milliseconds(1200));
  EXPECT_EQ(s.get_trial(t).number, 1);
  EXPECT_EQ(s.get_n_trials(id), 2);
}

TEST(SQLiteStorage, SeveralProcessesCreateTrialsConcurrently) {
  TempDir dir;
  const std::string url = "sqlite:///" + dir.file("shared.db");
  int64_t study_id;
  { study_id = open_storage(url)->create_new_study("shared", kMin); }
  constexpr int kWorkers = 4, kTrialsEach = 50;
  auto codes = run_in_children(kWorkers, [&](int worker) {
    auto s = open_storage(url);
    for (int i = 0; i < kTrialsEach; ++i) {
      const int64_t t = s->create_new_trial(study_id);
      s->set_trial_param(t, "x", i, IntDistribution{0, 100});
      s->set_trial_param(t, "w", worker, CategoricalDistribution{{int64_t{0}, int64_t{1}, int64_t{2}, int64_t{3}}});
      for (int step = 0; step < 3; ++step) s->set_trial_intermediate_value(t, step, worker * 1000 + i + 0.5 * step);
      s->set_trial_user_attr(t, "worker", worker);
      s->set_trial_state_values(t, TrialState::COMPLETE, {static_cast<double>(worker * 1000 + i)});
    }
    return 0;
  });
  for (int c : codes) EXPECT_EQ(c, 0);

  auto s = open_storage(url);
  auto trials = s->get_all_trials(study_id);
  ASSERT_EQ(trials.size(), static_cast<size_t>(kWorkers * kTrialsEach));
  std::set<std::pair<int, int>> seen;  // (worker, i)
  for (size_t n = 0; n < trials.size(); ++n) {
    const FrozenTrial& t = trials[n];
    EXPECT_EQ(t.number, static_cast<int>(n));  // distinct and contiguous
    ASSERT_EQ(t.state, TrialState::COMPLETE);
    const int worker = t.user_attrs.at("worker").get<int>();
    const int i = static_cast<int>(t.params.at("x"));
    EXPECT_EQ(t.params.at("w"), worker);
    EXPECT_EQ(t.values, std::vector<double>{static_cast<double>(worker * 1000 + i)});
    ASSERT_EQ(t.intermediate_values.size(), 3u);
    EXPECT_EQ(t.intermediate_values.at(2), worker * 1000 + i + 1.0);
    EXPECT_TRUE(seen.insert({worker, i}).second) << "duplicated write of worker " << worker << " trial " << i;
  }
  EXPECT_EQ(seen.size(), static_cast<size_t>(kWorkers * kTrialsEach));
}

TEST(SQLiteStorage, SeveralProcessesOpenAFreshFileAtOnce) {
  TempDir dir;
  const std::string path = dir.file("fresh.db");
  auto codes = run_in_children(4, [&](int worker) {
    auto s = open_storage(path);
    const int64_t id = s->create_new_study("study-" + std::to_string(worker), kMin);
    s->create_new_trial(id);
    return 0;
  });
  for (int c : codes) EXPECT_EQ(c, 0);
  auto s = open_storage(path);
  EXPECT_EQ(s->get_all_studies().size(), 4u);
  EXPECT_EQ(RawDb(path).scalar("SELECT COUNT(*) FROM autoglm_schema"), "1");
}

TEST(SQLiteStorage, SeveralProcessesPopWaitingTrials) {
  TempDir dir;
  const std::string url = "sqlite:///" + dir.file("queue.db");
  constexpr int kWaiting = 80;
  int64_t study_id;
  {
    auto s = open_storage(url);
    study_id = s->create_new_study("queue", kMin);
    FrozenTrial w;
    w.state = TrialState::WAITING;
    for (int i = 0; i < kWaiting; ++i) s->create_new_trial(study_id, w);
  }
  auto codes = run_in_children(4, [&](int worker) {
    auto s = open_storage(url);
    while (auto t = s->pop_waiting_trial(study_id)) {
      s->set_trial_system_attr(*t, "worker", worker);
      s->set_trial_state_values(*t, TrialState::COMPLETE, {1.0});
    }
    return 0;
  });
  for (int c : codes) EXPECT_EQ(c, 0);
  auto s = open_storage(url);
  auto trials = s->get_all_trials(study_id);
  ASSERT_EQ(trials.size(), static_cast<size_t>(kWaiting));
  for (const auto& t : trials) {
    // A trial handed out twice would have been finished twice: the second finish throws
    // UpdateFinishedTrialError and its worker exits non-zero.
    EXPECT_EQ(t.state, TrialState::COMPLETE);
    EXPECT_TRUE(t.system_attrs.count("worker"));
  }
}

TEST(SQLiteStorage, EightProcessesHammeringOneFileLoseNoWrite) {
  // create / heartbeat / intermediate value / finish from 8 processes at once: every write lands
  // exactly once, numbers and finish sequences stay distinct and contiguous.
  TempDir dir;
  const std::string path = dir.file("hammer.db");
  const std::string url = "sqlite:///" + path;
  int64_t study_id;
  { study_id = open_storage(url)->create_new_study("hammer", kMin); }
  constexpr int kWorkers = 8, kTrialsEach = 30, kHeartbeats = 3;
  const auto t0 = std::chrono::steady_clock::now();
  auto codes = run_in_children(kWorkers, [&](int worker) {
    auto s = open_storage(url);
    for (int i = 0; i < kTrialsEach; ++i) {
      const int64_t t = s->create_new_trial(study_id);
      s->set_trial_param(t, "i", i, IntDistribution{0, 1000});
      s->set_trial_user_attr(t, "worker", worker);
      for (int h = 0; h < kHeartbeats; ++h) {
        if (!s->record_heartbeat(t)) return 5;
        s->set_trial_intermediate_value(t, h, worker + 0.01 * i);
      }
      if (!s->set_trial_state_values(t, i % 5 == 4 ? TrialState::PRUNED : TrialState::COMPLETE, {1.0 * i})) return 6;
      if (s->record_heartbeat(t)) return 7;  // finished: refused
    }
    return 0;
  });
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  for (int c : codes) EXPECT_EQ(c, 0);
  EXPECT_LT(seconds, 10.0);

  constexpr int kTotal = kWorkers * kTrialsEach;
  auto s = open_storage(url);
  const auto trials = s->get_all_trials(study_id);
  ASSERT_EQ(trials.size(), static_cast<size_t>(kTotal));
  std::set<std::pair<int, int>> seen;  // (worker, i)
  for (size_t n = 0; n < trials.size(); ++n) {
    const FrozenTrial& t = trials[n];
    EXPECT_EQ(t.number, static_cast<int>(n));
    EXPECT_TRUE(is_finished(t.state));
    EXPECT_TRUE(t.last_heartbeat);
    EXPECT_EQ(t.intermediate_values.size(), static_cast<size_t>(kHeartbeats));
    EXPECT_TRUE(seen.insert({t.user_attrs.at("worker").get<int>(), static_cast<int>(t.params.at("i"))}).second);
  }
  EXPECT_EQ(seen.size(), static_cast<size_t>(kTotal));
  RawDb raw(path);
  EXPECT_EQ(raw.scalar("SELECT COUNT(DISTINCT finish_seq) FROM trials"), std::to_string(kTotal));
  EXPECT_EQ(raw.scalar("SELECT MIN(finish_seq) || '-' || MAX(finish_seq) FROM trials"), "1-" + std::to_string(kTotal));
  EXPECT_EQ(raw.scalar("SELECT COUNT(*) FROM trial_intermediate_values"), std::to_string(kTotal * kHeartbeats));
  // Finishing order is commit order: each worker's own trials appear in its own order.
  int64_t last = 0;
  auto finished = s->get_finished_trials_after(study_id, 0, kTotal + 10, &last);
  ASSERT_EQ(finished.size(), static_cast<size_t>(kTotal));
  EXPECT_EQ(last, kTotal);
  std::map<int, int> next_i;
  for (const auto& t : finished) {
    const int worker = t.user_attrs.at("worker").get<int>();
    EXPECT_EQ(static_cast<int>(t.params.at("i")), next_i[worker]++) << "worker " << worker;
  }
}

TEST(SQLiteStorage, GetAllTrialsReadsLargeStudiesInPages) {
  // More trials than one page, with a state filter that leaves some pages empty.
  TempDir dir;
  SQLiteStorage s(dir.file("pages.db"));
  const int64_t id = s.create_new_study("pages", kMin);
  const int n = SQLiteStorage::kTrialsPerPage * 2 + 17;
  FrozenTrial done;
  done.state = TrialState::COMPLETE;
  done.values = {1.0};
  for (int i = 0; i < n; ++i) {
    done.values[0] = i;
    s.create_new_trial(id, done);
  }
  s.set_trial_intermediate_value(s.create_new_trial(id), 3, 0.5);  // number n, RUNNING
  const auto all = s.get_all_trials(id);
  ASSERT_EQ(all.size(), static_cast<size_t>(n + 1));
  for (int i = 0; i < n; ++i) {
    ASSERT_EQ(all[i].number, i);
    ASSERT_EQ(all[i].values, std::vector<double>{static_cast<double>(i)});
  }
  EXPECT_EQ(all[n].intermediate_values.at(3), 0.5);
  const auto running = s.get_all_trials(id, std::vector<TrialState>{TrialState::RUNNING});
  ASSERT_EQ(running.size(), 1u);
  EXPECT_EQ(running[0].number, n);
  EXPECT_EQ(s.get_all_trials(id, std::vector<TrialState>{TrialState::COMPLETE}).size(), static_cast<size_t>(n));
}

}  // namespace
}  // namespace autoglm
