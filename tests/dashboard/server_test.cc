// DashboardServer over real sockets (cpp-httplib's client against 127.0.0.1 / 0.0.0.0).
#include <httplib.h>

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <thread>

#include "autoglm/dashboard.h"
#include "autoglm/error.h"
#include "dashboard/assets.h"
#include "dashboard/fixtures.h"

namespace {

using json = nlohmann::json;
namespace fs = std::filesystem;
using namespace autoglm;

/// A server on a free port, served on a thread until destroyed.
class Running {
 public:
  Running(std::shared_ptr<Storage> storage, DashboardOptions options) : server_(std::move(storage), std::move(options)) {
    port_ = server_.bind();
    thread_ = std::thread([this] { server_.serve(); });
  }
  ~Running() {
    server_.stop();
    thread_.join();
  }
  int port() const { return port_; }

 private:
  DashboardServer server_;
  int port_ = -1;
  std::thread thread_;
};

class ServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ::unsetenv(kDashboardTokenEnv);
    dir_ = fs::temp_directory_path() / ("autoglm-dash-server-" + std::to_string(::getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
    storage_ = open_storage("sqlite:///" + (dir_ / "s.db").string());
    testing_util::write_dashboard_fixtures(*storage_);
    single_ = storage_->get_study_id_from_name(testing_util::kSingleStudy);
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  DashboardOptions loopback() const {
    DashboardOptions o;
    o.host = "127.0.0.1";
    o.port = 0;
    return o;
  }

  fs::path dir_;
  std::shared_ptr<Storage> storage_;
  int64_t single_ = -1;
};

TEST_F(ServerTest, ServesEmbeddedAssetsWithTypesAndIdenticalBytes) {
  Running run(storage_, loopback());
  httplib::Client c("127.0.0.1", run.port());
  for (const auto& [path, name] : std::vector<std::pair<std::string, std::string>>{{"/", "index.html"},
                                                                                  {"/index.html", "index.html"},
                                                                                  {"/assets/app.js", "app.js"},
                                                                                  {"/assets/app.css", "app.css"},
                                                                                  {"/assets/plotly.min.js", "plotly.min.js"}}) {
    auto res = c.Get(path.c_str());
    ASSERT_TRUE(res) << path;
    EXPECT_EQ(res->status, 200) << path;
    const auto* asset = dashboard::find_asset(name);
    ASSERT_TRUE(asset);
    EXPECT_EQ(res->body, std::string(asset->data)) << path;
    EXPECT_EQ(res->get_header_value("Content-Type").rfind(std::string(asset->content_type), 0), 0u) << path;
    EXPECT_EQ(res->get_header_value("X-Content-Type-Options"), "nosniff");
    if (name == "index.html") {
      EXPECT_NE(res->get_header_value("Content-Security-Policy").find("default-src 'self'"), std::string::npos);
    } else {
      EXPECT_EQ(res->get_header_value("Cache-Control"), "max-age=86400");
    }
  }
  auto api = c.Get("/api/studies");
  ASSERT_TRUE(api);
  EXPECT_EQ(api->status, 200);
  EXPECT_EQ(api->get_header_value("Content-Type"), "application/json; charset=utf-8");
  EXPECT_EQ(api->get_header_value("Cache-Control"), "no-store");
  EXPECT_EQ(json::parse(api->body)["studies"].size(), 2u);
  auto history = c.Get(("/api/studies/" + std::to_string(single_) + "/history?max_points=10").c_str());
  ASSERT_TRUE(history);
  EXPECT_EQ(history->status, 200);
  EXPECT_LE(json::parse(history->body)["numbers"].size(), 10u);
  auto bad = c.Get(("/api/studies/" + std::to_string(single_) + "/history?max_points=x").c_str());
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->status, 400);
  EXPECT_TRUE(json::parse(bad->body)["error"].is_string());
}

TEST_F(ServerTest, UnknownPathsAndTraversalAre404) {
  Running run(storage_, loopback());
  httplib::Client c("127.0.0.1", run.port());
  for (const char* path : {"/../etc/passwd", "/assets/../../CMakeLists.txt", "/assets/%2e%2e%2fCMakeLists.txt",
                           "/etc/passwd", "/assets/", "/assets/index.html", "/assets/nope.js", "/CMakeLists.txt",
                           "/api/nope", "/api/studies/999", "/favicon.ico", "/assets/..%2f..%2fCMakeLists.txt"}) {
    auto res = c.Get(path);
    ASSERT_TRUE(res) << path;
    EXPECT_EQ(res->status, 404) << path;
    EXPECT_NO_THROW(json::parse(res->body)) << path << ": " << res->body;
    EXPECT_EQ(res->body.find("cmake_minimum_required"), std::string::npos);
    EXPECT_EQ(res->body.find("root:"), std::string::npos);
  }
  auto post = c.Post("/api/studies", "{}", "application/json");
  ASSERT_TRUE(post);
  EXPECT_EQ(post->status, 404);
}

TEST_F(ServerTest, TokenBeyondLoopback) {
  DashboardOptions o;
  o.host = "0.0.0.0";
  o.port = 0;
  EXPECT_THROW(DashboardServer(storage_, o), ConfigError);
  o.token = "s3cret-token";
  Running run(storage_, o);
  httplib::Client c("127.0.0.1", run.port());
  auto none = c.Get("/api/studies");
  ASSERT_TRUE(none);
  EXPECT_EQ(none->status, 401);
  EXPECT_TRUE(json::parse(none->body)["error"].is_string());
  auto page = c.Get("/");
  ASSERT_TRUE(page);
  EXPECT_EQ(page->status, 401);
  auto wrong = c.Get("/api/studies", {{"Authorization", "Bearer s3cret-tokeN"}});
  ASSERT_TRUE(wrong);
  EXPECT_EQ(wrong->status, 401);
  auto prefix = c.Get("/api/studies", {{"Authorization", "Bearer s3cret"}});
  ASSERT_TRUE(prefix);
  EXPECT_EQ(prefix->status, 401);
  auto ok = c.Get("/api/studies", {{"Authorization", "Bearer s3cret-token"}});
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status, 200);
  auto lower_scheme = c.Get("/api/studies", {{"Authorization", "bearer s3cret-token"}});  // RFC 7235
  ASSERT_TRUE(lower_scheme);
  EXPECT_EQ(lower_scheme->status, 200);
  auto wrong_query = c.Get("/?token=nope");
  ASSERT_TRUE(wrong_query);
  EXPECT_EQ(wrong_query->status, 401);
  EXPECT_FALSE(wrong_query->has_header("Set-Cookie"));
  auto query = c.Get("/?token=s3cret-token");
  ASSERT_TRUE(query);
  EXPECT_EQ(query->status, 200);
  const std::string cookie = query->get_header_value("Set-Cookie");
  EXPECT_NE(cookie.find("autoglm_token=s3cret-token"), std::string::npos);
  EXPECT_NE(cookie.find("HttpOnly"), std::string::npos);
  EXPECT_NE(cookie.find("SameSite=Strict"), std::string::npos);
  auto with_cookie = c.Get("/api/studies", {{"Cookie", "other=1; autoglm_token=s3cret-token"}});
  ASSERT_TRUE(with_cookie);
  EXPECT_EQ(with_cookie->status, 200);
  auto bad_cookie = c.Get("/api/studies", {{"Cookie", "autoglm_token=s3cret"}});
  ASSERT_TRUE(bad_cookie);
  EXPECT_EQ(bad_cookie->status, 401);
  // Beyond loopback any Host header is fine (the token protects it).
  auto foreign = c.Get("/api/studies", {{"Authorization", "Bearer s3cret-token"}, {"Host", "dash.example.org"}});
  ASSERT_TRUE(foreign);
  EXPECT_EQ(foreign->status, 200);
}

