// render_report: one self-contained HTML file with the app, plotly.js and the baked API answers.
#include <gtest/gtest.h>

#include <algorithm>

#include "autoglm/dashboard.h"
#include "autoglm/error.h"
#include "dashboard/assets.h"
#include "dashboard/fixtures.h"

namespace {

using json = nlohmann::json;
using namespace autoglm;

/// The JSON of the #autoglm-data script, unescaped (\u003c etc. are JSON escapes: parse does it).
json baked_data(const std::string& html) {
  const std::string open = "<script type=\"application/json\" id=\"autoglm-data\">";
  auto b = html.find(open);
  EXPECT_NE(b, std::string::npos);
  if (b == std::string::npos) return nullptr;
  b += open.size();
  auto e = html.find("</script>", b);
  EXPECT_NE(e, std::string::npos);
  return json::parse(html.substr(b, e - b));
}

class ReportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    storage_ = open_storage(":memory:");
    testing_util::write_dashboard_fixtures(*storage_);
  }
  std::shared_ptr<Storage> storage_;
};

TEST_F(ReportTest, SingleObjectiveReportIsSelfContainedAndEscaped) {
  const std::string html = render_report(*storage_, testing_util::kSingleStudy);
  const int64_t id = storage_->get_study_id_from_name(testing_util::kSingleStudy);
  // The HTML in user attrs, names and choices appears escaped only.
  EXPECT_EQ(html.find("<script>alert"), std::string::npos);
  EXPECT_EQ(html.find("<img src=x"), std::string::npos);
  EXPECT_EQ(html.find("<b>&amp;</b>"), std::string::npos);
  EXPECT_EQ(html.find("<i>Zo"), std::string::npos);
  EXPECT_EQ(html.find("<boom>"), std::string::npos);
  EXPECT_NE(html.find("\\u003cscript\\u003ealert(1)\\u003c/script\\u003e"), std::string::npos);
  // Everything inlined: no asset references left, plotly's bytes present.
  EXPECT_EQ(html.find("src=\"assets/"), std::string::npos);
  EXPECT_EQ(html.find("href=\"assets/"), std::string::npos);
  EXPECT_EQ(html.find("<!--AUTOGLM_DATA-->"), std::string::npos);
  const auto* plotly = dashboard::find_asset("plotly.min.js");
  ASSERT_TRUE(plotly);
  EXPECT_GT(html.size(), plotly->data.size());
  EXPECT_NE(html.find(std::string(plotly->data.substr(0, 200))), std::string::npos);

  json data = baked_data(html);
  EXPECT_EQ(data["mode"], "report");
  EXPECT_EQ(data["study_id"], id);
  const json& r = data["responses"];
  const std::string base = "/api/studies/" + std::to_string(id);
  for (const std::string& key : {std::string("/api/studies"), base, base + "/history", base + "/intermediate",
                                 base + "/params", base + "/importance?interactions=1", base + "/timeline",
                                 base + "/trials?limit=1000"})
    EXPECT_TRUE(r.contains(key)) << key;
  EXPECT_FALSE(r.contains(base + "/pareto"));
  EXPECT_FALSE(r.contains(base + "/history?objective=0"));
  for (int n = 0; n < testing_util::kSingleTrials; ++n) EXPECT_TRUE(r.contains(base + "/trials/" + std::to_string(n))) << n;
  EXPECT_EQ(r["/api/studies"]["studies"].size(), 1u);  // the other study is not leaked
  EXPECT_EQ(r[base]["name"], testing_util::kSingleStudy);
  EXPECT_EQ(r[base + "/trials/3"]["user_attrs"]["tag"], "<img src=x onerror=alert(1)> \"trial\" #3 ✓");
  EXPECT_EQ(r[base + "/history"]["n_complete"], testing_util::kSingleComplete);
  EXPECT_EQ(r[base + "/trials?limit=1000"]["trials"].size(), 60u);
  EXPECT_TRUE(r[base + "/importance?interactions=1"].contains("error"));
}

TEST_F(ReportTest, MultiObjectiveReportBakesEveryObjective) {
  const std::string html = render_report(*storage_, testing_util::kMultiStudy);
  const int64_t id = storage_->get_study_id_from_name(testing_util::kMultiStudy);
  const std::string base = "/api/studies/" + std::to_string(id);
  json r = baked_data(html)["responses"];
  for (const std::string& key : {base + "/history", base + "/history?objective=1", base + "/params",
                                 base + "/params?objective=1", base + "/importance?interactions=1",
                                 base + "/importance?objective=1&interactions=1", base + "/pareto"})
    EXPECT_TRUE(r.contains(key)) << key;
  EXPECT_EQ(r[base + "/history?objective=1"]["direction"], "maximize");
  EXPECT_EQ(r[base + "/importance?objective=1&interactions=1"]["objective"], 1);
}

TEST_F(ReportTest, ClosingTagsInDataAndScriptsAreEscaped) {
  const int64_t id = storage_->create_new_study("tricky </script><script>alert(2)</script> \u2028", {StudyDirection::MINIMIZE});
  FrozenTrial t;
  t.state = TrialState::COMPLETE;
  t.values = {1.0};
  t.user_attrs["x"] = "</script><!-- & \u2029";
  storage_->create_new_trial(id, t);
  const std::string html = render_report(*storage_, "tricky </script><script>alert(2)</script> \u2028");
  EXPECT_EQ(html.find("alert(2)</script>"), std::string::npos);
  EXPECT_EQ(html.find("\u2028"), std::string::npos);
  EXPECT_EQ(html.find("\u2029"), std::string::npos);
  json data = baked_data(html);
  EXPECT_EQ(data["responses"]["/api/studies/" + std::to_string(id) + "/trials/0"]["user_attrs"]["x"],
            "</script><!-- & \u2029");
}

TEST_F(ReportTest, LargeStudiesBakeTheBestThousandAndTheBestTrial) {
  testing_util::write_large_study(*storage_, "large", 1500);
  const int64_t id = storage_->get_study_id_from_name("large");
  const std::string base = "/api/studies/" + std::to_string(id);
  const json r = baked_data(render_report(*storage_, "large"))["responses"];
  const json& page = r[base + "/trials?limit=1000"];
  ASSERT_EQ(page["trials"].size(), 1000u);
  EXPECT_EQ(page["total"], 1500) << "the study's count stays visible";
  const int best = r[base]["best_trial"]["number"];
  EXPECT_EQ(page["trials"][0]["number"], best) << "the best 1,000 by value, best first";
  double worst_kept = 0;
  for (const auto& row : page["trials"]) worst_kept = std::max(worst_kept, row["values"][0].get<double>());
  int better_left_out = 0;
  for (const auto& t : storage_->get_all_trials(id)) better_left_out += t.values[0] < worst_kept && t.number >= 0 &&
      std::none_of(page["trials"].begin(), page["trials"].end(), [&](const json& row) { return row["number"] == t.number; });
  EXPECT_EQ(better_left_out, 0);
  EXPECT_TRUE(r.contains(base + "/trials/" + std::to_string(best)));
}

TEST_F(ReportTest, UnknownStudyThrowsNotFound) {
  EXPECT_THROW(render_report(*storage_, "no such study"), NotFoundError);
}

}  // namespace
