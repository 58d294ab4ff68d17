#include "dashboard/fixtures.h"

#include <cmath>
#include <random>

namespace testing_util {

using namespace autoglm;

Clock::time_point fixture_epoch() { return parse_time("2026-01-01T00:00:00.000000Z"); }

namespace {

FrozenTrial base_trial(int number) {
  FrozenTrial t;
  t.datetime_start = fixture_epoch() + std::chrono::seconds(number);
  t.datetime_complete = *t.datetime_start + std::chrono::milliseconds(500 + number);
  return t;
}

void set_param(FrozenTrial& t, const std::string& name, const Distribution& d, const ParamValue& v) {
  t.distributions[name] = d;
  t.params[name] = to_internal(d, v, name);
}

void write_single(Storage& storage) {
  const int64_t study = storage.create_new_study(kSingleStudy, {StudyDirection::MINIMIZE});
  storage.set_study_system_attr(study, "objective_names", nlohmann::json::array({"loss"}));
  storage.set_study_user_attr(study, "owner", "<i>Zoë</i> & \"team\" 🚀");
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  const Distribution dx = FloatDistribution{-5.0, 5.0};
  const Distribution dy = IntDistribution{0, 10};
  const Distribution dlr = FloatDistribution{1e-5, 1e-1, true};
  const Distribution dopt = CategoricalDistribution{{std::string("adam"), std::string("sgd"),
                                                     std::string("<script>alert(1)</script>")}};
  for (int n = 0; n < kSingleTrials; ++n) {
    FrozenTrial t = base_trial(n);
    const double x = -5.0 + 10.0 * u(rng);
    const int64_t y = static_cast<int64_t>(u(rng) * 10.999);
    const double lr = std::exp(std::log(1e-5) + u(rng) * (std::log(1e-1) - std::log(1e-5)));
    const int opt = static_cast<int>(u(rng) * 2.999);
    set_param(t, "x", dx, x);
    set_param(t, "y", dy, y);
    set_param(t, "lr", dlr, lr);
    set_param(t, "opt", dopt, std::get<CategoricalDistribution>(dopt).choices[opt]);
    const double value = (x - 1.0) * (x - 1.0) + 0.1 * static_cast<double>(y) + 0.01 * u(rng);
    t.user_attrs["tag"] = "<img src=x onerror=alert(1)> \"trial\" #" + std::to_string(n) + " ✓";
    t.system_attrs["worker.host"] = n % 2 ? "node-b" : "node-a";
    t.system_attrs["worker.pid"] = 1000 + n % 2;
    t.system_attrs["worker.start_time"] = 1;
    t.system_attrs["gpus"] = nlohmann::json::array({n % 2});
    auto curve = [&](int last_step) {
      for (int s = 0; s <= last_step; ++s) t.intermediate_values[s] = value + 5.0 / (1.0 + s);
    };
    if (n == 59) {  // enqueued, not started
      t.state = TrialState::WAITING;
      t.datetime_start.reset();
      t.datetime_complete.reset();
    } else if (n == 58) {
      t.state = TrialState::RUNNING;
      t.datetime_start = Clock::now() - std::chrono::seconds(5);
      t.datetime_complete.reset();
      t.last_heartbeat = Clock::now();
      t.system_attrs["gpus"] = nlohmann::json::array({1});
      curve(2);
    } else if (n == 15 || n == 25 || n == 35) {
      t.state = TrialState::FAIL;
      t.system_attrs["fail_reason"] = "exit status 1 <stderr>";
      t.system_attrs["log_tail"] = "Traceback: <boom> & more\n";
    } else if (n % 10 == 0 && n > 0) {
      t.state = TrialState::PRUNED;
      const int stop = 3 + n / 10;
      curve(stop);
      t.values = {t.intermediate_values[stop]};
    } else {
      t.state = TrialState::COMPLETE;
      t.values = {value};
      curve(9);
    }
    storage.create_new_trial(study, t);
  }
}

void write_multi(Storage& storage) {
  const int64_t study = storage.create_new_study(kMultiStudy, {StudyDirection::MINIMIZE, StudyDirection::MAXIMIZE});
  storage.set_study_system_attr(study, "objective_names", nlohmann::json::array({"error", "accuracy"}));
  std::mt19937_64 rng(11);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  const Distribution d = FloatDistribution{0.0, 1.0};
  for (int n = 0; n < kMultiTrials; ++n) {
    FrozenTrial t = base_trial(n);
    const double a = u(rng), b = u(rng);
    set_param(t, "a", d, a);
    set_param(t, "b", d, b);
    if (n == 5 || n == 17) {
      t.state = TrialState::FAIL;
    } else if (n == 9) {
      t.state = TrialState::PRUNED;
      t.intermediate_values[0] = 0.5;
    } else {
      t.state = TrialState::COMPLETE;
      t.values = {a, 1.0 - a * a - 0.3 * b};
    }
    storage.create_new_trial(study, t);
  }
}

}  // namespace

void write_dashboard_fixtures(Storage& storage) {
  write_single(storage);
  write_multi(storage);
}

void write_large_study(Storage& storage, const std::string& name, int n_trials) {
  const int64_t study = storage.create_new_study(name, {StudyDirection::MINIMIZE});
  std::mt19937_64 rng(3);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  const Distribution d = FloatDistribution{0.0, 1.0};
  for (int n = 0; n < n_trials; ++n) {
    FrozenTrial t = base_trial(n);
    double value = 0.0;
    for (int k = 0; k < 10; ++k) {
      const double x = u(rng);
      set_param(t, "x" + std::to_string(k), d, x);
      value += (k + 1) * x * x;
    }
    value += 0.01 * u(rng);
    t.state = TrialState::COMPLETE;
    t.values = {value};
    t.system_attrs["worker.host"] = "node-" + std::to_string(n % 4);
    t.system_attrs["worker.pid"] = 100 + n % 4;
    if (n % 10 == 0)
      for (int s = 0; s < 5; ++s) t.intermediate_values[s] = value + 1.0 / (1.0 + s);
    storage.create_new_trial(study, t);
  }
}

}  // namespace testing_util
