// Schema migrations: an ordered chain of small named rules. Each rule matches one schema version
// and upgrades it to the next (adding a column, renaming one, changing a type, back-filling a
// value). A storage opening an older database applies the rules from its recorded version up to
// the version the binary writes, each rule in its own transaction together with the version
// bump, so an interrupted upgrade resumes at the rule that did not commit. A database newer than
// the binary is refused (StorageError from the storage's own check, before any rule runs).
// Private to src/storage/ and tests/storage/.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "autoglm/error.h"

namespace autoglm::storage_internal {

/// One upgrade step for a database handle of type `Db` (a SQLite connection, a libpqxx
/// transaction): applies to schema `from_version` and produces `from_version + 1`.
template <typename Db>
struct MigrationRule {
  int from_version = 0;
  std::string name;                 ///< snake_case summary, e.g. "add_trial_heartbeat"
  std::function<void(Db&)> apply;   ///< runs inside the caller's transaction
};

/// The rules that take a database from `from` to `to`, in order. Throws StorageError naming
/// `what` (the database) when no rule matches some version on the way (a gap or a duplicate in
/// the chain is a programming error caught by the tests; an unknown old version is a damaged
/// database).
template <typename Db>
std::vector<const MigrationRule<Db>*> migration_path(const std::vector<MigrationRule<Db>>& rules, int from, int to,
                                                     const std::string& what) {
  std::vector<const MigrationRule<Db>*> path;
  for (int v = from; v < to; ++v) {
    const MigrationRule<Db>* match = nullptr;
    for (const auto& r : rules) {
      if (r.from_version != v) continue;
      if (match) throw StorageError("two schema migration rules start at version " + std::to_string(v) + " for " + what);
      match = &r;
    }
    if (!match)
      throw StorageError(what + " has schema version " + std::to_string(from) + " but no migration rule upgrades version " +
                         std::to_string(v) + "; it was not written by a released Open-AutoGLM, restore it from a backup");
    path.push_back(match);
  }
  return path;
}

}  // namespace autoglm::storage_internal
