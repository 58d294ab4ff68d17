// autoglm._core: the pybind11 extension module behind the `autoglm` Python package.
//
// Thin by design (DESIGN.md, bindings/python/): it exposes the C++ Study, Trial and Storage with
// plain Python values (dicts, lists, str states) and leaves Optuna's object model (FrozenTrial,
// distributions, samplers, pruners, logging) to the pure-Python package. Every call that reaches
// the engine (sampling, storage reads and writes, the optimize loop) runs with the GIL released;
// the objective and callbacks re-acquire it. C++ errors become the Python exceptions of
// autoglm.exceptions with the same message (translator below).
#include <functional>
#include <optional>

#include <pybind11/chrono.h>
#include <pybind11/functional.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include "autoglm/error.h"
#include "autoglm/importance.h"
#include "autoglm/pruner.h"
#include "autoglm/sampler.h"
#include "autoglm/storage.h"
#include "autoglm/study.h"
#include "convert.h"

namespace py = pybind11;
using namespace pybind11::literals;

namespace autoglm::python {
namespace {

/// Runs `f` with the GIL released and returns its result.
template <class F>
auto nogil(F&& f) {
  py::gil_scoped_release release;
  return f();
}

/// Raises autoglm.exceptions.<name>(message).
void raise_as(const char* name, const char* message) {
  py::object type = py::module_::import("autoglm.exceptions").attr(name);
  PyErr_SetString(type.ptr(), message);
}

void translate(std::exception_ptr p) {
  try {
    if (p) std::rethrow_exception(p);
  } catch (const NotFoundError& e) {
    raise_as("NotFoundError", e.what());
  } catch (const DuplicatedStudyError& e) {
    raise_as("DuplicatedStudyError", e.what());
  } catch (const UpdateFinishedTrialError& e) {
    raise_as("UpdateFinishedTrialError", e.what());
  } catch (const StorageError& e) {
    raise_as("StorageError", e.what());
  } catch (const ConfigError& e) {
    raise_as("ConfigError", e.what());
  } catch (const Error& e) {
    raise_as("AutoGLMError", e.what());
  } catch (const TrialPruned& e) {
    raise_as("TrialPruned", e.what());
  }
}

std::unique_ptr<Sampler> sampler_from(const py::object& spec) {
  if (spec.is_none()) return nullptr;
  return make_sampler(py_to_json(spec, "sampler spec"));
}

std::unique_ptr<Pruner> pruner_from(const py::object& spec) {
  if (spec.is_none()) return nullptr;
  return make_pruner(py_to_json(spec, "pruner spec"));
}

std::vector<TrialState> states_from(const std::vector<std::string>& names) {
  std::vector<TrialState> out;
  for (const auto& n : names) out.push_back(trial_state_from_string(n));
  return out;
}

py::list trials_to_py(const std::vector<FrozenTrial>& trials) {
  py::list out;
  for (const auto& t : trials) out.append(frozen_to_py(t));
  return out;
}

py::dict attrs_to_py(const std::map<std::string, nlohmann::json>& attrs) {
  py::dict out;
  for (const auto& [k, v] : attrs) out[py::str(k)] = json_to_py(v);
  return out;
}

/// Study.optimize with a Python objective. `run(trial)` is the package's wrapper around the user's
/// objective; it never raises and returns one of
///   ("ok", [values...])  the trial COMPLETEs with these values (NaN or a wrong count -> FAIL);
///   ("pruned", None)     the trial is PRUNED;
///   ("fail", reason)     the trial FAILs with `reason` (the traceback) and the study goes on;
///   ("stop", reason)     the trial FAILs with `reason` and no new trial starts (the package
///                        re-raises the objective's exception once optimize returns).
/// `on_done(frozen_dict)` is called after each finished trial, with the GIL held.
void optimize(Study& study, const py::function& run, std::optional<int> n_trials, std::optional<double> timeout,
              int n_jobs, const py::object& on_done) {
  // A Python error the package's wrappers did not catch themselves (e.g. a KeyboardInterrupt
  // delivered before the wrapper's try block): the trial FAILs, no new trial starts, and the
  // error is raised from optimize. GUARDED_BY the GIL.
  std::optional<py::error_already_set> py_error;
  OptimizeOptions options;
  options.n_trials = n_trials;
  options.timeout_seconds = timeout;
  options.n_jobs = n_jobs;
  if (!on_done.is_none()) {
    options.callbacks.push_back([&on_done, &py_error, &study](Study&, const FrozenTrial& done) {
      py::gil_scoped_acquire gil;
      try {
        on_done(frozen_to_py(done));
      } catch (py::error_already_set& e) {
        if (!py_error) py_error = e;
        study.stop();
      }
    });
  }
  MultiObjective objective = [&run, &study, &py_error](Trial& trial) -> std::vector<double> {
    std::string kind, reason;
    std::vector<double> values;
    {
      py::gil_scoped_acquire gil;
      try {
        py::tuple r = run(py::cast(&trial, py::return_value_policy::reference));
        kind = r[0].cast<std::string>();
        if (kind == "ok") values = r[1].cast<std::vector<double>>();
        else if (kind != "pruned") reason = r[1].cast<std::string>();
      } catch (py::error_already_set& e) {
        kind = "stop";
        reason = e.what();
        if (!py_error) py_error = e;
      }
    }
    if (kind == "ok") return values;
    if (kind == "pruned") throw TrialPruned();
    if (kind == "stop") study.stop();
    throw std::runtime_error(reason);
  };
  {
    py::gil_scoped_release release;
    study.optimize(objective, options);
  }
  if (py_error) throw *py_error;
}

ImportanceOptions importance_options(const std::string& evaluator, const std::optional<std::vector<std::string>>& params,
                                     int objective_index, int n_trees, int max_depth, uint64_t seed,
                                     double baseline_quantile, bool evaluate_on_local) {
  ImportanceOptions o;
  o.evaluator = importance_evaluator_from_string(evaluator);
  o.params = params;
  o.objective_index = objective_index;
  o.n_trees = n_trees;
  o.max_depth = max_depth;
  o.seed = seed;
  o.baseline_quantile = baseline_quantile;
  o.evaluate_on_local = evaluate_on_local;
  return o;
}

}  // namespace
}  // namespace autoglm::python

