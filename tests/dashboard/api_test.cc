// The dashboard's JSON API (docs/dashboard.md) over the fixture studies in a real SQLite file.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <set>

#include "autoglm/error.h"
#include "dashboard/api.h"
#include "dashboard/fixtures.h"

namespace {

using autoglm::dashboard::Api;
using json = nlohmann::json;
namespace fs = std::filesystem;
using namespace autoglm;

class ApiTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new fs::path(fs::temp_directory_path() / ("autoglm-dash-api-" + std::to_string(::getpid())));
    fs::create_directories(*dir_);
    url_ = new std::string("sqlite:///" + (*dir_ / "fixtures.db").string());
    auto storage = open_storage(*url_);
    testing_util::write_dashboard_fixtures(*storage);
  }
  static void TearDownTestSuite() {
    std::error_code ec;
    fs::remove_all(*dir_, ec);
    delete dir_;
    delete url_;
  }
  void SetUp() override {
    storage_ = open_storage(*url_);
    api_ = std::make_unique<Api>(storage_, 0.0);
    single_ = storage_->get_study_id_from_name(testing_util::kSingleStudy);
    multi_ = storage_->get_study_id_from_name(testing_util::kMultiStudy);
  }

  json get(const std::string& path, const std::map<std::string, std::string>& query = {}, int status = 200) {
    auto r = api_->get(path, query);
    EXPECT_EQ(r.status, status) << path << " -> " << r.body;
    return json::parse(r.body);
  }
  std::string base(int64_t id) const { return "/api/studies/" + std::to_string(id); }

  static fs::path* dir_;
  static std::string* url_;
  std::shared_ptr<Storage> storage_;
  std::unique_ptr<Api> api_;
  int64_t single_ = -1, multi_ = -1;
};

fs::path* ApiTest::dir_ = nullptr;
std::string* ApiTest::url_ = nullptr;

std::vector<int> numbers_of(const json& a) {
  std::vector<int> out;
  for (const auto& x : a) out.push_back(x.get<int>());
  return out;
}

TEST_F(ApiTest, StudyListHasExactCountsStatesAndBest) {
  json list = get("/api/studies")["studies"];
  ASSERT_EQ(list.size(), 2u);
  const json* s = nullptr;
  const json* m = nullptr;
  for (const auto& x : list) (x["name"] == testing_util::kSingleStudy ? s : m) = &x;
  ASSERT_TRUE(s && m);
  EXPECT_EQ((*s)["id"], single_);
  EXPECT_EQ((*s)["n_trials"], testing_util::kSingleTrials);
  EXPECT_EQ((*s)["states"]["COMPLETE"], testing_util::kSingleComplete);
  EXPECT_EQ((*s)["states"]["PRUNED"], testing_util::kSinglePruned);
  EXPECT_EQ((*s)["states"]["FAIL"], testing_util::kSingleFail);
  EXPECT_EQ((*s)["states"]["RUNNING"], 1);
  EXPECT_EQ((*s)["states"]["WAITING"], 1);
  EXPECT_EQ((*s)["directions"], json::array({"minimize"}));
  EXPECT_EQ((*s)["objective_names"], json::array({"loss"}));
  EXPECT_EQ((*s)["user_attrs"]["owner"], "<i>Zoë</i> & \"team\" 🚀");
  EXPECT_TRUE((*s)["n_pareto"].is_null());
  double best = INFINITY;
  for (const auto& t : storage_->get_all_trials(single_, std::vector<TrialState>{TrialState::COMPLETE}))
    best = std::min(best, t.values[0]);
  EXPECT_DOUBLE_EQ((*s)["best_values"][0].get<double>(), best);
  EXPECT_EQ((*s)["datetime_start"], format_time(testing_util::fixture_epoch()));
  EXPECT_FALSE((*s)["last_update"].is_null());

  EXPECT_EQ((*m)["n_trials"], testing_util::kMultiTrials);
  EXPECT_EQ((*m)["states"]["COMPLETE"], testing_util::kMultiComplete);
  EXPECT_EQ((*m)["directions"], json::array({"minimize", "maximize"}));
  EXPECT_EQ((*m)["objective_names"], json::array({"error", "accuracy"}));
  EXPECT_TRUE((*m)["best_values"].is_null());
  EXPECT_GT((*m)["n_pareto"].get<int>(), 1);
}

