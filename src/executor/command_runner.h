// The command-trial runner behind run_command_trial, written against the few trial operations
// it needs (TrialChannel) so that it can be tested without a storage or a study.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "autoglm/distribution.h"
#include "autoglm/executor.h"

namespace autoglm {

/// What the runner needs from a trial. run_command_trial adapts a Trial; tests use a fake.
/// Called only from the thread running the command.
class TrialChannel {
 public:
  virtual ~TrialChannel() = default;
  virtual int number() const = 0;
  virtual std::string study_name() const = 0;
  /// Parameters suggested in this trial (external values).
  virtual std::map<std::string, ParamValue> params() const = 0;
  /// Number of study directions (values a COMPLETE trial must have).
  virtual size_t n_objectives() const = 0;
  virtual void report(double value, int64_t step) = 0;
  virtual bool should_prune() = 0;
  virtual void set_user_attr(const std::string& key, const nlohmann::json& value) = 0;
  virtual void set_system_attr(const std::string& key, const nlohmann::json& value) = 0;
};

/// run_command_trial over a TrialChannel; same contract.
std::vector<double> run_command(TrialChannel& trial, const CommandSpec& spec, GpuPool* gpus,
                                std::map<std::string, double>* reported_metrics = nullptr);

/// The last `n_lines` lines of the file at `path` (reads at most its last 64 KiB; lines longer
/// than 1000 bytes are cut). Empty when the file is missing or empty.
std::string read_log_tail(const std::string& path, int n_lines);

}  // namespace autoglm