PYBIND11_MODULE(_core, m) {
  using namespace autoglm;
  using namespace autoglm::python;
  m.doc() = "C++ engine of Open-AutoGLM; use the `autoglm` package, not this module directly.";
  register_builtins();
  py::register_exception_translator(&translate);

  py::class_<Storage, std::shared_ptr<Storage>>(m, "Storage")
      .def_property_readonly("url", &Storage::url)
      .def("study_summaries", [](Storage& s) {
        auto all = nogil([&] { return s.get_all_studies(); });
        py::list out;
        for (const auto& summary : all) out.append(summary_to_py(summary));
        return out;
      })
      .def("delete_study", [](Storage& s, const std::string& name) {
        nogil([&] {
          s.delete_study(s.get_study_id_from_name(name));
          return 0;
        });
      });
  m.def(
      "open_storage",
      [](const std::string& url, bool read_only) {
        return nogil([&] { return open_storage(url, StorageOpenOptions{.read_only = read_only}); });
      },
      "url"_a, "read_only"_a = false);

  py::class_<Trial>(m, "Trial")
      .def_property_readonly("number", &Trial::number)
      .def_property_readonly("trial_id", &Trial::trial_id)
      .def(
          "suggest_float",
          [](Trial& t, const std::string& name, double low, double high, std::optional<double> step, bool log) {
            return nogil([&] { return t.suggest_float(name, low, high, log, step); });
          },
          "name"_a, "low"_a, "high"_a, "step"_a = py::none(), "log"_a = false)
      .def(
          "suggest_int",
          [](Trial& t, const std::string& name, int64_t low, int64_t high, int64_t step, bool log) {
            return nogil([&] { return t.suggest_int(name, low, high, step, log); });
          },
          "name"_a, "low"_a, "high"_a, "step"_a = 1, "log"_a = false)
      .def("suggest_categorical",
           [](Trial& t, const std::string& name, const py::sequence& choices) {
             std::vector<ParamValue> cs;
             for (py::handle c : choices) cs.push_back(param_from_py(c, "a choice of '" + name + "'"));
             ParamValue v = nogil([&] { return t.suggest_categorical(name, cs); });
             return to_py(v);
           })
      .def("suggest",
           [](Trial& t, const std::string& name, const py::dict& distribution) {
             Distribution d = distribution_from_json(py_to_json(distribution, "distribution of '" + name + "'"));
             ParamValue v = nogil([&] { return t.suggest(name, d); });
             return to_py(v);
           })
      .def("report", [](Trial& t, double value, int64_t step) { nogil([&] { t.report(value, step); return 0; }); })
      .def("should_prune", [](Trial& t) { return nogil([&] { return t.should_prune(); }); })
      .def("set_user_attr",
           [](Trial& t, const std::string& key, const py::object& value) {
             nlohmann::json j = py_to_json(value, "user attr '" + key + "'");
             nogil([&] { t.set_user_attr(key, j); return 0; });
           })
      .def("set_system_attr",
           [](Trial& t, const std::string& key, const py::object& value) {
             nlohmann::json j = py_to_json(value, "system attr '" + key + "'");
             nogil([&] { t.set_system_attr(key, j); return 0; });
           })
      .def("params",
           [](const Trial& t) {
             py::dict out;
             for (const auto& [k, v] : t.params()) out[py::str(k)] = to_py(v);
             return out;
           })
      .def("snapshot", [](const Trial& t) { return frozen_to_py(nogil([&] { return t.snapshot(); })); });

  py::class_<Study>(m, "Study")
      .def_static(
          "create",
          [](std::shared_ptr<Storage> storage, const std::string& name, const std::vector<std::string>& directions,
             const py::object& sampler, const py::object& pruner, bool load_if_exists) {
            CreateStudyOptions o;
            o.storage = std::move(storage);
            o.study_name = name;
            o.directions.clear();
            for (const auto& d : directions) o.directions.push_back(study_direction_from_string(d));
            o.sampler = sampler_from(sampler);
            o.pruner = pruner_from(pruner);
            o.load_if_exists = load_if_exists;
            return nogil([&] { return Study::create(std::move(o)); });
          },
          "storage"_a, "study_name"_a, "directions"_a, "sampler"_a, "pruner"_a, "load_if_exists"_a)
      .def_static(
          "load",
          [](std::shared_ptr<Storage> storage, const std::string& name, const py::object& sampler,
             const py::object& pruner) {
            auto s = sampler_from(sampler);
            auto p = pruner_from(pruner);
            return nogil([&] { return Study::load(std::move(storage), name, std::move(s), std::move(p)); });
          },
          "storage"_a, "study_name"_a, "sampler"_a, "pruner"_a)
      .def_property_readonly("study_name", &Study::study_name)
      .def_property_readonly("study_id", &Study::study_id)
      .def_property_readonly("directions",
                             [](const Study& s) {
                               std::vector<std::string> out;
                               for (auto d : s.directions()) out.push_back(to_string(d));
                               return out;
                             })
      .def_property_readonly("storage", &Study::storage_ptr)
      .def(
          "ask",
          [](Study& s, const py::dict& fixed) {
            SearchSpace space;
            for (auto [k, v] : fixed) {
              const std::string name = k.cast<std::string>();
              Distribution d = distribution_from_json(py_to_json(v, "distribution of '" + name + "'"));
              validate_distribution(d, name);
              space.emplace(name, std::move(d));
            }
            return nogil([&] { return s.ask(space); });
          },
          "fixed_distributions"_a = py::dict(), py::keep_alive<0, 1>())
      .def("tell",
           [](Study& s, int number, const std::string& state, const std::vector<double>& values) {
             TrialState st = trial_state_from_string(state);
             return frozen_to_py(nogil([&] { return s.tell(number, st, values); }));
           })
      .def("optimize", &optimize, "run"_a, "n_trials"_a, "timeout"_a, "n_jobs"_a, "on_done"_a)
      .def("stop", &Study::stop)
      .def("enqueue_trial",
           [](Study& s, const py::dict& params, const py::dict& user_attrs) {
             std::map<std::string, ParamValue> ps;
             for (auto [k, v] : params) {
               const std::string name = k.cast<std::string>();
               ps[name] = param_from_py(v, "enqueued parameter '" + name + "'");
             }
             std::map<std::string, nlohmann::json> ua;
             for (auto [k, v] : user_attrs) ua[k.cast<std::string>()] = py_to_json(v, "user attr '" + k.cast<std::string>() + "'");
             nogil([&] { s.enqueue_trial(ps, ua); return 0; });
           })
      .def("add_trial",
           [](Study& s, const py::dict& trial) {
             FrozenTrial t = frozen_from_py(trial);
             if (!is_finished(t.state) && t.state != TrialState::WAITING)
               throw ConfigError("add_trial: state must be COMPLETE, PRUNED, FAIL or WAITING, got " + to_string(t.state));
             if (t.state == TrialState::COMPLETE && t.values.size() != s.directions().size())
               throw ConfigError("add_trial: a COMPLETE trial needs " + std::to_string(s.directions().size()) +
                                 " value(s), one per direction; got " + std::to_string(t.values.size()));
             return nogil([&] {
               const auto now = Clock::now();
               if (!t.datetime_start && t.state != TrialState::WAITING) t.datetime_start = now;
               if (!t.datetime_complete && is_finished(t.state)) t.datetime_complete = now;
               int64_t id = s.storage().create_new_trial(s.study_id(), t);
               return s.storage().get_trial(id).number;
             });
           })
      .def("best_trial", [](const Study& s) { return frozen_to_py(nogil([&] { return s.best_trial(); })); })
      .def("best_trials", [](const Study& s) { return trials_to_py(nogil([&] { return s.best_trials(); })); })
      .def(
          "trials",
          [](const Study& s, const std::optional<std::vector<std::string>>& states) {
            std::optional<std::vector<TrialState>> st;
            if (states) st = states_from(*states);
            return trials_to_py(nogil([&] { return s.get_trials(st); }));
          },
          "states"_a = py::none())
      .def(
          "finished_after",
          [](Study& s, int64_t after_sequence, int limit) {
            int64_t last = after_sequence;
            auto trials = nogil([&] {
              return s.storage().get_finished_trials_after(s.study_id(), after_sequence, limit, &last);
            });
            return py::make_tuple(trials_to_py(trials), last);
          },
          "after_sequence"_a, "limit"_a)
      .def(
          "n_trials",
          [](Study& s, const std::optional<std::vector<std::string>>& states) {
            std::optional<std::vector<TrialState>> st;
            if (states) st = states_from(*states);
            return nogil([&] { return s.storage().get_n_trials(s.study_id(), st); });
          },
          "states"_a = py::none())
      .def("user_attrs", [](const Study& s) { return attrs_to_py(nogil([&] { return s.user_attrs(); })); })
      .def("set_user_attr",
           [](Study& s, const std::string& key, const py::object& value) {
             nlohmann::json j = py_to_json(value, "user attr '" + key + "'");
             nogil([&] { s.set_user_attr(key, j); return 0; });
           })
      .def("system_attrs",
           [](Study& s) { return attrs_to_py(nogil([&] { return s.storage().get_study_system_attrs(s.study_id()); })); })
      .def("set_system_attr",
           [](Study& s, const std::string& key, const py::object& value) {
             nlohmann::json j = py_to_json(value, "system attr '" + key + "'");
             nogil([&] { s.storage().set_study_system_attr(s.study_id(), key, j); return 0; });
           })
      .def("set_trial_system_attr",
           [](Study& s, int number, const std::string& key, const py::object& value) {
             nlohmann::json j = py_to_json(value, "system attr '" + key + "'");
             nogil([&] {
               s.storage().set_trial_system_attr(s.storage().get_trial_id_from_study_id_trial_number(s.study_id(), number), key, j);
               return 0;
             });
           })
      .def(
          "set_failure_policy",
          [](Study& s, double heartbeat_interval, double grace_period, int max_retries) {
            s.set_failure_policy(FailurePolicy{heartbeat_interval, grace_period, max_retries});
          },
          "heartbeat_interval"_a, "grace_period"_a, "max_retries"_a)
      .def("fail_stale_trials", [](Study& s) { return nogil([&] { return s.fail_stale_trials(); }); })
      .def(
          "importance",
          [](Study& s, const std::string& evaluator, const std::optional<std::vector<std::string>>& params,
             const std::optional<std::map<int, double>>& targets, int objective_index, int n_trees, int max_depth,
             uint64_t seed, double baseline_quantile, bool evaluate_on_local) {
            ImportanceOptions o = importance_options(evaluator, params, objective_index, n_trees, max_depth, seed,
                                                     baseline_quantile, evaluate_on_local);
            ImportanceResult r = nogil([&] {
              std::vector<FrozenTrial> trials = s.get_trials(std::vector<TrialState>{TrialState::COMPLETE});
              std::vector<StudyDirection> directions = s.directions();
              if (targets) {
                // A user target (Optuna's `target=`): one value per trial, minimized; trials the
                // target skipped (None) are left out.
                std::vector<FrozenTrial> kept;
                for (auto& t : trials) {
                  auto it = targets->find(t.number);
                  if (it == targets->end()) continue;
                  t.values = {it->second};
                  kept.push_back(std::move(t));
                }
                trials = std::move(kept);
                directions = {directions.at(0)};
                o.objective_index = 0;
              }
              return evaluate_importance(trials, directions, o);
            });
            return r.importances;
          },
          "evaluator"_a, "params"_a, "targets"_a, "objective_index"_a, "n_trees"_a, "max_depth"_a, "seed"_a,
          "baseline_quantile"_a, "evaluate_on_local"_a);
}