TEST_F(ApiTest, StudyDetailListsParamsAndBestTrial) {
  json s = get(base(single_));
  EXPECT_EQ(s["name"], testing_util::kSingleStudy);
  EXPECT_FALSE(s["version"].get<std::string>().empty());
  EXPECT_TRUE(s["intermediate"].get<bool>());
  std::vector<std::string> names;
  for (const auto& p : s["params"]) names.push_back(p["name"]);
  EXPECT_EQ(names, (std::vector<std::string>{"lr", "opt", "x", "y"}));
  const json& lr = s["params"][0];
  EXPECT_EQ(lr["distribution"]["type"], "float");
  EXPECT_EQ(lr["distribution"]["log"], true);
  EXPECT_TRUE(lr["distribution"]["step"].is_null());
  EXPECT_EQ(lr["n_trials"], testing_util::kSingleTrials);
  EXPECT_EQ(s["params"][1]["distribution"]["choices"][2], "<script>alert(1)</script>");
  EXPECT_EQ(s["params"][3]["distribution"]["type"], "int");
  EXPECT_EQ(s["best_values"][0], s["best_trial"]["values"][0]);
  EXPECT_TRUE(s["best_trial"]["params"].contains("x"));
  EXPECT_EQ(s["system_attrs"]["objective_names"], json::array({"loss"}));

  json v = get(base(single_) + "/version");
  EXPECT_EQ(v["version"], s["version"]);
  EXPECT_EQ(v["n_trials"], testing_util::kSingleTrials);
}

TEST_F(ApiTest, TrialsPagingSortFilter) {
  json p = get(base(single_) + "/trials");
  EXPECT_EQ(p["total"], 60);
  EXPECT_EQ(p["limit"], 50);
  ASSERT_EQ(p["trials"].size(), 50u);
  EXPECT_EQ(p["trials"][0]["number"], 0);
  json last = get(base(single_) + "/trials", {{"offset", "50"}})["trials"];
  ASSERT_EQ(last.size(), 10u);
  EXPECT_EQ(last[9]["number"], 59);
  EXPECT_EQ(last[8]["worker"], "node-a:1000");
  EXPECT_EQ(last[8]["gpus"], json::array({1}));

  for (const std::string order : {"asc", "desc"}) {
    json all = get(base(single_) + "/trials", {{"sort", "value"}, {"order", order}, {"limit", "1000"}})["trials"];
    ASSERT_EQ(all.size(), 60u);
    // 55 trials with a value (COMPLETE and PRUNED), then FAIL / RUNNING / WAITING without one.
    for (int i = 0; i < 55; ++i) ASSERT_FALSE(all[i]["values"].is_null()) << order << " " << i;
    std::set<std::string> tail_states;
    for (int i = 55; i < 60; ++i) {
      EXPECT_TRUE(all[i]["values"].is_null());
      tail_states.insert(all[i]["state"]);
    }
    EXPECT_EQ(tail_states, (std::set<std::string>{"FAIL", "RUNNING", "WAITING"}));
    for (int i = 1; i < 55; ++i) {
      const double a = all[i - 1]["values"][0], b = all[i]["values"][0];
      EXPECT_TRUE(order == "asc" ? a <= b : a >= b);
    }
  }
  json by_x = get(base(single_) + "/trials", {{"sort", "param:x"}, {"limit", "100"}})["trials"];
  for (std::size_t i = 1; i < by_x.size(); ++i) EXPECT_LE(by_x[i - 1]["params"]["x"].get<double>(), by_x[i]["params"]["x"].get<double>());

  EXPECT_EQ(get(base(single_) + "/trials", {{"state", "COMPLETE,PRUNED"}})["total"], 55);
  EXPECT_EQ(get(base(single_) + "/trials", {{"state", "FAIL"}})["total"], 3);
  json tag = get(base(single_) + "/trials", {{"q", "#7 "}});
  EXPECT_EQ(tag["total"], 1);
  EXPECT_EQ(tag["trials"][0]["number"], 7);
  EXPECT_EQ(tag["trials"][0]["user_attrs"]["tag"], "<img src=x onerror=alert(1)> \"trial\" #7 ✓");
  int n_sgd = 0;
  for (const auto& t : storage_->get_all_trials(single_))
    if (std::get<std::string>(t.param("opt")) == "sgd") ++n_sgd;
  EXPECT_EQ(get(base(single_) + "/trials", {{"q", "OPT=SGD"}})["total"], n_sgd);
  EXPECT_EQ(get(base(single_) + "/trials", {{"q", "running"}})["total"], 1);

  get(base(single_) + "/trials", {{"limit", "0"}}, 400);
  get(base(single_) + "/trials", {{"limit", "1001"}}, 400);
  get(base(single_) + "/trials", {{"limit", "ten"}}, 400);
  get(base(single_) + "/trials", {{"offset", "-1"}}, 400);
  get(base(single_) + "/trials", {{"sort", "bogus"}}, 400);
  get(base(single_) + "/trials", {{"sort", "value1"}}, 400);
  get(base(single_) + "/trials", {{"order", "up"}}, 400);
  get(base(single_) + "/trials", {{"state", "DONE"}}, 400);
  get(base(single_) + "/trials", {{"bogus", "1"}}, 400);
  json e = get(base(single_) + "/trials", {{"bogus", "1"}}, 400);
  EXPECT_NE(e["error"].get<std::string>().find("bogus"), std::string::npos);
  EXPECT_EQ(e["error"].get<std::string>().find('\n'), std::string::npos);
  // The token parameter belongs to the server: ignored here.
  get(base(single_) + "/trials", {{"token", "x"}});
}

