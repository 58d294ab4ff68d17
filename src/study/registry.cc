// Registry of samplers and pruners by name (DESIGN.md: explicit registration by
// register_builtins(), no static initializers).
#include <mutex>

#include "autoglm/auto_sampler.h"
#include "autoglm/error.h"
#include "autoglm/gp_sampler.h"
#include "autoglm/nsga2_sampler.h"
#include "autoglm/pruner.h"
#include "autoglm/pruners.h"
#include "autoglm/sampler.h"
#include "autoglm/samplers.h"
#include "common/options.h"

namespace autoglm {
namespace {

struct Registry {
  std::mutex mutex;  // guards both maps
  std::map<std::string, SamplerFactory> samplers;
  std::map<std::string, PrunerFactory> pruners;
};

Registry& registry() {
  static Registry r;
  return r;
}

// A spec is either a bare name ("tpe") or a mapping with "name" and options.
std::pair<std::string, nlohmann::json> split_spec(const nlohmann::json& spec, const char* what) {
  if (spec.is_string()) return {spec.get<std::string>(), nlohmann::json::object()};
  if (spec.is_object() && spec.contains("name") && spec.at("name").is_string())
    return {spec.at("name").get<std::string>(), spec};
  throw ConfigError(std::string(what) + " must be a name or a mapping with a 'name' key, e.g. {name: tpe, seed: 0}; got " +
                    spec.dump());
}

template <class Factory>
Factory find_factory(std::map<std::string, Factory>& m, const std::string& name, const char* what) {
  auto it = m.find(name);
  if (it == m.end()) {
    std::vector<std::string> names;
    for (const auto& [k, v] : m) names.push_back(k);
    throw ConfigError(std::string("unknown ") + what + " '" + name + "'" + did_you_mean(name, names));
  }
  return it->second;
}

}  // namespace

void register_sampler(const std::string& name, SamplerFactory factory) {
  std::lock_guard lock(registry().mutex);
  registry().samplers[name] = std::move(factory);
}

void register_pruner(const std::string& name, PrunerFactory factory) {
  std::lock_guard lock(registry().mutex);
  registry().pruners[name] = std::move(factory);
}

std::vector<std::string> registered_samplers() {
  register_builtins();
  std::lock_guard lock(registry().mutex);
  std::vector<std::string> out;
  for (const auto& [k, v] : registry().samplers) out.push_back(k);
  return out;
}

std::vector<std::string> registered_pruners() {
  register_builtins();
  std::lock_guard lock(registry().mutex);
  std::vector<std::string> out;
  for (const auto& [k, v] : registry().pruners) out.push_back(k);
  return out;
}

void register_builtins() {
  static std::once_flag once;
  std::call_once(once, [] {
    register_sampler("random", make_random_sampler);
    register_sampler("tpe", make_tpe_sampler);
    register_sampler("grid", make_grid_sampler);
    register_sampler("qmc", make_qmc_sampler);
    register_sampler("cmaes", make_cmaes_sampler);
    register_sampler("gp", make_gp_sampler);
    register_sampler("auto", make_auto_sampler);
    register_sampler("nsga2", make_nsga2_sampler); register_sampler("nsgaii", make_nsga2_sampler);
    register_pruner("nop", make_nop_pruner);
    register_pruner("none", make_nop_pruner);
    register_pruner("median", make_median_pruner);
    register_pruner("percentile", make_percentile_pruner);
    register_pruner("successive_halving", make_successive_halving_pruner);
    register_pruner("asha", make_successive_halving_pruner);
    register_pruner("hyperband", make_hyperband_pruner);
    register_pruner("threshold", make_threshold_pruner);
    register_pruner("patient", [](const nlohmann::json& o) { return make_patient_pruner(o, make_pruner); });
  });
}

std::unique_ptr<Sampler> make_sampler(const nlohmann::json& spec) {
  register_builtins();
  auto [name, options] = split_spec(spec, "sampler");
  SamplerFactory f;
  {
    std::lock_guard lock(registry().mutex);
    f = find_factory(registry().samplers, name, "sampler");
  }
  return f(options);
}

std::unique_ptr<Pruner> make_pruner(const nlohmann::json& spec) {
  register_builtins();
  auto [name, options] = split_spec(spec, "pruner");
  PrunerFactory f;
  {
    std::lock_guard lock(registry().mutex);
    f = find_factory(registry().pruners, name, "pruner");
  }
  return f(options);
}

}  // namespace autoglm
