// Private: parsing of the multi-metric parts of a study config (`constraints`, `scoring`), shared
// by config.cc. Each function throws ConfigError "<file>:<line>: <key>: <problem>".
#pragma once

#include <vector>

#include <yaml-cpp/yaml.h>

#include "autoglm/config.h"
#include "config/yaml_util.h"

namespace autoglm::config_internal {

/// `constraints: [{metric: NAME, min: V, max: V}, ...]` (at least one of min / max, min <= max).
std::vector<ConstraintSpec> parse_constraints(const Source& src, const YAML::Node& node);

/// `scoring: {metrics: [{name, direction, bounds: [low, high]}], ahp: MATRIX | weights: [...],
/// max_cr: 0.1}`. AHP entries are numbers or fractions written "1/3". The AHP checks
/// (reciprocity, positivity, Saaty scale, CR <= max_cr) run here, with the matrix's line.
ScoringConfig parse_scoring(const Source& src, const YAML::Node& node);

}  // namespace autoglm::config_internal