TEST_F(ApiTest, TrialDetail) {
  json running = get(base(single_) + "/trials/58");
  EXPECT_EQ(running["state"], "RUNNING");
  ASSERT_FALSE(running["heartbeat_age"].is_null());
  EXPECT_GE(running["heartbeat_age"].get<double>(), 0.0);
  EXPECT_LT(running["heartbeat_age"].get<double>(), 600.0);
  EXPECT_FALSE(running["last_heartbeat"].is_null());
  EXPECT_EQ(running["worker"], "node-a:1000");
  EXPECT_EQ(running["gpus"], json::array({1}));
  EXPECT_EQ(running["intermediate_values"]["steps"], json::array({0, 1, 2}));
  EXPECT_TRUE(running["datetime_complete"].is_null());

  json failed = get(base(single_) + "/trials/15");
  EXPECT_EQ(failed["state"], "FAIL");
  EXPECT_EQ(failed["fail_reason"], "exit status 1 <stderr>");
  EXPECT_EQ(failed["log_tail"], "Traceback: <boom> & more\n");
  EXPECT_TRUE(failed["log_path"].is_null());
  EXPECT_TRUE(failed["heartbeat_age"].is_null());
  EXPECT_TRUE(failed["values"].is_null());

  json done = get(base(single_) + "/trials/3");
  EXPECT_EQ(done["state"], "COMPLETE");
  EXPECT_EQ(done["intermediate_values"]["steps"].size(), 10u);
  EXPECT_EQ(done["user_attrs"]["tag"], "<img src=x onerror=alert(1)> \"trial\" #3 ✓");
  EXPECT_EQ(done["distributions"]["opt"]["type"], "categorical");
  EXPECT_NEAR(done["duration"].get<double>(), 0.503, 1e-6);
  EXPECT_TRUE(done["fail_reason"].is_null());
  EXPECT_TRUE(done["retry_of"].is_null());
  EXPECT_EQ(done["trial_id"], storage_->get_trial_id_from_study_id_trial_number(single_, 3));

  get(base(single_) + "/trials/60", {}, 404);
  get(base(single_) + "/trials/abc", {}, 404);
  get(base(single_) + "/trials/-1", {}, 404);
}

