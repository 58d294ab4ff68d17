// make_*_pruner: build the built-in pruners from a JSON options object (a config mapping). Range
// checks live in the pruner constructors; here only keys and types are read.
#include <string>

#include "autoglm/pruners.h"
#include "common/options.h"
#include "pruner/validate.h"

namespace autoglm {

namespace {

/// A resource option: a positive integer or the string "auto" (-> nullopt). Absent: `fallback`.
std::optional<int64_t> read_resource(OptionReader& r, const std::string& key, std::optional<int64_t> fallback,
                                     bool auto_allowed) {
  const nlohmann::json v = r.get<nlohmann::json>(key, nlohmann::json());
  if (v.is_null()) return fallback;
  if (v.is_string()) {
    if (auto_allowed && v.get<std::string>() == "auto") return std::nullopt;
    r.fail(key, std::string("must be a positive integer (steps)") + (auto_allowed ? " or \"auto\"" : "") +
                    ", got " + v.dump());
  }
  if (!v.is_number_integer())
    r.fail(key, std::string("must be a positive integer (steps)") + (auto_allowed ? " or \"auto\"" : "") +
                    ", got " + v.dump());
  return v.get<int64_t>();
}

}  // namespace

std::unique_ptr<Pruner> make_nop_pruner(const nlohmann::json& options) {
  OptionReader r(options, "pruner 'nop'");
  r.finish();
  return std::make_unique<NopPruner>();
}

std::unique_ptr<Pruner> make_median_pruner(const nlohmann::json& options) {
  OptionReader r(options, "pruner 'median'");
  MedianPrunerOptions o;
  o.n_startup_trials = r.get<int>("n_startup_trials", o.n_startup_trials);
  o.n_warmup_steps = r.get<int64_t>("n_warmup_steps", o.n_warmup_steps);
  o.interval_steps = r.get<int64_t>("interval_steps", o.interval_steps);
  o.n_min_trials = r.get<int>("n_min_trials", o.n_min_trials);
  r.finish();
  return std::make_unique<MedianPruner>(o);
}

std::unique_ptr<Pruner> make_percentile_pruner(const nlohmann::json& options) {
  OptionReader r(options, "pruner 'percentile'");
  PercentilePrunerOptions o;
  const std::optional<double> percentile = r.get_optional<double>("percentile");
  o.n_startup_trials = r.get<int>("n_startup_trials", o.n_startup_trials);
  o.n_warmup_steps = r.get<int64_t>("n_warmup_steps", o.n_warmup_steps);
  o.interval_steps = r.get<int64_t>("interval_steps", o.interval_steps);
  o.n_min_trials = r.get<int>("n_min_trials", o.n_min_trials);
  r.finish();
  if (!percentile)
    r.fail("percentile", "is required: a number between 0 and 100, e.g. 25.0 keeps the best quarter of the trials "
                         "at each step (or use the 'median' pruner)");
  o.percentile = *percentile;
  return std::make_unique<PercentilePruner>(o);
}

std::unique_ptr<Pruner> make_successive_halving_pruner(const nlohmann::json& options) {
  OptionReader r(options, "pruner 'successive_halving'");
  SuccessiveHalvingPrunerOptions o;
  o.min_resource = read_resource(r, "min_resource", o.min_resource, /*auto_allowed=*/true);
  o.reduction_factor = r.get<int>("reduction_factor", o.reduction_factor);
  o.min_early_stopping_rate = r.get<int>("min_early_stopping_rate", o.min_early_stopping_rate);
  o.bootstrap_count = r.get<int>("bootstrap_count", o.bootstrap_count);
  r.finish();
  return std::make_unique<SuccessiveHalvingPruner>(o);
}

std::unique_ptr<Pruner> make_hyperband_pruner(const nlohmann::json& options) {
  OptionReader r(options, "pruner 'hyperband'");
  HyperbandPrunerOptions o;
  o.min_resource = *read_resource(r, "min_resource", o.min_resource, /*auto_allowed=*/false);
  o.max_resource = read_resource(r, "max_resource", o.max_resource, /*auto_allowed=*/true);
  o.reduction_factor = r.get<int>("reduction_factor", o.reduction_factor);
  o.bootstrap_count = r.get<int>("bootstrap_count", o.bootstrap_count);
  r.finish();
  return std::make_unique<HyperbandPruner>(o);
}

}  // namespace autoglm
