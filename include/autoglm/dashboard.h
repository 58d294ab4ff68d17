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
// HTTP details: every answer carries `X-Content-Type-Options: nosniff`; the HTML page a
// Content-Security-Policy (scripts from 'self' only: no inline scripts); assets `Cache-Control: max-age=86400`, API
// answers `no-store`. On a loopback host, requests whose Host header is not localhost, 127.0.0.1
// or [::1] (any port) are refused with 403 (DNS rebinding).
//
// Thread-safety: one DashboardServer is driven from one thread (bind, then serve); stop() may be
// called from any thread (it only shuts the listening socket, so a signal handler may call it
// too). Requests are answered on cpp-httplib's worker threads; each study's trial cache guards
// itself with a mutex.
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
  /// host (binds_to_loopback false): the constructor throws ConfigError (pass --token or set
  /// AUTOGLM_DASHBOARD_TOKEN). At least 8 characters from A-Z a-z 0-9 - _ . ~ (ConfigError
  /// otherwise: it travels in URLs and cookies).
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
  /// Reads the token from kDashboardTokenEnv when options.token is empty. Throws ConfigError for
  /// a bad option (port out of 0..65535, empty host, negative refresh interval, beyond-loopback
  /// host without token). Nothing is read from the storage yet.
  DashboardServer(std::shared_ptr<Storage> storage, DashboardOptions options);
  ~DashboardServer();
  DashboardServer(const DashboardServer&) = delete;
  DashboardServer& operator=(const DashboardServer&) = delete;

  /// Binds the socket; returns the bound port. Throws Error naming host:port when it cannot bind
  /// (in use, permission, bad address).
  int bind();
  /// Serves requests until stop(); blocks. Throws Error when bind() has not succeeded.
  void serve();
  /// Stops serve() (thread-safe).
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// Whether binding `host` keeps the server on this machine: every address it resolves to is a
/// loopback address (127.0.0.0/8, ::1). Decided on the resolved addresses, not the text (a name
/// such as "127.example" may resolve anywhere). Throws ConfigError when it does not resolve or
/// is empty.
bool binds_to_loopback(const std::string& host);

/// The self-contained HTML report of one study: the dashboard's front end and plotting library
/// inlined, with the API answers the study page needs baked in (no network access needed to view
/// it). Returns the whole HTML document (UTF-8; a few MB, mostly plotly.js). The baked study list
/// holds this study only. Throws NotFoundError when the study does not exist, StorageError on
/// storage trouble.
std::string render_report(Storage& storage, const std::string& study_name);

}  // namespace autoglm