TEST_F(ApiTest, LogTailReadsOnlyTheTrialsOwnLogFile) {
  const int64_t study = storage_->create_new_study("logs", {StudyDirection::MINIMIZE});
  const fs::path log = *dir_ / "trial-0.log";  // what a command runner writes for trial #0
  {
    std::ofstream out(log);
    for (int i = 0; i < 300; ++i) out << "line " << i << "\n";
  }
  const fs::path secret = *dir_ / "secret.txt";
  std::ofstream(secret) << "do not show\n";
  fs::create_symlink(secret, *dir_ / "trial-3.log");  // a link named like a log
  fs::create_hard_link(secret, *dir_ / "trial-5.log");  // a second name of another file
  FrozenTrial t;
  t.state = TrialState::FAIL;
  t.system_attrs["log_tail"] = "stored tail";
  for (const fs::path& p : {log, secret, *dir_ / "trial-2.log", *dir_ / "trial-3.log", log, *dir_ / "trial-5.log"}) {
    t.system_attrs["log_path"] = p.string();
    storage_->create_new_trial(study, t);
  }

  json a = get(base(study) + "/trials/0");
  const std::string tail = a["log_tail"];
  EXPECT_EQ(std::count(tail.begin(), tail.end(), '\n'), 200);
  EXPECT_EQ(tail.rfind("line 100\n", 0), 0u);
  EXPECT_NE(tail.find("line 299\n"), std::string::npos);
  EXPECT_EQ(a["log_path"], log.string());
  EXPECT_EQ(get(base(study) + "/trials/1")["log_tail"], "stored tail") << "not a trial log";
  EXPECT_EQ(get(base(study) + "/trials/2")["log_tail"], "stored tail") << "missing";
  EXPECT_EQ(get(base(study) + "/trials/3")["log_tail"], "stored tail") << "a symlink is not followed";
  EXPECT_EQ(get(base(study) + "/trials/4")["log_tail"], "stored tail") << "another trial's log";
  EXPECT_EQ(get(base(study) + "/trials/5")["log_tail"], "stored tail") << "a hard link is not read";
  storage_->delete_study(study);
}

TEST_F(ApiTest, HistoryBestLineAndCounts) {
  json h = get(base(single_) + "/history");
  EXPECT_EQ(h["objective"], 0);
  EXPECT_EQ(h["direction"], "minimize");
  EXPECT_EQ(h["n_complete"], testing_util::kSingleComplete);
  EXPECT_EQ(h["numbers"].size(), 50u);
  EXPECT_EQ(h["values"].size(), 50u);
  EXPECT_EQ(numbers_of(h["pruned"]["numbers"]), (std::vector<int>{10, 20, 30, 40, 50}));
  EXPECT_EQ(numbers_of(h["failed_numbers"]), (std::vector<int>{15, 25, 35}));
  const json& best = h["best"];
  ASSERT_GE(best["values"].size(), 1u);
  for (std::size_t i = 1; i < best["values"].size(); ++i) {
    EXPECT_LT(best["values"][i].get<double>(), best["values"][i - 1].get<double>());
    EXPECT_GT(best["numbers"][i].get<int>(), best["numbers"][i - 1].get<int>());
  }
  EXPECT_EQ(best["values"].back(), get(base(single_))["best_values"][0]);

  json thin = get(base(single_) + "/history", {{"max_points", "12"}});
  EXPECT_LE(thin["numbers"].size(), 12u);
  EXPECT_LE(thin["pruned"]["numbers"].size(), 12u);
  std::set<int> kept;
  for (const auto& n : thin["numbers"]) kept.insert(n.get<int>());
  if (best["numbers"].size() <= 12) {
    for (const auto& n : best["numbers"]) EXPECT_TRUE(kept.count(n.get<int>())) << n;
  }
  EXPECT_EQ(get(base(single_) + "/history", {{"max_points", "1"}})["numbers"].size(), 1u);

  get(base(single_) + "/history", {{"objective", "1"}}, 400);
  get(base(single_) + "/history", {{"max_points", "0"}}, 400);
  get(base(single_) + "/history", {{"max_points", "100001"}}, 400);
  json hm = get(base(multi_) + "/history", {{"objective", "1"}});
  EXPECT_EQ(hm["direction"], "maximize");
  for (std::size_t i = 1; i < hm["best"]["values"].size(); ++i)
    EXPECT_GT(hm["best"]["values"][i].get<double>(), hm["best"]["values"][i - 1].get<double>());
  get(base(multi_) + "/history", {{"objective", "2"}}, 400);
}

