// SQLite schema migrations: a database written by the previous release (tests/storage/data/
// schema_v1.db, schema version 1) is upgraded in place by the ordered chain of named rules,
// keeps every trial as it was, gets its finish sequence back-filled, and goes on working; a
// read-only open reads it without writing a byte; newer files are refused.

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "autoglm/error.h"
#include "autoglm/storage.h"
#include "storage/migration.h"
#include "storage/sqlite_storage.h"
#include "storage/storage_test_util.h"

#ifndef AUTOGLM_SOURCE_DIR
#error "tests need AUTOGLM_SOURCE_DIR to find tests/storage/data"
#endif

namespace autoglm {
namespace {

namespace fs = std::filesystem;
using testing_util::contains;
using testing_util::expect_same_trial;
using testing_util::message_of;
using testing_util::RawDb;
using testing_util::read_file;
using testing_util::run_in_children;
using testing_util::TempDir;

const std::string kFixture = std::string(AUTOGLM_SOURCE_DIR) + "/tests/storage/data/schema_v1.db";

// A private copy of the v1 fixture in `dir`.
std::string copy_fixture(const TempDir& dir) {
  const std::string path = dir.file("v1.db");
  fs::copy_file(kFixture, path);
  return path;
}

int64_t fixture_study(Storage& s) { return s.get_study_id_from_name("v1-fixture"); }

// What the README says schema_v1.db holds.
void expect_fixture_trials(const std::vector<FrozenTrial>& trials) {
  ASSERT_EQ(trials.size(), 6u);
  for (int i = 0; i < 6; ++i) {
    const FrozenTrial& t = trials[i];
    SCOPED_TRACE("trial " + std::to_string(i));
    EXPECT_EQ(t.number, i);
    EXPECT_EQ(t.state, TrialState::COMPLETE);
    ASSERT_EQ(t.params.size(), 3u);
    ASSERT_EQ(t.values.size(), 1u);
    EXPECT_EQ(t.values[0], t.params.at("x"));  // the objective returned x
    EXPECT_GE(t.params.at("x"), -5.0);
    EXPECT_LE(t.params.at("x"), 5.0);
    EXPECT_EQ(t.distributions.at("x"), Distribution(FloatDistribution{-5.0, 5.0, false, std::nullopt}));
    EXPECT_EQ(t.distributions.at("n"), Distribution(IntDistribution{1, 4, false, 1}));
    EXPECT_EQ(t.distributions.at("opt"), Distribution(CategoricalDistribution{{std::string("adam"), std::string("sgd")}}));
    EXPECT_EQ(t.intermediate_values, (std::map<int64_t, double>{{1, 2.5}, {2, 1.5}}));
    EXPECT_EQ(t.user_attrs.at("note"), "v1 fixture");
    EXPECT_TRUE(t.datetime_start && t.datetime_complete);
    EXPECT_FALSE(t.last_heartbeat);
  }
  EXPECT_EQ(trials[0].params.at("x"), 2.54385304152858);
  EXPECT_EQ(trials[5].params.at("x"), -1.9599483557418287);
}

TEST(SQLiteMigration, ChainIsContiguousAndNamed) {
  const auto& rules = SQLiteStorage::migrations();
  const auto path = storage_internal::migration_path(rules, 1, SQLiteStorage::kSchemaVersion, "test.db");
  ASSERT_EQ(path.size(), static_cast<size_t>(SQLiteStorage::kSchemaVersion - 1));
  for (size_t k = 0; k < path.size(); ++k) {
    EXPECT_EQ(path[k]->from_version, static_cast<int>(k) + 1);
    EXPECT_FALSE(path[k]->name.empty());
    EXPECT_TRUE(static_cast<bool>(path[k]->apply));
  }
  EXPECT_EQ(path[0]->name, "add_trial_heartbeat");
  EXPECT_EQ(path[1]->name, "add_trial_finish_sequence");
  EXPECT_EQ(rules.size(), path.size());  // no rule outside the chain
  // The chain helper refuses gaps and duplicates.
  std::vector<storage_internal::MigrationRule<SQLiteStorage>> gap{rules[0]};
  EXPECT_TRUE(contains(message_of<StorageError>([&] { storage_internal::migration_path(gap, 1, 3, "x.db"); }),
                       "no migration rule upgrades version 2"));
  std::vector<storage_internal::MigrationRule<SQLiteStorage>> dup{rules[0], rules[0], rules[1]};
  EXPECT_TRUE(contains(message_of<StorageError>([&] { storage_internal::migration_path(dup, 1, 3, "x.db"); }),
                       "two schema migration rules"));
}

TEST(SQLiteMigration, V1FileIsUpgradedAndKeepsEverything) {
  TempDir dir;
  const std::string path = copy_fixture(dir);
  EXPECT_EQ(RawDb(path, true).scalar("SELECT version FROM autoglm_schema"), "1");
  std::vector<FrozenTrial> before;
  {
    SQLiteStorage ro(path, StorageOpenOptions{true});
    before = ro.get_all_trials(fixture_study(ro));
  }
  expect_fixture_trials(before);

  auto s = open_storage("sqlite:///" + path);
  {
    RawDb raw(path, true);
    EXPECT_EQ(raw.scalar("SELECT version FROM autoglm_schema"), "3");
    EXPECT_EQ(raw.scalar("SELECT COUNT(*) FROM autoglm_schema"), "1");
    EXPECT_EQ(raw.scalar("SELECT group_concat(finish_seq, ',') FROM (SELECT finish_seq FROM trials ORDER BY number)"),
              "1,2,3,4,5,6");
    EXPECT_EQ(raw.scalar("SELECT COUNT(*) FROM trials WHERE heartbeat_us IS NULL"), "6");
    EXPECT_EQ(raw.scalar("SELECT COUNT(*) FROM sqlite_master WHERE type = 'index' AND name = 'trials_study_finish'"), "1");
  }
  const int64_t id = fixture_study(*s);
  const auto after = s->get_all_trials(id);
  expect_fixture_trials(after);
  ASSERT_EQ(after.size(), before.size());
  for (size_t i = 0; i < after.size(); ++i) expect_same_trial(after[i], before[i]);

  int64_t last = 0;
  auto finished = s->get_finished_trials_after(id, 0, 4, &last);
  ASSERT_EQ(finished.size(), 4u);
  EXPECT_EQ(finished[3].number, 3);
  EXPECT_EQ(last, 4);

  // The upgraded file works like a new one: heartbeats, and finish sequence 7 for a new trial.
  const int64_t t = s->create_new_trial(id);
  EXPECT_EQ(s->get_trial(t).number, 6);
  EXPECT_TRUE(s->record_heartbeat(t));
  EXPECT_TRUE(s->get_trial(t).last_heartbeat);
  s->set_trial_param(t, "x", 0.5, FloatDistribution{-5.0, 5.0, false, std::nullopt});
  ASSERT_TRUE(s->set_trial_state_values(t, TrialState::COMPLETE, {0.5}));
  finished = s->get_finished_trials_after(id, 6, 10, &last);
  ASSERT_EQ(finished.size(), 1u);
  EXPECT_EQ(finished[0].trial_id, t);
  EXPECT_EQ(last, 7);
  EXPECT_EQ(RawDb(path, true).scalar("SELECT finish_seq FROM trials WHERE number = 6"), "7");

  // The migrated layout equals the layout of a new file.
  {
    SQLiteStorage fresh(dir.file("fresh.db"));
  }
  const std::string columns = "SELECT group_concat(name || ':' || type, ',') FROM pragma_table_info('trials')";
  EXPECT_EQ(RawDb(path, true).scalar(columns), RawDb(dir.file("fresh.db"), true).scalar(columns));
  const std::string indexes =
      "SELECT group_concat(name, ',') FROM (SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'trials' "
      "ORDER BY name)";
  EXPECT_EQ(RawDb(path, true).scalar(indexes), RawDb(dir.file("fresh.db"), true).scalar(indexes));

  // Opening it again changes nothing.
  s.reset();
  SQLiteStorage again(path);
  EXPECT_EQ(RawDb(path, true).scalar("SELECT version FROM autoglm_schema"), "3");
  EXPECT_EQ(again.get_n_trials(id), 7);
}

TEST(SQLiteMigration, BackFillFollowsCompletionTimePerStudy) {
  TempDir dir;
  const std::string path = copy_fixture(dir);
  {
    // Still schema 1: trial 0 completed last; a second study with a COMPLETE, a RUNNING and a FAIL
    // trial (the FAIL one without completion time sorts first, as NULL does).
    RawDb raw(path);
    raw.exec("UPDATE trials SET datetime_complete_us = datetime_complete_us + 1000000 WHERE number = 0");
    raw.exec("INSERT INTO studies (study_name, created_at_us) VALUES ('second', 1)");
    raw.exec("INSERT INTO study_directions VALUES ((SELECT study_id FROM studies WHERE study_name = 'second'), 0, 'MAXIMIZE')");
    raw.exec("INSERT INTO trials (study_id, number, state, datetime_start_us, datetime_complete_us) "
             "SELECT study_id, 0, 'COMPLETE', 10, 20 FROM studies WHERE study_name = 'second'");
    raw.exec("INSERT INTO trials (study_id, number, state, datetime_start_us, datetime_complete_us) "
             "SELECT study_id, 1, 'RUNNING', 30, NULL FROM studies WHERE study_name = 'second'");
    raw.exec("INSERT INTO trials (study_id, number, state, datetime_start_us, datetime_complete_us) "
             "SELECT study_id, 2, 'FAIL', 40, NULL FROM studies WHERE study_name = 'second'");
  }
  auto s = open_storage(path);
  RawDb raw(path, true);
  const std::string seqs =
      "SELECT group_concat(COALESCE(finish_seq, 'null'), ',') FROM (SELECT t.finish_seq FROM trials t "
      "JOIN studies s ON s.study_id = t.study_id WHERE s.study_name = '%s' ORDER BY t.number)";
  char buf[512];
  std::snprintf(buf, sizeof buf, seqs.c_str(), "v1-fixture");
  EXPECT_EQ(raw.scalar(buf), "6,1,2,3,4,5");
  std::snprintf(buf, sizeof buf, seqs.c_str(), "second");
  EXPECT_EQ(raw.scalar(buf), "2,null,1");

  int64_t last = 0;
  auto finished = s->get_finished_trials_after(fixture_study(*s), 0, 100, &last);
  ASSERT_EQ(finished.size(), 6u);
  EXPECT_EQ(finished.back().number, 0);
  // The RUNNING trial of the second study finishes with sequence 3.
  const int64_t second = s->get_study_id_from_name("second");
  ASSERT_TRUE(s->set_trial_state_values(s->get_trial_id_from_study_id_trial_number(second, 1), TrialState::COMPLETE, {1.0}));
  finished = s->get_finished_trials_after(second, 2, 100, &last);
  ASSERT_EQ(finished.size(), 1u);
  EXPECT_EQ(finished[0].number, 1);
  EXPECT_EQ(last, 3);
}

TEST(SQLiteMigration, InterruptedUpgradeResumesAtVersion2) {
  TempDir dir;
  const std::string path = copy_fixture(dir);
  {
    // As if a process died after committing the first rule.
    RawDb raw(path);
    raw.exec("BEGIN; ALTER TABLE trials ADD COLUMN heartbeat_us INTEGER; UPDATE autoglm_schema SET version = 2; COMMIT");
  }
  {
    SQLiteStorage ro(path, StorageOpenOptions{true});  // version 2 read-only: heartbeats but no sequence yet
    expect_fixture_trials(ro.get_all_trials(fixture_study(ro)));
    int64_t last = 0;
    EXPECT_TRUE(contains(message_of<StorageError>([&] { ro.get_finished_trials_after(fixture_study(ro), 0, 5, &last); }),
                         "read-write"));
  }
  auto s = open_storage(path);
  EXPECT_EQ(RawDb(path, true).scalar("SELECT version FROM autoglm_schema"), "3");
  EXPECT_EQ(RawDb(path, true).scalar("SELECT MAX(finish_seq) FROM trials"), "6");
  expect_fixture_trials(s->get_all_trials(fixture_study(*s)));
}

TEST(SQLiteMigration, SeveralProcessesUpgradeOneFileOnce) {
  TempDir dir;
  const std::string path = copy_fixture(dir);
  constexpr int kWorkers = 4;
  for (int code : run_in_children(kWorkers, [&](int) {
         auto s = open_storage(path);
         const int64_t id = s->get_study_id_from_name("v1-fixture");
         const int64_t t = s->create_new_trial(id);
         return s->set_trial_state_values(t, TrialState::FAIL) ? 0 : 4;
       })) {
    EXPECT_EQ(code, 0);
  }
  RawDb raw(path, true);
  EXPECT_EQ(raw.scalar("SELECT version FROM autoglm_schema"), "3");
  EXPECT_EQ(raw.scalar("SELECT COUNT(*) FROM autoglm_schema"), "1");
  EXPECT_EQ(raw.scalar("SELECT COUNT(*) || ':' || MIN(number) || '-' || MAX(number) FROM trials"), "10:0-9");
  EXPECT_EQ(raw.scalar("SELECT COUNT(DISTINCT finish_seq) || ':' || MAX(finish_seq) FROM trials"), "10:10");
  EXPECT_EQ(raw.scalar("SELECT group_concat(finish_seq, ',') FROM (SELECT finish_seq FROM trials WHERE number < 6 "
                       "ORDER BY number)"),
            "1,2,3,4,5,6");
}

TEST(SQLiteMigration, ReadOnlyOpenOfV1ReadsItWithoutWriting) {
  TempDir dir;
  const std::string path = copy_fixture(dir);
  const std::string bytes = read_file(path);
  ASSERT_EQ(bytes, read_file(kFixture));
  {
    auto s = open_storage("sqlite:///" + path, StorageOpenOptions{true});
    const int64_t id = fixture_study(*s);
    expect_fixture_trials(s->get_all_trials(id));
    EXPECT_EQ(s->get_n_trials(id), 6);
    EXPECT_EQ(s->get_all_studies().at(0).best_trial->number, 5);
    EXPECT_TRUE(s->get_stale_trial_ids(id, 0.0).empty());  // no heartbeats in version 1
    int64_t last = 0;
    const std::string msg = message_of<StorageError>([&] { s->get_finished_trials_after(id, 0, 10, &last); });
    EXPECT_TRUE(contains(msg, "schema version 1")) << msg;
    EXPECT_TRUE(contains(msg, "read-write")) << msg;
    EXPECT_EQ(last, 0);
    EXPECT_THROW(s->record_heartbeat(s->get_trial_id_from_study_id_trial_number(id, 0)), StorageError);
    EXPECT_THROW(s->create_new_trial(id), StorageError);
    EXPECT_THROW(s->fail_running_trial(1, "x", 1), StorageError);
  }
  EXPECT_EQ(read_file(path), bytes);
  EXPECT_FALSE(fs::exists(path + "-wal"));
  EXPECT_FALSE(fs::exists(path + "-shm"));
  EXPECT_FALSE(fs::exists(path + "-journal"));
  EXPECT_EQ(RawDb(path, true).scalar("SELECT version FROM autoglm_schema"), "1");
}

TEST(SQLiteMigration, NewerFileRefusedAndLeftAlone) {
  TempDir dir;
  const std::string path = copy_fixture(dir);
  RawDb(path).exec("UPDATE autoglm_schema SET version = 99");
  const std::string bytes = read_file(path);
  for (bool read_only : {false, true}) {
    const std::string msg = message_of<StorageError>([&] { open_storage(path, StorageOpenOptions{read_only}); });
    EXPECT_TRUE(contains(msg, "newer")) << msg;
    EXPECT_TRUE(contains(msg, "schema 99 > 3")) << msg;
    EXPECT_EQ(read_file(path), bytes);
  }
  EXPECT_EQ(RawDb(path, true).scalar("SELECT version FROM autoglm_schema"), "99");
  EXPECT_EQ(RawDb(path, true).scalar("SELECT COUNT(*) FROM pragma_table_info('trials') WHERE name = 'finish_seq'"), "0");
}

}  // namespace
}  // namespace autoglm
