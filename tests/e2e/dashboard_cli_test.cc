// End-to-end tests of `autoglm importance`, `autoglm report` and `autoglm dashboard` as a user
// runs them: real processes on a real SQLite file, the dashboard reached over a real socket.
// The JSON API itself is tested in tests/dashboard/, the web app in tests/e2e/browser/.
#include <signal.h>

#include <chrono>
#include <random>
#include <regex>
#include <thread>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "autoglm/storage.h"
#include "e2e/e2e_util.h"

namespace autoglm_e2e {
namespace {

using json = nlohmann::json;
using namespace std::chrono_literals;

class DashboardCli : public TempDirTest {
 protected:
  DashboardCli() : TempDirTest("autoglm-dash-") {}

  /// Study "lin": f(x, y, z) = 10 x + y, z unused, `n` random COMPLETE trials.
  void write_linear_study(int n) {
    auto storage = autoglm::open_storage(db_);
    const int64_t id = storage->create_new_study("lin", {autoglm::StudyDirection::MINIMIZE});
    std::mt19937_64 rng(1);
    std::uniform_real_distribution<double> u(0.0, 1.0);
    const autoglm::Distribution d = autoglm::FloatDistribution{0.0, 1.0};
    for (int i = 0; i < n; ++i) {
      autoglm::FrozenTrial t;
      t.state = autoglm::TrialState::COMPLETE;
      t.datetime_start = t.datetime_complete = autoglm::Clock::now();
      const double x = u(rng), y = u(rng), z = u(rng);
      for (auto [name, v] : {std::pair{"x", x}, {"y", y}, {"z", z}}) {
        t.params[name] = v;
        t.distributions[name] = d;
      }
      t.values = {10 * x + y};
      storage->create_new_trial(id, t);
    }
  }

  /// Starts `autoglm dashboard ARGS` and waits for its "serving URL" line; returns the URL.
  std::string start_dashboard(const std::vector<std::string>& args) {
    std::vector<std::string> argv{kAutoglm, "dashboard", "--storage", db_, "--port", "0"};
    argv.insert(argv.end(), args.begin(), args.end());
    fs::remove(dir_ / "dash.out");  // not the previous server's line (the child truncates it only later)
    pid_ = spawn_in(dir_, argv, dir_ / "dash.out", dir_ / "dash.err");
    const std::regex serving("dashboard: serving (http://[^ \n]+)");
    for (int i = 0; i < 200; ++i) {
      std::smatch m;
      const std::string out = read_file(dir_ / "dash.out");
      if (std::regex_search(out, m, serving)) return m[1];
      std::this_thread::sleep_for(25ms);
    }
    ADD_FAILURE() << "no serving line; stderr: " << read_file(dir_ / "dash.err");
    return "";
  }
  Result stop_dashboard(int sig) {
    ::kill(pid_, sig);
    Result r = finish_spawn(pid_, dir_ / "dash.out", dir_ / "dash.err");
    pid_ = -1;
    return r;
  }
  void TearDown() override {
    if (pid_ > 0) stop_dashboard(SIGKILL);
    TempDirTest::TearDown();
  }
  static int port_of(const std::string& url) {
    std::smatch m;
    const std::regex re(":(\\d+)/");
    return std::regex_search(url, m, re) ? std::stoi(m[1]) : -1;
  }