TEST_F(ServerTest, TokensMustBeUrlAndCookieSafe) {
  DashboardOptions o;
  o.host = "0.0.0.0";
  o.port = 0;
  for (const char* bad : {"a b;c=d", "short", "line\r\nbreak-token", "quote\"token1"}) {
    o.token = bad;
    EXPECT_THROW(DashboardServer(storage_, o), ConfigError) << bad;
  }
}

TEST_F(ServerTest, LoopbackIsDecidedOnResolvedAddresses) {
  EXPECT_TRUE(binds_to_loopback("127.0.0.1"));
  EXPECT_TRUE(binds_to_loopback("127.0.0.2"));
  EXPECT_TRUE(binds_to_loopback("localhost"));
  EXPECT_TRUE(binds_to_loopback("::1"));
  EXPECT_FALSE(binds_to_loopback("0.0.0.0"));
  EXPECT_FALSE(binds_to_loopback("::"));
  EXPECT_THROW(binds_to_loopback("no-such-host.invalid"), ConfigError);
  EXPECT_THROW(binds_to_loopback(""), ConfigError);
  // A server on another loopback address answers its own address as Host.
  DashboardOptions o = loopback();
  o.host = "127.0.0.2";
  Running run(storage_, o);
  httplib::Client c("127.0.0.2", run.port());
  auto res = c.Get("/api/studies");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200) << res->body;
}

