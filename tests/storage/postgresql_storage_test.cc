// PostgreSQLStorage: the conformance suite on a fresh database per test, plus what only a server
// has: schema migrations, refusals, unreachable / restarting servers, logins.
// The server is the shared test cluster (tests/common/pg_server.h) or $AUTOGLM_TEST_PG_URL.

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#include <pqxx/pqxx>

#include "autoglm/error.h"
#include "autoglm/storage.h"
#include "common/pg_server.h"
#include "storage/postgresql_storage.h"
#include "storage/storage_conformance.h"
#include "storage/storage_internal.h"
#include "storage/storage_test_util.h"

namespace autoglm {
namespace {

using testing_util::Backend;
using testing_util::contains;
using testing_util::fresh_postgres_database;
using testing_util::message_of;
using testing_util::postgres_url;
using testing_util::read_file;
using testing_util::StorageConformance;
using testing_util::TempDir;

const std::vector<StudyDirection> kMin{StudyDirection::MINIMIZE};

// One database per test; the TempDir remembers its URL so that `open` and `url` (used by the
// multi-process tests) reach the same one. The database is dropped with the last handle.
std::string test_database_url(const TempDir& dir) {
  const std::string file = dir.file("postgresql.url");
  if (std::ifstream in(file); in) {
    std::string url;
    std::getline(in, url);
    if (!url.empty()) return url;
  }
  const std::string url = fresh_postgres_database(postgres_url());
  std::ofstream(file) << url << "\n";
  return url;
}

std::shared_ptr<Storage> open_test_database(const TempDir& dir) {
  const std::string url = test_database_url(dir);
  return std::shared_ptr<Storage>(new PostgreSQLStorage(url), [url](Storage* s) {
    delete s;
    testing_util::drop_postgres_database(url);
  });
}

INSTANTIATE_TEST_SUITE_P(PostgreSQL, StorageConformance,
                         ::testing::Values(Backend{"PostgreSQL", open_test_database, test_database_url}),
                         [](const ::testing::TestParamInfo<Backend>& info) { return info.param.name; });

// ---------------------------------------------------------------- helpers

/// A database of its own for one test, dropped at the end.
struct ScratchDatabase {
  ScratchDatabase() : url(fresh_postgres_database(postgres_url())) {}
  ~ScratchDatabase() { testing_util::drop_postgres_database(url); }
  void exec(const std::string& sql) const {
    pqxx::connection c(url);
    pqxx::nontransaction w(c);
    w.exec(sql);
  }
  std::string scalar(const std::string& sql) const {
    pqxx::connection c(url);
    pqxx::nontransaction w(c);
    auto r = w.exec(sql);
    return r.empty() || r[0][0].is_null() ? "NULL" : r[0][0].c_str();
  }
  std::string url;
};

/// A TCP port on 127.0.0.1 that nothing listens on (bound, then released).
int closed_port() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  return ntohs(addr.sin_port);
}

std::string with_password(const std::string& url, const std::string& password) {
  const auto scheme_end = url.find("://") + 3;
  const auto colon = url.find(':', scheme_end);
  const auto at = url.rfind('@');
  return url.substr(0, colon + 1) + password + url.substr(at);
}

// ---------------------------------------------------------------- migrations and refusals

TEST(PostgreSQLStorage, UpgradesVersion1DatabaseKeepingEveryRow) {
  ScratchDatabase db;
  db.exec(read_file(std::string(AUTOGLM_SOURCE_DIR) + "/tests/storage/data/postgresql_schema_v1.sql"));
  ASSERT_EQ(db.scalar("SELECT version FROM autoglm_schema"), "1");

  {
    PostgreSQLStorage s(db.url);
    EXPECT_EQ(db.scalar("SELECT version FROM autoglm_schema"), "3");
    EXPECT_EQ(db.scalar("SELECT COUNT(*) FROM autoglm_schema"), "1");
    const int64_t id = s.get_study_id_from_name("legacy");
    EXPECT_EQ(s.get_study_directions(id), kMin);
    EXPECT_EQ(s.get_study_user_attrs(id).at("owner"), "ada");
    EXPECT_EQ(s.get_study_system_attrs(id).at("config")["n_trials"], 3);

    const auto trials = s.get_all_trials(id);
    ASSERT_EQ(trials.size(), 3u);
    EXPECT_EQ(trials[0].state, TrialState::COMPLETE);
    EXPECT_EQ(trials[0].values, std::vector<double>{0.25});
    EXPECT_EQ(trials[0].params.at("lr"), 0.001);
    EXPECT_EQ(trials[0].params.at("layers"), 3);
    EXPECT_EQ(trials[0].intermediate_values.size(), 3u);
    EXPECT_EQ(trials[0].intermediate_values.at(1), 0.5);
    EXPECT_TRUE(std::isnan(trials[0].intermediate_values.at(2)));
    EXPECT_EQ(trials[0].user_attrs.at("note"), "best so far");
    EXPECT_EQ(trials[0].system_attrs.at("constraints"), nlohmann::json::parse("[-1.0]"));
    EXPECT_EQ(trials[0].datetime_start, storage_internal::from_unix_us(1700000001000000));
    EXPECT_EQ(trials[0].datetime_complete, storage_internal::from_unix_us(1700000009000000));
    EXPECT_FALSE(trials[0].last_heartbeat);
    EXPECT_EQ(trials[1].state, TrialState::FAIL);
    EXPECT_EQ(trials[1].system_attrs.at("fail_reason"), "out of memory");
    EXPECT_EQ(trials[1].intermediate_values.at(0), std::numeric_limits<double>::infinity());
    EXPECT_EQ(trials[2].state, TrialState::RUNNING);
    EXPECT_EQ(trials[2].intermediate_values.at(5), -std::numeric_limits<double>::infinity());
    EXPECT_EQ(trials[2].user_attrs.at("gpu"), 1);
    EXPECT_EQ(std::get<FloatDistribution>(trials[2].distributions.at("lr")).log, true);

    // Back-filled finish sequence: the FAIL (finished first) is 1, the COMPLETE 2.
    EXPECT_EQ(db.scalar("SELECT string_agg(number || ':' || COALESCE(finish_seq::text, '-'), ',' ORDER BY number) "
                        "FROM trials"),
              "0:2,1:1,2:-");
    int64_t last = 0;
    const auto finished = s.get_finished_trials_after(id, 0, 10, &last);
    ASSERT_EQ(finished.size(), 2u);
    EXPECT_EQ(finished[0].number, 1);
    EXPECT_EQ(finished[1].number, 0);
    EXPECT_EQ(last, 2);

    // The upgraded database works as a new one: heartbeats, new trials, finishing.
    EXPECT_TRUE(s.record_heartbeat(trials[2].trial_id));
    const int64_t t3 = s.create_new_trial(id);
    EXPECT_EQ(s.get_trial(t3).number, 3);
    s.set_trial_state_values(trials[2].trial_id, TrialState::COMPLETE, {0.5});
    EXPECT_EQ(s.get_finished_trials_after(id, 2, 10, &last).at(0).number, 2);
    EXPECT_EQ(last, 3);
  }
  // Opening again changes nothing.
  PostgreSQLStorage again(db.url);
  EXPECT_EQ(db.scalar("SELECT version FROM autoglm_schema"), "3");
  EXPECT_EQ(again.get_n_trials(again.get_study_id_from_name("legacy")), 4);
}

TEST(PostgreSQLStorage, ConcurrentOpenersMigrateOnce) {
  ScratchDatabase db;
  db.exec(read_file(std::string(AUTOGLM_SOURCE_DIR) + "/tests/storage/data/postgresql_schema_v1.sql"));
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int k = 0; k < 4; ++k) {
    threads.emplace_back([&] {
      try {
        PostgreSQLStorage s(db.url);
      } catch (const std::exception& e) {
        ADD_FAILURE() << e.what();
        ++failures;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures, 0);
  EXPECT_EQ(db.scalar("SELECT version FROM autoglm_schema"), "3");
  EXPECT_EQ(db.scalar("SELECT COUNT(*) FROM trials WHERE finish_seq IS NOT NULL"), "2");
}

TEST(PostgreSQLStorage, NewerSchemaRefused) {
  ScratchDatabase db;
  { PostgreSQLStorage s(db.url); }
  db.exec("UPDATE autoglm_schema SET version = 4");
  const std::string msg = message_of<StorageError>([&] { PostgreSQLStorage s(db.url); });
  EXPECT_TRUE(contains(msg, "newer Open-AutoGLM (schema 4 > 3); upgrade autoglm")) << msg;
  EXPECT_EQ(db.scalar("SELECT version FROM autoglm_schema"), "4");
}

TEST(PostgreSQLStorage, ForeignDatabaseRefusedUntouched) {
  ScratchDatabase db;
  db.exec("CREATE TABLE invoices (id INTEGER PRIMARY KEY, total NUMERIC)");
  const std::string msg = message_of<StorageError>([&] { open_storage(db.url); });
  EXPECT_TRUE(contains(msg, "not an Open-AutoGLM database")) << msg;
  EXPECT_TRUE(contains(msg, "invoices")) << msg;
  EXPECT_EQ(db.scalar("SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = 'public'"), "1");
}

TEST(PostgreSQLStorage, ReadOnlyOpenNeedsSchemaAndRefusesWrites) {
  ScratchDatabase db;
  EXPECT_TRUE(contains(message_of<StorageError>([&] { open_storage(db.url, StorageOpenOptions{true}); }),
                       "not an Open-AutoGLM database"));
  EXPECT_EQ(db.scalar("SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = 'public'"), "0");
  { open_storage(db.url)->create_new_study("s", kMin); }
  auto ro = open_storage(db.url, StorageOpenOptions{true});
  EXPECT_EQ(ro->get_all_studies().size(), 1u);
  EXPECT_TRUE(contains(message_of<StorageError>([&] { ro->create_new_study("t", kMin); }), "read-only"));
}

// ---------------------------------------------------------------- URLs, logins, unreachable servers

TEST(PostgreSQLStorage, OpenStorageDispatchesAndRedactsTheUrl) {
  ScratchDatabase db;
  auto s = open_storage(db.url);
  ASSERT_NE(dynamic_cast<PostgreSQLStorage*>(s.get()), nullptr);
  EXPECT_EQ(s->url(), storage_internal::redact_url(db.url));
  EXPECT_TRUE(contains(s->url(), ":***@")) << s->url();
  // postgres:// and libpq query options work too.
  const std::string alias = "postgres://" + db.url.substr(db.url.find("://") + 3) + "?sslmode=disable";
  auto t = open_storage(alias);
  const int64_t created = t->create_new_study("via-alias", kMin);
  EXPECT_EQ(created, s->get_study_id_from_name("via-alias"));
}

TEST(PostgreSQLStorage, UnreachableServerIsOneLineWithoutPassword) {
  const std::string url = "postgresql://autoglm:s3cr3t@127.0.0.1:" + std::to_string(closed_port()) + "/hpo";
  PostgreSQLStorage::Options options;
  options.open_retry_seconds = 1;
  const auto start = std::chrono::steady_clock::now();
  const std::string msg = message_of<StorageError>([&] { PostgreSQLStorage s(url, {}, options); });
  const double waited = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_GE(waited, 0.9);
  EXPECT_LT(waited, 8);
  EXPECT_TRUE(contains(msg, "cannot reach " + storage_internal::redact_url(url))) << msg;
  EXPECT_TRUE(contains(msg, "check that the server is running and reachable")) << msg;
  EXPECT_FALSE(contains(msg, "s3cr3t")) << msg;
  EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
}

TEST(PostgreSQLStorage, UnreachableServerThroughOpenStorageRetriesAboutTenSeconds) {
  const std::string url = "postgresql://autoglm:s3cr3t@127.0.0.1:" + std::to_string(closed_port()) + "/hpo";
  const auto start = std::chrono::steady_clock::now();
  const std::string msg = message_of<StorageError>([&] { open_storage(url); });
  const double waited = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_GE(waited, 9);
  EXPECT_LT(waited, 20);
  EXPECT_TRUE(contains(msg, "for 10 s")) << msg;
  EXPECT_FALSE(contains(msg, "s3cr3t")) << msg;
  EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
}

TEST(PostgreSQLStorage, WrongPasswordIsAClearImmediateError) {
  const std::string url = with_password(postgres_url(), "wr0ngPassw0rd");
  const auto start = std::chrono::steady_clock::now();
  const std::string msg = message_of<StorageError>([&] { open_storage(url); });
  EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(), 5);
  EXPECT_TRUE(contains(msg, "password authentication failed")) << msg;
  EXPECT_TRUE(contains(msg, "check the user name and password")) << msg;
  EXPECT_TRUE(contains(msg, ":***@")) << msg;
  EXPECT_FALSE(contains(msg, "wr0ngPassw0rd")) << msg;
  EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
}

TEST(PostgreSQLStorage, MissingDatabaseAndMalformedUrls) {
  std::string msg = message_of<StorageError>([] { open_storage(testing_util::with_database(postgres_url(), "no_such_db")); });
  EXPECT_TRUE(contains(msg, "does not exist")) << msg;
  EXPECT_TRUE(contains(msg, "createdb")) << msg;
  // Unencoded '@' / '/' in the password: refused before connecting, password never shown.
  msg = message_of<ConfigError>([] { open_storage("postgresql://u:p@ss@127.0.0.1:1/db"); });
  EXPECT_TRUE(contains(msg, "percent-encode")) << msg;
  EXPECT_FALSE(contains(msg, "p@ss")) << msg;
  EXPECT_FALSE(contains(msg, "ss@")) << msg;
  msg = message_of<ConfigError>([] { open_storage("postgresql://u:se/cret@127.0.0.1:1/db"); });
  EXPECT_FALSE(contains(msg, "cret")) << msg;
  // A bad libpq option is a URL mistake, not an outage; a percent-encoded password stays hidden.
  msg = message_of<ConfigError>([] { open_storage("postgresql://u:s%33cr%33t@127.0.0.1:1/db?frobnicate=1"); });
  EXPECT_TRUE(contains(msg, "frobnicate")) << msg;
  EXPECT_FALSE(contains(msg, "s3cr3t")) << msg;
  EXPECT_FALSE(contains(msg, "s%33cr%33t")) << msg;
}

// ---------------------------------------------------------------- server restarts

/// A private cluster in a temporary directory, stopped at the end.
struct PrivateCluster {
  PrivateCluster() {
    chmod(dir.path().c_str(), 0755);  // the server may run as user postgres
    url = testing_util::test_pg("start", dir.file("pg"));
  }
  ~PrivateCluster() {
    try {
      testing_util::test_pg("stop", dir.file("pg"));
    } catch (const std::exception&) {
    }
  }
  void restart() { testing_util::test_pg("restart", dir.file("pg")); }
  TempDir dir;
  std::string url;
};

TEST(PostgreSQLStorage, WritesLandExactlyOnceAcrossServerRestarts) {
  PrivateCluster cluster;
  auto s = open_storage(cluster.url);
  const int64_t id = s->create_new_study("restarts", kMin);
  std::atomic<bool> stop{false};
  std::atomic<int> done{0};
  std::atomic<bool> writer_failed{false};
  std::string writer_error;  // read after join
  std::vector<int64_t> created;
  std::thread writer([&] {
    try {
      for (int i = 0; !stop || i < 20; ++i) {
        const int64_t t = s->create_new_trial(id);
        created.push_back(t);
        s->set_trial_user_attr(t, "i", i);
        s->set_trial_intermediate_value(t, 0, i);
        ASSERT_TRUE(s->record_heartbeat(t));
        ASSERT_TRUE(s->set_trial_state_values(t, TrialState::COMPLETE, {1.0 * i}));
        ++done;
      }
    } catch (const std::exception& e) {
      writer_error = e.what();
      writer_failed = true;
    }
  });
  for (int k = 0; k < 3; ++k) {
    while (done < 20 * (k + 1) && !writer_failed) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    cluster.restart();
  }
  stop = true;
  writer.join();
  ASSERT_EQ(writer_error, "");

  const auto trials = s->get_all_trials(id);
  ASSERT_EQ(trials.size(), created.size());
  for (size_t n = 0; n < trials.size(); ++n) {
    EXPECT_EQ(trials[n].trial_id, created[n]);
    EXPECT_EQ(trials[n].number, static_cast<int>(n));
    EXPECT_EQ(trials[n].state, TrialState::COMPLETE);
    EXPECT_EQ(trials[n].values, std::vector<double>{1.0 * n});
    EXPECT_EQ(trials[n].user_attrs.at("i"), static_cast<int>(n));
  }
  int64_t last = 0;
  EXPECT_EQ(s->get_finished_trials_after(id, 0, 100000, &last).size(), trials.size());
  EXPECT_EQ(last, static_cast<int64_t>(trials.size()));
}

TEST(PostgreSQLStorage, GivesUpAfterTheReconnectWindow) {
  auto cluster = std::make_unique<PrivateCluster>();
  PostgreSQLStorage::Options options;
  options.reconnect_seconds = 1;
  PostgreSQLStorage s(cluster->url, {}, options);
  const int64_t id = s.create_new_study("gone", kMin);
  testing_util::test_pg("stop", cluster->dir.file("pg"));
  const std::string msg = message_of<StorageError>([&] { s.create_new_trial(id); });
  EXPECT_TRUE(contains(msg, "cannot reach " + s.url())) << msg;
  EXPECT_TRUE(contains(msg, "for 1 s")) << msg;
  EXPECT_FALSE(contains(msg, "\n")) << msg;
  // Back again: the same object reconnects.
  testing_util::test_pg("start", cluster->dir.file("pg"));
  EXPECT_EQ(s.get_trial(s.create_new_trial(id)).number, 0);
}

TEST(PostgreSQLStorage, EveryWriteIsIdempotentWhenTheCommitReplyIsLost) {
  // Each write commits, then its reply is "lost": the storage reconnects and re-runs the write in
  // maybe-committed mode, which must find its own first attempt instead of applying it twice.
  ScratchDatabase db;
  PostgreSQLStorage::Options options;
  options.simulate_lost_commit_replies = true;
  PostgreSQLStorage s(db.url, {}, options);
  const int64_t id = s.create_new_study("doubt", kMin);
  EXPECT_THROW(s.create_new_study("doubt", kMin), DuplicatedStudyError);
  s.set_study_user_attr(id, "k", 1);
  const int64_t t0 = s.create_new_trial(id);
  FloatDistribution d;
  d.low = 0;
  d.high = 1;
  s.set_trial_param(t0, "x", 0.5, d);
  s.set_trial_intermediate_value(t0, 1, 0.7);
  s.set_trial_user_attr(t0, "u", "v");
  s.set_trial_system_attr(t0, "s", 2);
  EXPECT_TRUE(s.record_heartbeat(t0));
  EXPECT_TRUE(s.set_trial_state_values(t0, TrialState::COMPLETE, {0.25}));
  EXPECT_THROW(s.set_trial_state_values(t0, TrialState::FAIL), UpdateFinishedTrialError);
  FrozenTrial waiting;
  waiting.state = TrialState::WAITING;
  const int64_t t1 = s.create_new_trial(id, waiting);
  EXPECT_EQ(s.pop_waiting_trial(id), t1);
  EXPECT_EQ(s.pop_waiting_trial(id), std::nullopt);
  auto failed = s.fail_running_trial(t1, "lost", 1);
  ASSERT_TRUE(failed);
  ASSERT_TRUE(failed->retry_number);
  EXPECT_EQ(*failed->retry_number, 2);
  EXPECT_EQ(s.fail_running_trial(t1, "lost", 1), std::nullopt);
  const int64_t t2 = s.get_trial_id_from_study_id_trial_number(id, 2);
  EXPECT_TRUE(s.set_trial_state_values(t2, TrialState::RUNNING));
  EXPECT_FALSE(s.set_trial_state_values(t2, TrialState::RUNNING));

  const auto trials = s.get_all_trials(id);
  ASSERT_EQ(trials.size(), 3u);
  EXPECT_EQ(trials[0].values, std::vector<double>{0.25});
  EXPECT_EQ(trials[0].intermediate_values.size(), 1u);
  EXPECT_EQ(trials[1].state, TrialState::FAIL);
  EXPECT_EQ(trials[1].system_attrs.at("fail_reason"), "lost");
  EXPECT_EQ(trials[2].state, TrialState::RUNNING);
  int64_t last = 0;
  EXPECT_EQ(s.get_finished_trials_after(id, 0, 10, &last).size(), 2u);
  EXPECT_EQ(last, 2);
  s.delete_study(id);
  EXPECT_TRUE(s.get_all_studies().empty());
}

// ---------------------------------------------------------------- paging

TEST(PostgreSQLStorage, ReadsLargeStudiesInPages) {
  ScratchDatabase db;
  PostgreSQLStorage s(db.url);
  const int64_t id = s.create_new_study("big", kMin);
  // 2,500 finished trials written in one statement (faster than 2,500 transactions).
  db.exec(
      "INSERT INTO trials (study_id, number, state, datetime_start_us, datetime_complete_us, finish_seq) "
      "SELECT " + std::to_string(id) + ", n, 'COMPLETE', 1, 2, n + 1 FROM generate_series(0, 2499) n;"
      "INSERT INTO trial_values (trial_id, objective, value, value_type) "
      "SELECT trial_id, 0, number * 0.5, 0 FROM trials;");
  const auto all = s.get_all_trials(id);
  ASSERT_EQ(all.size(), 2500u);
  for (size_t n = 0; n < all.size(); ++n) {
    ASSERT_EQ(all[n].number, static_cast<int>(n));
    ASSERT_EQ(all[n].values, std::vector<double>{0.5 * n});
  }
  int64_t last = 0;
  EXPECT_EQ(s.get_finished_trials_after(id, 0, 2400, &last).size(), 2400u);
  EXPECT_EQ(last, 2400);
  EXPECT_EQ(s.get_finished_trials_after(id, last, 1000, &last).size(), 100u);
  EXPECT_EQ(last, 2500);
  EXPECT_EQ(s.get_n_trials(id, std::vector<TrialState>{TrialState::COMPLETE}), 2500);
}

// Storage::lock_study: an advisory lock that serializes workers of one study across processes
// (here two connections); other studies are not blocked, and closing the holder frees it.
TEST(PostgreSQLStorage, StudyLockSerializesSessionsAndIsReleased) {
  ScratchDatabase db;
  const std::string& url = db.url;
  auto a = open_storage(url);
  auto b = open_storage(url);
  const int64_t s1 = a->create_new_study("one", {StudyDirection::MINIMIZE});
  const int64_t s2 = a->create_new_study("two", {StudyDirection::MINIMIZE});
  auto held = a->lock_study(s1);
  ASSERT_NE(held, nullptr);
  EXPECT_NE(b->lock_study(s2), nullptr);  // another study: not blocked
  std::atomic<bool> got{false};
  std::thread waiter([&] {
    auto mine = b->lock_study(s1);
    got = mine != nullptr;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_FALSE(got.load());  // still waiting for a's lock
  held.reset();
  waiter.join();
  EXPECT_TRUE(got.load());
  // The waiter's guard was released when it went out of scope: a takes it again at once.
  EXPECT_NE(a->lock_study(s1), nullptr);
}

}  // namespace
}  // namespace autoglm