  pid_t pid_ = -1;
};

TEST_F(DashboardCli, ImportanceRanksTheParametersOfALinearFunction) {
  write_linear_study(1000);  // PED-ANOVA needs ~100 good trials to order y over z reliably
  for (const std::string evaluator : {"fanova", "ped_anova"}) {
    Result r = run({"importance", "--study", "lin", "--storage", db_, "--evaluator", evaluator, "--format", "json"});
    ASSERT_EQ(r.code, 0) << r.err;
    const json j = json::parse(r.out);
    EXPECT_EQ(j["n_trials"], 1000);
    ASSERT_EQ(j["importances"].size(), 3u) << r.out;
    EXPECT_EQ(j["importances"][0]["name"], "x") << evaluator;
    EXPECT_EQ(j["importances"][1]["name"], "y") << evaluator;
    EXPECT_EQ(j["importances"][2]["name"], "z") << evaluator;
    double sum = 0;
    for (const auto& p : j["importances"]) sum += p["importance"].get<double>();
    EXPECT_NEAR(sum, 1.0, 1e-9);
  }
  // The table names each parameter with its share; the same seed gives the same figures.
  Result a = run({"importance", "--study", "lin", "--storage", db_, "--seed", "3"});
  Result b = run({"importance", "--study", "lin", "--storage", db_, "--seed", "3"});
  Result j = run({"importance", "--study", "lin", "--storage", db_, "--format", "json"});
  ASSERT_EQ(j.code, 0) << j.err;
  EXPECT_EQ(json::parse(j.out)["left_out"], json::array());
  EXPECT_EQ(json::parse(j.out)["constant_objective"], false);
  ASSERT_EQ(a.code, 0) << a.err;
  EXPECT_EQ(a.out, b.out);
  EXPECT_NE(a.out.find("fanova, objective 0, 1000 COMPLETE trials"), std::string::npos) << a.out;
}

TEST_F(DashboardCli, ImportanceRefusesBadInputInOneLine) {
  write_linear_study(20);
  struct Case {
    std::vector<std::string> args;
    std::string message;
  };
  const std::vector<Case> cases = {
      {{"--evaluator", "shap"}, "fanova"},
      {{"--objective", "1"}, "--objective"},
      {{"--params", "x,nope"}, "nope"},
      {{"--format", "xml"}, "--format"},
      {{"--seed", "-1"}, "--seed"},
      {{"--params", "x,,y"}, "empty name"},
  };
  for (const auto& c : cases) {
    std::vector<std::string> args{"importance", "--study", "lin", "--storage", db_};
    args.insert(args.end(), c.args.begin(), c.args.end());
    Result r = run(args);
    EXPECT_EQ(r.code, 2) << c.args[0] << ": " << r.err;
    EXPECT_NE(r.err.find(c.message), std::string::npos) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  }
  Result missing = run({"importance", "--study", "nope", "--storage", db_});
  EXPECT_EQ(missing.code, 2);
  EXPECT_NE(missing.err.find("lin"), std::string::npos) << "names the studies there: " << missing.err;
}

TEST_F(DashboardCli, ReportIsOneSelfContainedFile) {
  write_linear_study(30);
  Result r = run({"report", "--study", "lin", "--storage", db_, "--out", "r.html"});
  ASSERT_EQ(r.code, 0) << r.err;
  const std::string html = read_file(dir_ / "r.html");
  EXPECT_GT(html.size(), 1000000u) << "plotly.js is inlined";
  EXPECT_NE(html.find("id=\"autoglm-data\""), std::string::npos);
  EXPECT_EQ(html.find("src=\"assets/"), std::string::npos) << "no asset is fetched";
  EXPECT_EQ(html.find("href=\"assets/"), std::string::npos);
  EXPECT_FALSE(fs::exists(dir_ / "r.html.tmp"));
  // Bad input writes nothing.
  Result nodir = run({"report", "--study", "lin", "--storage", db_, "--out", "no/such/dir/r.html"});
  EXPECT_EQ(nodir.code, 2);
  EXPECT_NE(nodir.err.find("does not exist"), std::string::npos) << nodir.err;
  Result nostudy = run({"report", "--study", "nope", "--storage", db_, "--out", "n.html"});
  EXPECT_EQ(nostudy.code, 2);
  EXPECT_FALSE(fs::exists(dir_ / "n.html"));
  // Never onto the database itself (by path or through a link), a directory or a device.
  fs::create_symlink(dir_ / "study.db", dir_ / "link.html");
  fs::create_symlink(dir_ / "nowhere.html", dir_ / "dangling.html");
  fs::create_directory(dir_ / "outdir");
  for (const std::string target : {(dir_ / "study.db").string(), std::string("link.html"), std::string("outdir"),
                                   std::string("outdir/"), std::string("/dev/null"), std::string("study.db-wal"),
                                   std::string("dangling.html")}) {
    Result refused = run({"report", "--study", "lin", "--storage", db_, "--out", target});
    EXPECT_EQ(refused.code, 2) << target << ": " << refused.out;
    EXPECT_NE(refused.err.find("--out"), std::string::npos) << refused.err;
  }
  Result still = run({"studies", "--storage", db_, "--format", "json"});
  EXPECT_EQ(still.code, 0) << "the database is intact: " << still.err;
  for (const auto& e : fs::directory_iterator(dir_))
    EXPECT_EQ(e.path().filename().string().find(".r.html."), std::string::npos) << "temporary file left: " << e.path();
  EXPECT_TRUE(fs::is_empty(dir_ / "outdir"));
}

TEST_F(DashboardCli, DashboardServesReadOnlyOnLoopbackAndStopsOnSignals) {
  write_linear_study(5);
  ASSERT_FALSE(fs::exists(dir_ / "study.db-wal")) << "the writer closed the database cleanly";
  const std::string url = start_dashboard({});
  ASSERT_FALSE(url.empty());
  EXPECT_EQ(url.rfind("http://127.0.0.1:", 0), 0u) << url;
  httplib::Client client("127.0.0.1", port_of(url));
  auto studies = client.Get("/api/studies");
  ASSERT_TRUE(studies);
  EXPECT_EQ(studies->status, 200);
  EXPECT_EQ(json::parse(studies->body)["studies"][0]["name"], "lin");
  // The writers had exited (no -wal file) when it started: it still sees later writes.
  {
    auto writer = autoglm::open_storage(db_);
    writer->create_new_trial(writer->get_study_id_from_name("lin"));
  }
  int seen = 0;
  for (int i = 0; i < 100 && seen != 6; ++i) {
    std::this_thread::sleep_for(50ms);
    auto again = client.Get("/api/studies");
    ASSERT_TRUE(again);
    seen = json::parse(again->body)["studies"][0]["n_trials"];
  }
  EXPECT_EQ(seen, 6) << "a trial written after the dashboard started is shown";
  auto page = client.Get("/");
  ASSERT_TRUE(page);
  EXPECT_EQ(page->status, 200);
  EXPECT_NE(page->body.find("assets/app.js"), std::string::npos);
  // No writes without --allow-writes: the study survives a DELETE.
  auto del = client.Delete("/api/studies/1");
  ASSERT_TRUE(del);
  EXPECT_EQ(del->status, 403);
  EXPECT_NE(del->body.find("--allow-writes"), std::string::npos) << del->body;
  Result stopped = stop_dashboard(SIGTERM);
  EXPECT_EQ(stopped.code, 0) << stopped.err;
  Result listed = run({"studies", "--storage", db_, "--format", "json"});
  EXPECT_NE(listed.out.find("\"lin\""), std::string::npos);

  ASSERT_FALSE(start_dashboard({}).empty());
  EXPECT_EQ(stop_dashboard(SIGINT).code, 130);
}

TEST_F(DashboardCli, BeyondLoopbackEveryRequestNeedsTheToken) {
  write_linear_study(5);
  const std::string url = start_dashboard({"--host", "0.0.0.0"});
  ASSERT_FALSE(url.empty());
  std::smatch m;
  const std::regex token_re("\\?token=([0-9a-f]{32})$");
  ASSERT_TRUE(std::regex_search(url, m, token_re)) << "a token is generated and printed: " << url;
  const std::string token = m[1];
  httplib::Client client("127.0.0.1", port_of(url));
  auto anonymous = client.Get("/api/studies");
  ASSERT_TRUE(anonymous);
  EXPECT_EQ(anonymous->status, 401);
  auto asset = client.Get("/assets/app.js");
  ASSERT_TRUE(asset);
  EXPECT_EQ(asset->status, 401);
  auto authorized = client.Get("/api/studies", {{"Authorization", "Bearer " + token}});
  ASSERT_TRUE(authorized);
  EXPECT_EQ(authorized->status, 200);
  EXPECT_EQ(stop_dashboard(SIGTERM).code, 0);

  // A chosen token from the environment is used as given.
  ::setenv("AUTOGLM_DASHBOARD_TOKEN", "s3cret-token", 1);
  const std::string url2 = start_dashboard({"--host", "0.0.0.0"});
  ::unsetenv("AUTOGLM_DASHBOARD_TOKEN");
  EXPECT_NE(url2.find("?token=s3cret-token"), std::string::npos) << url2;
  httplib::Client client2("127.0.0.1", port_of(url2));
  auto ok = client2.Get("/api/studies", {{"Authorization", "Bearer s3cret-token"}});
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status, 200);
}

TEST_F(DashboardCli, DashboardRefusesBadInputBeforeServing) {
  Result missing = run({"dashboard", "--storage", "sqlite:///" + (dir_ / "none.db").string(), "--port", "0"});
  EXPECT_EQ(missing.code, 2);
  EXPECT_NE(missing.err.find("does not exist"), std::string::npos) << missing.err;
  EXPECT_FALSE(fs::exists(dir_ / "none.db")) << "nothing is created by a typo";
  write_linear_study(1);
  Result port = run({"dashboard", "--storage", db_, "--port", "70000"});
  EXPECT_EQ(port.code, 2);
  EXPECT_NE(port.err.find("--port"), std::string::npos) << port.err;
  // A port in use: one line naming it.
  const std::string url = start_dashboard({});
  ASSERT_FALSE(url.empty());
  Result busy = run({"dashboard", "--storage", db_, "--port", std::to_string(port_of(url))});
  EXPECT_EQ(busy.code, 2) << busy.err;
  EXPECT_NE(busy.err.find(std::to_string(port_of(url))), std::string::npos) << busy.err;
}

}  // namespace
}  // namespace autoglm_e2e
