#include "config/multi_config.h"

#include <cmath>
#include <set>
#include <sstream>

#include "autoglm/ahp.h"
#include "autoglm/error.h"
#include "common/options.h"

namespace autoglm::config_internal {

namespace {

StudyDirection read_direction(const Source& src, const YAML::Node& node, const std::string& key) {
  const std::string s = read_string(src, node, key);
  if (s == "minimize" || s == "min") return StudyDirection::MINIMIZE;
  if (s == "maximize" || s == "max") return StudyDirection::MAXIMIZE;
  src.fail(node, key, "expected minimize or maximize, got '" + s + "'" + did_you_mean(s, {"minimize", "maximize"}));
}

double read_finite(const Source& src, const YAML::Node& node, const std::string& key) {
  const double v = read_double(src, node, key);
  if (!std::isfinite(v)) src.fail(node, key, "must be a finite number");
  return v;
}

// A pairwise judgement: a number (3, 0.333) or a fraction "1/3".
double read_judgement(const Source& src, const YAML::Node& node, const std::string& key) {
  if (node.IsScalar() && scalar_kind(node) == ScalarKind::kString) {
    const std::string& s = node.Scalar();
    const auto slash = s.find('/');
    if (slash != std::string::npos) {
      auto a = parse_number(s.substr(0, slash));
      auto b = parse_number(s.substr(slash + 1));
      if (a && b && *b != 0) return *a / *b;
    }
    src.fail(node, key, "expected a number or a fraction like \"1/3\", got '" + s + "'");
  }
  return read_double(src, node, key);
}

std::string short_number(double v) {
  std::ostringstream os;
  os << v;
  return os.str();
}

// "a list of 2" / "a mapping" ...: what a node is, with the size of a list.
std::string shape_of(const YAML::Node& node) {
  if (node.IsSequence()) return "a list of " + std::to_string(node.size());
  return describe(node);
}

}  // namespace

std::vector<ConstraintSpec> parse_constraints(const Source& src, const YAML::Node& node) {
  if (!node.IsSequence() || node.size() == 0)
    src.fail(node, "constraints",
             "expected a non-empty list like [{metric: latency_ms, max: 5}, {metric: recall, min: 0.9}], got " +
                 (node.IsSequence() ? std::string("an empty list") : describe(node)));
  std::vector<ConstraintSpec> out;
  size_t i = 0;
  for (const auto& item : node) {
    const std::string key = "constraints[" + std::to_string(i++) + "]";
    ConstraintSpec c;
    c.line = line_of(item);
    for (const Entry& e : read_mapping(src, item, key, {"metric", "min", "max"})) {
      const std::string k = key + "." + e.key;
      if (e.key == "metric") c.metric = read_string(src, e.value, k);
      else if (e.key == "min") c.min = read_finite(src, e.value, k);
      else c.max = read_finite(src, e.value, k);
    }
    if (c.metric.empty()) src.fail(item, key, "missing `metric`: the reported metric this constraint bounds");
    if (!c.min && !c.max) src.fail(item, key, "give `min` and/or `max` (feasible when min <= metric <= max)");
    if (c.min && c.max && *c.min > *c.max)
      src.fail(item, key, "min " + short_number(*c.min) + " is above max " + short_number(*c.max) + "; swap them");
    out.push_back(c);
  }
  return out;
}

ScoringConfig parse_scoring(const Source& src, const YAML::Node& node) {
  ScoringConfig s;
  YAML::Node metrics_node{YAML::NodeType::Undefined}, ahp_node{YAML::NodeType::Undefined},
      weights_node{YAML::NodeType::Undefined};
  double max_cr = 0.1;
  for (const Entry& e : read_mapping(src, node, "scoring", {"metrics", "ahp", "weights", "max_cr"})) {
    if (e.key == "metrics") metrics_node = e.value;
    else if (e.key == "ahp") ahp_node = e.value;
    else if (e.key == "weights") weights_node = e.value;
    else {
      max_cr = read_finite(src, e.value, "scoring.max_cr");
      if (max_cr < 0) src.fail(e.value, "scoring.max_cr", "must be >= 0 (Saaty recommends 0.1)");
    }
  }
  if (!metrics_node.IsDefined() || !metrics_node.IsSequence() || metrics_node.size() == 0)
    src.fail(metrics_node.IsDefined() ? metrics_node : node, "scoring.metrics",
             "expected a non-empty list like [{name: f1, direction: maximize, bounds: [0, 1]}, ...]");
  std::set<std::string> seen;
  size_t i = 0;
  for (const auto& item : metrics_node) {
    const std::string key = "scoring.metrics[" + std::to_string(i++) + "]";
    ScoringMetric m;
    bool has_direction = false;
    for (const Entry& e : read_mapping(src, item, key, {"name", "direction", "bounds"})) {
      const std::string k = key + "." + e.key;
      if (e.key == "name") {
        m.name = read_string(src, e.value, k);
      } else if (e.key == "direction") {
        m.direction = read_direction(src, e.value, k);
        has_direction = true;
      } else {
        if (!e.value.IsSequence() || e.value.size() != 2)
          src.fail(e.value, k, "expected [low, high], got " + shape_of(e.value));
        m.low = read_finite(src, e.value[0], k + "[0]");
        m.high = read_finite(src, e.value[1], k + "[1]");
        if (!(*m.high > *m.low)) src.fail(e.value, k, "high must be above low");
      }
    }
    if (m.name.empty()) src.fail(item, key, "missing `name`: a metric the trial reports in {\"metrics\": {...}}");
    if (!has_direction) src.fail(item, key, "missing `direction`: minimize or maximize (how '" + m.name + "' is better)");
    if (!seen.insert(m.name).second) src.fail(item, key, "metric '" + m.name + "' is listed twice");
    s.metrics.push_back(m);
  }
  std::vector<std::string> names;
  for (const auto& m : s.metrics) names.push_back(m.name);
  const size_t n = names.size();
  if (ahp_node.IsDefined() == weights_node.IsDefined())
    src.fail(node, "scoring",
             "give either `ahp` (an n x n pairwise comparison matrix on Saaty's 1-9 scale) or `weights` (one per "
             "metric), exactly one");
  if (weights_node.IsDefined()) {
    if (!weights_node.IsSequence() || weights_node.size() != n)
      src.fail(weights_node, "scoring.weights", "expected a list of " + std::to_string(n) + " weights (one per metric), got " +
                                                    shape_of(weights_node));
    std::vector<double> plain;
    for (size_t k = 0; k < n; ++k) plain.push_back(read_finite(src, weights_node[k], "scoring.weights[" + std::to_string(k) + "]"));
    try {
      s.weights = normalize_weights(plain, names);
    } catch (const ConfigError& e) {
      src.fail(weights_node, "scoring.weights", e.what());
    }
    return s;
  }
  if (!ahp_node.IsSequence() || ahp_node.size() != n)
    src.fail(ahp_node, "scoring.ahp",
             "expected " + std::to_string(n) + " rows (one per metric, in the order of scoring.metrics), got " +
                 shape_of(ahp_node));
  std::vector<std::vector<double>> matrix;
  for (size_t r = 0; r < n; ++r) {
    const YAML::Node row = ahp_node[r];
    const std::string rk = "scoring.ahp[" + std::to_string(r) + "]";
    if (!row.IsSequence() || row.size() != n)
      src.fail(row, rk, "expected a row of " + std::to_string(n) + " judgements, got " + shape_of(row));
    std::vector<double> values;
    for (size_t c = 0; c < n; ++c) values.push_back(read_judgement(src, row[c], rk + "[" + std::to_string(c) + "]"));
    matrix.push_back(values);
  }
  try {
    AhpResult r = ahp_weights(matrix, names, max_cr);
    s.weights = r.weights;
    s.ahp = r;
  } catch (const ConfigError& e) {
    // ahp_weights names its bound after its parameter; in YAML it is scoring.max_cr.
    std::string msg = e.what();
    for (auto at = msg.find("max_consistency_ratio"); at != std::string::npos; at = msg.find("max_consistency_ratio"))
      msg.replace(at, std::string("max_consistency_ratio").size(), "scoring.max_cr");
    src.fail(ahp_node, "scoring.ahp", msg);
  }
  return s;
}

}  // namespace autoglm::config_internal