TEST_F(ServerTest, TokenFromEnvironment) {
  ::setenv(kDashboardTokenEnv, "env-token", 1);
  DashboardOptions o;
  o.host = "0.0.0.0";
  o.port = 0;
  Running run(storage_, o);
  ::unsetenv(kDashboardTokenEnv);
  httplib::Client c("127.0.0.1", run.port());
  EXPECT_EQ(c.Get("/api/studies")->status, 401);
  EXPECT_EQ(c.Get("/api/studies", {{"Authorization", "Bearer env-token"}})->status, 200);
}

TEST_F(ServerTest, BadOptionsAndBindErrors) {
  DashboardOptions o = loopback();
  o.port = 70000;
  EXPECT_THROW(DashboardServer(storage_, o), ConfigError);
  o.port = -1;
  EXPECT_THROW(DashboardServer(storage_, o), ConfigError);
  Running run(storage_, loopback());
  DashboardOptions same = loopback();
  same.port = run.port();
  DashboardServer second(storage_, same);
  try {
    second.bind();
    FAIL() << "bound a port in use";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("127.0.0.1:" + std::to_string(run.port())), std::string::npos) << e.what();
  }
}

TEST_F(ServerTest, WriteRoutesNeedAllowWrites) {
  const std::string study = "/api/studies/" + std::to_string(single_);
  {
    Running run(storage_, loopback());
    httplib::Client c("127.0.0.1", run.port());
    auto put = c.Put((study + "/note").c_str(), R"({"note": "changed"})", "application/json");
    ASSERT_TRUE(put);
    EXPECT_EQ(put->status, 403);
    EXPECT_NE(json::parse(put->body)["error"].get<std::string>().find("--allow-writes"), std::string::npos);
    auto del = c.Delete(study.c_str());
    ASSERT_TRUE(del);
    EXPECT_EQ(del->status, 403);
    EXPECT_NE(json::parse(del->body)["error"].get<std::string>().find("--allow-writes"), std::string::npos);
    // Routes that do not exist are 404 whatever the method.
    for (const std::string path : {study + "/trials", study + "/note/x", std::string("/"), std::string("/api/studies")}) {
      auto p = c.Put(path.c_str(), "{}", "application/json");
      ASSERT_TRUE(p);
      EXPECT_EQ(p->status, 404) << "PUT " << path;
    }
    auto d = c.Delete((study + "/trials/1").c_str());
    ASSERT_TRUE(d);
    EXPECT_EQ(d->status, 404);
  }
  // Untouched.
  EXPECT_EQ(storage_->get_study_user_attrs(single_).count("note"), 0u);
  EXPECT_EQ(storage_->get_n_trials(single_), testing_util::kSingleTrials);

  DashboardOptions o = loopback();
  o.allow_writes = true;
  Running run(storage_, o);
  httplib::Client c("127.0.0.1", run.port());
  auto put = c.Put((study + "/note").c_str(), R"({"note": "changed ✓"})", "application/json");
  ASSERT_TRUE(put);
  EXPECT_EQ(put->status, 200) << put->body;
  EXPECT_EQ(storage_->get_study_user_attrs(single_).at("note"), "changed ✓");
  EXPECT_EQ(json::parse(c.Get(study.c_str())->body)["user_attrs"]["note"], "changed ✓");
  auto bad = c.Put((study + "/note").c_str(), "nope", "application/json");
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->status, 400);
  auto del = c.Delete(study.c_str());
  ASSERT_TRUE(del);
  EXPECT_EQ(del->status, 200) << del->body;
  EXPECT_THROW(storage_->get_study_name_from_id(single_), NotFoundError);
  EXPECT_EQ(c.Get(study.c_str())->status, 404);
  EXPECT_EQ(json::parse(c.Get("/api/studies")->body)["studies"].size(), 1u);
}

TEST_F(ServerTest, ForeignHostOnLoopbackIsRefused) {
  Running run(storage_, loopback());
  httplib::Client c("127.0.0.1", run.port());
  for (const char* host : {"evil.example.com", "evil.example.com:8080", "127.0.0.1.evil.com", "localhost.evil.com:1"}) {
    auto res = c.Get("/api/studies", {{"Host", host}});
    ASSERT_TRUE(res) << host;
    EXPECT_EQ(res->status, 403) << host;
    EXPECT_TRUE(json::parse(res->body)["error"].is_string());
    auto page = c.Get("/", {{"Host", host}});
    ASSERT_TRUE(page);
    EXPECT_EQ(page->status, 403);
  }
  for (const char* host : {"localhost", "localhost:8080", "127.0.0.1:1234", "[::1]:80", "LOCALHOST"}) {
    auto res = c.Get("/api/studies", {{"Host", host}});
    ASSERT_TRUE(res) << host;
    EXPECT_EQ(res->status, 200) << host;
  }
}

}  // namespace
