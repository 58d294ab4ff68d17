// Conversions between the engine's value types and Python objects, for the `autoglm._core`
// extension module. Every function here needs the GIL.
//
//  - ParamValue <-> None / bool / int / float / str (numpy scalars are accepted on the way in
//    through __index__ / __float__).
//  - nlohmann::json <-> None / bool / int / float / str / list / dict (str keys); tuples become
//    lists. Anything else throws autoglm::ConfigError naming `what` (user attrs must be JSON, as
//    Optuna's RDB storage requires).
//  - FrozenTrial -> dict with Optuna's field names; the Python package builds its FrozenTrial
//    from it (autoglm/trial.py, FrozenTrial._from_core).
#pragma once

#include <string>

#include <pybind11/pybind11.h>

#include "autoglm/distribution.h"
#include "autoglm/frozen_trial.h"
#include "autoglm/storage.h"

namespace autoglm::python {

namespace py = pybind11;

py::object to_py(const ParamValue& v);
/// Throws ConfigError "<what> must be None, bool, int, float or str; got <type>".
ParamValue param_from_py(py::handle h, const std::string& what);

py::object json_to_py(const nlohmann::json& j);
nlohmann::json py_to_json(py::handle h, const std::string& what);

/// Keys: number, trial_id, state ("COMPLETE", ...), values (list or None), params (external),
/// distributions (name -> Optuna JSON dict), intermediate_values (step -> value), user_attrs,
/// system_attrs, datetime_start, datetime_complete (naive local datetime or None).
py::dict frozen_to_py(const FrozenTrial& t);
/// The inverse, for Study.add_trial: params are external values converted through the
/// distributions; throws ConfigError naming a parameter without a distribution or out of range.
FrozenTrial frozen_from_py(const py::dict& d);

/// study_name, directions, user_attrs, system_attrs, n_trials, best_trial (dict or None),
/// datetime_start.
py::dict summary_to_py(const StudySummary& s);

}  // namespace autoglm::python