TEST_F(ApiTest, HistoryThinningKeepsImprovements) {
  auto mem = open_storage(":memory:");
  testing_util::write_large_study(*mem, "large", 3000);
  Api api(mem, 0.0);
  auto r = api.get("/api/studies/" + std::to_string(mem->get_study_id_from_name("large")) + "/history", {{"max_points", "100"}});
  ASSERT_EQ(r.status, 200);
  json h = json::parse(r.body);
  EXPECT_EQ(h["n_complete"], 3000);
  EXPECT_LE(h["numbers"].size(), 100u);
  EXPECT_GE(h["numbers"].size(), 90u);
  std::set<int> kept;
  for (const auto& n : h["numbers"]) kept.insert(n.get<int>());
  ASSERT_LT(h["best"]["numbers"].size(), 100u);
  for (const auto& n : h["best"]["numbers"]) EXPECT_TRUE(kept.count(n.get<int>())) << n;
  std::vector<int> nums = numbers_of(h["numbers"]);
  EXPECT_TRUE(std::is_sorted(nums.begin(), nums.end()));
  // The 100,000-trial bound: one trials page is at most 1000 rows.
  auto page = api.get("/api/studies/" + std::to_string(mem->get_study_id_from_name("large")) + "/trials", {{"limit", "1000"}});
  EXPECT_EQ(json::parse(page.body)["trials"].size(), 1000u);
  EXPECT_EQ(api.get("/api/studies/" + std::to_string(mem->get_study_id_from_name("large")) + "/trials", {{"limit", "5000"}}).status,
            400);
}

TEST_F(ApiTest, IntermediateCurves) {
  json in = get(base(single_) + "/intermediate");
  EXPECT_EQ(in["n_total"], 56);  // 50 COMPLETE + 5 PRUNED + 1 RUNNING
  ASSERT_EQ(in["trials"].size(), 56u);
  for (const auto& t : in["trials"]) {
    const int n = t["number"];
    if (t["state"] == "PRUNED") {
      EXPECT_EQ(t["pruned_step"], 3 + n / 10);
      EXPECT_EQ(t["steps"].back(), t["pruned_step"]);
    } else {
      EXPECT_TRUE(t["pruned_step"].is_null());
    }
    EXPECT_EQ(t["steps"].size(), t["values"].size());
  }
  json few = get(base(single_) + "/intermediate", {{"max_trials", "10"}});
  ASSERT_EQ(few["trials"].size(), 10u);
  std::map<std::string, int> states;
  for (const auto& t : few["trials"]) ++states[t["state"]];
  EXPECT_EQ(states["RUNNING"], 1);
  EXPECT_GE(states["PRUNED"], 1);
  EXPECT_GE(states["COMPLETE"], 4);
  get(base(single_) + "/intermediate", {{"max_trials", "1001"}}, 400);
}

TEST_F(ApiTest, ParamsColumnar) {
  json p = get(base(single_) + "/params");
  EXPECT_EQ(p["n_complete"], 50);
  ASSERT_EQ(p["numbers"].size(), 50u);
  ASSERT_EQ(p["params"].size(), 4u);
  const json& opt = p["params"][1];
  EXPECT_EQ(opt["name"], "opt");
  ASSERT_EQ(opt["values"].size(), 50u);
  for (const auto& v : opt["values"]) EXPECT_TRUE(v == "adam" || v == "sgd" || v == "<script>alert(1)</script>") << v;
  json two = get(base(single_) + "/params", {{"params", "y,x"}, {"max_points", "10"}});
  ASSERT_EQ(two["params"].size(), 2u);
  EXPECT_EQ(two["params"][0]["name"], "y");
  EXPECT_EQ(two["numbers"].size(), 10u);
  EXPECT_TRUE(two["params"][0]["values"][0].is_number_integer());
  // The best 5 are kept.
  std::vector<double> all;
  for (const auto& v : p["values"]) all.push_back(v);
  std::sort(all.begin(), all.end());
  std::set<double> kept;
  for (const auto& v : two["values"]) kept.insert(v.get<double>());
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(kept.count(all[i]));
  get(base(single_) + "/params", {{"params", "nope"}}, 400);
}

