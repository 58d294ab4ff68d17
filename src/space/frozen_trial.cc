#include "autoglm/frozen_trial.h"

#include <cmath>
#include <cstdio>
#include <limits>
#include <ctime>

#include "autoglm/error.h"
#include "common/text.h"

namespace autoglm {

std::string to_string(TrialState s) {
  switch (s) {
    case TrialState::WAITING: return "WAITING";
    case TrialState::RUNNING: return "RUNNING";
    case TrialState::COMPLETE: return "COMPLETE";
    case TrialState::PRUNED: return "PRUNED";
    case TrialState::FAIL: return "FAIL";
  }
  return "UNKNOWN";
}

TrialState trial_state_from_string(const std::string& s) {
  std::string u;
  for (char c : s) u += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  for (auto st : {TrialState::WAITING, TrialState::RUNNING, TrialState::COMPLETE, TrialState::PRUNED, TrialState::FAIL})
    if (to_string(st) == u) return st;
  throw ConfigError("unknown trial state '" + s + "'; use one of WAITING, RUNNING, COMPLETE, PRUNED, FAIL");
}

bool is_finished(TrialState s) {
  return s == TrialState::COMPLETE || s == TrialState::PRUNED || s == TrialState::FAIL;
}

std::string to_string(StudyDirection d) { return d == StudyDirection::MINIMIZE ? "minimize" : "maximize"; }

StudyDirection study_direction_from_string(const std::string& s) {
  const std::string l = ascii_lower(s);
  if (l == "minimize" || l == "min") return StudyDirection::MINIMIZE;
  if (l == "maximize" || l == "max") return StudyDirection::MAXIMIZE;
  throw ConfigError("unknown direction '" + s + "'; use minimize or maximize");
}

ParamValue FrozenTrial::param(const std::string& name) const {
  auto it = params.find(name);
  if (it == params.end())
    throw NotFoundError("trial " + std::to_string(number) + " has no parameter '" + name + "'");
  return to_external(distributions.at(name), it->second);
}

std::map<std::string, ParamValue> FrozenTrial::external_params() const {
  std::map<std::string, ParamValue> out;
  for (const auto& [k, v] : params) out.emplace(k, to_external(distributions.at(k), v));
  return out;
}

std::optional<int64_t> FrozenTrial::last_step() const {
  if (intermediate_values.empty()) return std::nullopt;
  return intermediate_values.rbegin()->first;
}

std::optional<double> FrozenTrial::duration_seconds() const {
  if (!datetime_start) return std::nullopt;
  auto end = datetime_complete ? *datetime_complete : Clock::now();
  return std::chrono::duration<double>(end - *datetime_start).count();
}

std::string format_time(Clock::time_point t) {
  auto us = std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count();
  std::time_t secs = static_cast<std::time_t>(us / 1000000);
  long frac = static_cast<long>(us % 1000000);
  if (frac < 0) { frac += 1000000; --secs; }
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%06ldZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                tm.tm_hour, tm.tm_min, tm.tm_sec, frac);
  return buf;
}

Clock::time_point parse_time(const std::string& s) {
  std::tm tm{};
  long frac = 0;
  int n = std::sscanf(s.c_str(), "%d-%d-%dT%d:%d:%d.%ld", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
                      &tm.tm_min, &tm.tm_sec, &frac);
  if (n < 6) throw StorageError("malformed time '" + s + "' in storage");
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  std::time_t secs = timegm(&tm);
  return Clock::time_point(std::chrono::seconds(secs)) + std::chrono::microseconds(frac);
}

std::optional<std::vector<double>> constraint_values(const FrozenTrial& trial) {
  auto it = trial.system_attrs.find(kConstraintsAttr);
  if (it == trial.system_attrs.end() || it->second.is_null()) return std::nullopt;
  const nlohmann::json& c = it->second;
  auto bad = [&] {
    return ConfigError("trial " + std::to_string(trial.number) + ": system attr 'constraints' must be an array of numbers, got " +
                       c.dump() + "; write one number per constraint (feasible when <= 0)");
  };
  if (!c.is_array()) throw bad();
  std::vector<double> out;
  for (const auto& v : c) {
    if (v.is_number()) out.push_back(v.get<double>());
    else if (v.is_null()) out.push_back(std::numeric_limits<double>::quiet_NaN());  // NaN as JSON writes it
    else throw bad();
  }
  return out;
}

double constraint_violation(const FrozenTrial& trial) {
  auto c = constraint_values(trial);
  if (!c) return 0.0;
  double total = 0.0;
  for (double x : *c) {
    if (std::isnan(x)) return std::numeric_limits<double>::infinity();
    if (x > 0) total += x;
  }
  return total;
}

}  // namespace autoglm
