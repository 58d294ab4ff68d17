// Error types of Open-AutoGLM.
//
// Policy (see DESIGN.md "Error policy"):
//  - autoglm::Error and its subclasses carry a one-line, user-facing message that names the
//    offending key / parameter / URL and the fix. Front ends print `what()` and exit 2.
//  - Broken internal invariants are asserts, never exceptions.
//  - TrialPruned is not an error: an objective throws it to end its trial as PRUNED.
#pragma once

#include <stdexcept>
#include <string>

namespace autoglm {

/// Base class of every error the engine reports to a user.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Bad user input: configuration, search space, flags, unknown keys, wrong types.
class ConfigError : public Error {
 public:
  using Error::Error;
};

/// Storage trouble: unreachable / corrupt / newer-schema database, missing study, ...
class StorageError : public Error {
 public:
  using Error::Error;
};

/// A study or trial looked up by name / id / number does not exist.
class NotFoundError : public StorageError {
 public:
  using StorageError::StorageError;
};

/// create_new_study with a name that already exists.
class DuplicatedStudyError : public StorageError {
 public:
  using StorageError::StorageError;
};

/// A write to a trial that is already finished (COMPLETE, PRUNED, FAIL): finished trials never
/// change again.
class UpdateFinishedTrialError : public StorageError {
 public:
  using StorageError::StorageError;
};

/// Thrown by an objective (or by `Trial::should_prune()` callers) to stop the trial as PRUNED.
/// Mirrors optuna.TrialPruned.
class TrialPruned : public std::exception {
 public:
  TrialPruned() = default;
  explicit TrialPruned(std::string msg) : msg_(std::move(msg)) {}
  const char* what() const noexcept override { return msg_.empty() ? "trial pruned" : msg_.c_str(); }

 private:
  std::string msg_;
};

}  // namespace autoglm