TEST_F(ApiTest, ParetoFrontIsTheNonDominatedSet) {
  json p = get(base(multi_) + "/pareto");
  // Independently: minimize error, maximize accuracy.
  auto trials = storage_->get_all_trials(multi_, std::vector<TrialState>{TrialState::COMPLETE});
  ASSERT_EQ(trials.size(), 37u);
  std::set<int> expected;
  for (const auto& a : trials) {
    bool dominated = false;
    for (const auto& b : trials) {
      const bool no_worse = b.values[0] <= a.values[0] && b.values[1] >= a.values[1];
      const bool better = b.values[0] < a.values[0] || b.values[1] > a.values[1];
      dominated = dominated || (no_worse && better);
    }
    if (!dominated) expected.insert(a.number);
  }
  std::set<int> front;
  for (const auto& f : p["front"]) front.insert(f["number"].get<int>());
  EXPECT_EQ(front, expected);
  EXPECT_EQ(p["front"].size() + p["dominated"].size(), 37u);
  EXPECT_EQ(get(base(multi_))["n_pareto"], expected.size());
  const json& hv = p["hypervolume_history"];
  ASSERT_EQ(hv["values"].size(), 37u);
  for (std::size_t i = 1; i < hv["values"].size(); ++i)
    EXPECT_GE(hv["values"][i].get<double>(), hv["values"][i - 1].get<double>());
  EXPECT_GT(hv["values"].back().get<double>(), 0.0);
  // Reference: nadir + 10 % in each objective's own direction.
  double e_min = INFINITY, e_max = -INFINITY, a_min = INFINITY, a_max = -INFINITY;
  for (const auto& t : trials) {
    e_min = std::min(e_min, t.values[0]);
    e_max = std::max(e_max, t.values[0]);
    a_min = std::min(a_min, t.values[1]);
    a_max = std::max(a_max, t.values[1]);
  }
  EXPECT_NEAR(p["reference_point"][0].get<double>(), e_max + 0.1 * (e_max - e_min), 1e-12);
  EXPECT_NEAR(p["reference_point"][1].get<double>(), a_min - 0.1 * (a_max - a_min), 1e-12);
  EXPECT_EQ(p["objective_names"], json::array({"error", "accuracy"}));
  EXPECT_LE(get(base(multi_) + "/pareto", {{"max_points", "3"}})["dominated"].size(), 3u);
  get(base(single_) + "/pareto", {}, 400);
}

TEST_F(ApiTest, Timeline) {
  json t = get(base(single_) + "/timeline");
  EXPECT_EQ(t["n_total"], 59);  // the WAITING trial never started
  ASSERT_EQ(t["trials"].size(), 59u);
  EXPECT_EQ(t["trials"][0]["worker"], "node-a:1000");
  EXPECT_EQ(t["trials"][1]["worker"], "node-b:1001");
  EXPECT_EQ(t["trials"][0]["datetime_start"], format_time(testing_util::fixture_epoch()));
  json last = get(base(single_) + "/timeline", {{"max_trials", "5"}});
  ASSERT_EQ(last["trials"].size(), 5u);
  EXPECT_EQ(last["trials"][4]["number"], 58);
  get(base(single_) + "/timeline", {{"max_trials", "0"}}, 400);
}

TEST_F(ApiTest, ImportanceAnswersWithResultOrError) {
  json imp = get(base(single_) + "/importance", {{"interactions", "1"}});
  EXPECT_EQ(imp["evaluator"], "fanova");
  EXPECT_EQ(imp["objective"], 0);
  ASSERT_TRUE(imp.contains("error"));
  if (imp["error"].is_null()) {
    ASSERT_EQ(imp["importances"].size(), 4u);
    double sum = 0;
    for (const auto& i : imp["importances"]) sum += i["importance"].get<double>();
    EXPECT_NEAR(sum, 1.0, 1e-9);
    EXPECT_EQ(imp["importances"][0]["name"], "x");
  } else {
    EXPECT_TRUE(imp["error"].is_string());
  }
  get(base(single_) + "/importance", {{"evaluator", "magic"}}, 400);
  get(base(single_) + "/importance", {{"interactions", "maybe"}}, 400);
  EXPECT_EQ(get(base(single_) + "/importance", {{"evaluator", "ped_anova"}})["evaluator"], "ped_anova");
}

