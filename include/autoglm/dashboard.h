// Dashboard: the web dashboard served by `autoglm dashboard` (an HTTP server, cpp-httplib) and
// the self-contained HTML report of `autoglm report`. Both read through the Storage interface
// only, so they work on a database other processes are writing. The JSON API is specified in
// docs/dashboard.md; the front end (web/) is embedded in the binary at build time.
//
// Security model: binds to loopback by default; beyond loopback a bearer token is required on
// every request (DashboardOptions::token); only the embedded asset routes and /api/ routes exist
// (nothing is read from the file system except a trial's own log file, by the path its runner
// recorded, when it ends in ".log"); nothing is written unless DashboardOptions::allow_writes.
//
// Thread-safety: one DashboardServer is driven from one thread (bind, then serve; stop may be
// called from any thread or a signal-safe context via request_stop). Requests are answered on
// cpp-httplib's worker threads; the per-study trial cache is guarded by a mutex.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "autoglm/storage.h"

namespace autoglm {

/// Environment variable read for the token when DashboardOptions::token is empty.
inline constexpr const char* kDashboardTokenEnv = "AUTOGLM_DASHBOARD_TOKEN";

struct DashboardOptions {
  std::string host = "127.0.0.1";  ///< Address to bind; "0.0.0.0" exposes it beyond loopback.
  int port = 8080;                 ///< TCP port; 0 picks a free one (bind() returns it).
  /// Bearer token required on every request ("Authorization: Bearer T", or once as "?token=T",
  /// which sets an HttpOnly cookie). Empty on a loopback host: no token. Empty on any other
  /// host: the constructor throws ConfigError (pass --token or set AUTOGLM_DASHBOARD_TOKEN).
  std::string token;
  /// Allow the write routes (PUT study note, DELETE study; docs/dashboard.md). Off by default:
  /// every write route answers 403 naming the --allow-writes flag.
  bool allow_writes = false;
  /// Minimum seconds between two reads of a study's new trials from storage (the cache serves
  /// requests in between). Live pages poll about once a second.
  double refresh_interval_seconds = 0.5;
};

class DashboardServer {
 public:
  /// Throws ConfigError for a bad option (port out of 0..65535, beyond-loopback host without token).
  DashboardServer(std::shared_ptr<Storage> storage, DashboardOptions options);
  ~DashboardServer();
  DashboardServer(const DashboardServer&) = delete;
  DashboardServer& operator=(const DashboardServer&) = delete;

  /// Binds the socket; returns the bound port. Throws Error naming host:port when it cannot bind
  /// (in use, permission, bad address).
  int bind();
  /// Serves requests until stop(); blocks. bind() must have succeeded.
  void serve();
  /// Stops serve() (thread-safe).
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// The self-contained HTML report of one study: the dashboard's front end and plotting library
/// inlined, with the API answers the study page needs baked in (no network access needed to view
/// it). Throws NotFoundError when the study does not exist.
std::string render_report(Storage& storage, const std::string& study_name);

}  // namespace autoglm