TEST_F(ApiTest, NotFoundAndBadRoutes) {
  get("/api/studies/999", {}, 404);
  get("/api/studies/999/history", {}, 404);
  get("/api/studies/999/version", {}, 404);
  get("/api/studies/abc", {}, 404);
  get("/api/nope", {}, 404);
  get(base(single_) + "/nope", {}, 404);
  get(base(single_) + "/trials/1/extra", {}, 404);
  get("/api/studies", {{"x", "1"}}, 400);
  get(base(single_) + "/trials", {{"sort", "param:nope"}}, 400);
  get(base(single_) + "/trials", {{"state", ""}}, 400);
  get(base(single_) + "/trials", {{"sort", "param:lr"}}, 200);
}

TEST_F(ApiTest, LiveUpdateChangesVersion) {
  const int64_t study = storage_->create_new_study("live", {StudyDirection::MINIMIZE});
  Api api(storage_, 0.0);
  auto version = [&] { return json::parse(api.get(base(study) + "/version", {}).body)["version"].get<std::string>(); };
  const std::string v0 = version();
  EXPECT_EQ(version(), v0);
  auto other = open_storage(*url_);  // another handle, as another process would write
  const int64_t id = other->create_new_trial(study);
  const std::string v1 = version();
  EXPECT_NE(v1, v0);
  other->set_trial_intermediate_value(id, 0, 1.5);
  const std::string v2 = version();
  EXPECT_NE(v2, v1);
  EXPECT_EQ(json::parse(api.get(base(study) + "/history", {}).body)["n_complete"], 0);
  other->set_trial_state_values(id, TrialState::COMPLETE, {0.25});
  const std::string v3 = version();
  EXPECT_NE(v3, v2);
  json h = json::parse(api.get(base(study) + "/history", {}).body);
  EXPECT_EQ(h["n_complete"], 1);
  EXPECT_EQ(h["best"]["values"], json::array({0.25}));
  other->set_study_user_attr(study, "note", "hello");
  EXPECT_NE(version(), v3);

  // With a refresh interval the cache answers in between reads.
  Api slow(storage_, 3600.0);
  const std::string s0 = json::parse(slow.get(base(study) + "/version", {}).body)["version"];
  other->create_new_trial(study);
  EXPECT_EQ(json::parse(slow.get(base(study) + "/version", {}).body)["version"], s0);
  storage_->delete_study(study);
}

TEST_F(ApiTest, WritesThroughTheApi) {
  const int64_t study = storage_->create_new_study("writable", {StudyDirection::MINIMIZE});
  EXPECT_EQ(api_->put_note(base(study) + "/note", R"({"note": "<b>hi</b> ✓"})").status, 200);
  EXPECT_EQ(storage_->get_study_user_attrs(study).at("note"), "<b>hi</b> ✓");
  EXPECT_EQ(get(base(study))["user_attrs"]["note"], "<b>hi</b> ✓");
  EXPECT_EQ(api_->put_note(base(study) + "/note", "not json").status, 400);
  EXPECT_EQ(api_->put_note(base(study) + "/note", R"({"note": 3})").status, 400);
  EXPECT_EQ(api_->put_note("/api/studies/999/note", R"({"note": "x"})").status, 404);
  EXPECT_EQ(api_->delete_study(base(study)).status, 200);
  EXPECT_THROW(storage_->get_study_name_from_id(study), NotFoundError);
  get(base(study), {}, 404);
  EXPECT_EQ(get("/api/studies")["studies"].size(), 2u);
  EXPECT_EQ(api_->delete_study(base(study)).status, 404);
}

TEST_F(ApiTest, WarmHistoryOfALargeStudyIsFast) {
  auto mem = open_storage(":memory:");
  testing_util::write_large_study(*mem, "big", 10000);
  Api api(mem, 0.5);
  const std::string path = "/api/studies/" + std::to_string(mem->get_study_id_from_name("big")) + "/history";
  ASSERT_EQ(api.get(path, {}).status, 200);  // cold
  const auto t0 = std::chrono::steady_clock::now();
  auto r = api.get(path, {});
  const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  ASSERT_EQ(r.status, 200);
  EXPECT_LT(ms, 200.0);
}

}  // namespace
