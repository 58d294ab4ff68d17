// DashboardServer: cpp-httplib routes over the JSON API (api.h) and the embedded assets.
// The only translation unit that includes httplib.h (it is large and slow to compile).

// Debian's libcpp-httplib is a compiled library; its pkg-config flags (linked through CMake's
// PkgConfig::HTTPLIB) define the CPPHTTPLIB_*_SUPPORT options it was built with, so the header's
// classes match the library's.
#include <httplib.h>

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cctype>
#include <cstdlib>
#include <cstring>
#include <regex>

#include "autoglm/dashboard.h"
#include "autoglm/error.h"
#include "common/text.h"
#include "dashboard/api.h"
#include "dashboard/assets.h"

namespace autoglm {

namespace {

constexpr const char* kCookieName = "autoglm_token";
constexpr std::size_t kWorkerThreads = 64;
constexpr time_t kReadTimeoutSeconds = 3;
constexpr const char* kJsonType = "application/json; charset=utf-8";
// plotly.js compiles some of its WebGL traces (parcoords, via regl) with `new Function`, hence
// 'unsafe-eval'; it also sets inline styles, hence 'unsafe-inline' for styles only.
constexpr const char* kCsp =
    "default-src 'self'; script-src 'self' 'unsafe-eval'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; "
    "form-action 'none'";


/// Host header without its port: "localhost:8080" -> "localhost", "[::1]:80" -> "[::1]".
std::string host_name(const std::string& header) {
  if (!header.empty() && header[0] == '[') {
    auto close = header.find(']');
    return close == std::string::npos ? header : header.substr(0, close + 1);
  }
  auto colon = header.find(':');
  return colon == std::string::npos ? header : header.substr(0, colon);
}


/// A Host header name a browser on this machine uses for a loopback server: the usual names, or
/// the (loopback) address the server was bound to, e.g. 127.0.0.2.
bool is_loopback_name(std::string name, const std::string& bound_host) {
  name = ascii_lower(std::move(name));
  if (!name.empty() && name.back() == '.') name.pop_back();  // "localhost."
  const std::string bound = ascii_lower(bound_host);
  return name == "localhost" || name == "127.0.0.1" || name == "[::1]" || name == bound || name == "[" + bound + "]";
}

/// Token characters: safe in a URL query and in a cookie value without quoting.
bool valid_token(const std::string& t) {
  if (t.size() < 8) return false;
  for (unsigned char c : t)
    if (!(std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~')) return false;
  return true;
}

/// Constant-time comparison (time depends on the lengths only).
bool same_secret(const std::string& a, const std::string& b) {
  const std::size_t n = std::max(a.size(), b.size());
  unsigned char diff = a.size() == b.size() ? 0 : 1;
  for (std::size_t i = 0; i < n; ++i) {
    const unsigned char x = i < a.size() ? static_cast<unsigned char>(a[i]) : 0;
    const unsigned char y = i < b.size() ? static_cast<unsigned char>(b[i]) : 0;
    diff |= static_cast<unsigned char>(x ^ y);
  }
  return diff == 0;
}

/// The value of cookie `name` in a Cookie header ("a=1; autoglm_token=T"), or "".
std::string cookie_value(const std::string& header, const std::string& name) {
  std::size_t i = 0;
  while (i < header.size()) {
    std::size_t end = header.find(';', i);
    if (end == std::string::npos) end = header.size();
    std::string part = header.substr(i, end - i);
    auto b = part.find_first_not_of(' ');
    if (b != std::string::npos) part = part.substr(b);
    if (part.size() > name.size() && part.compare(0, name.size(), name) == 0 && part[name.size()] == '=')
      return part.substr(name.size() + 1);
    i = end + 1;
  }
  return "";
}

void send(httplib::Response& res, const dashboard::Response& r) {
  res.status = r.status;
  res.set_header("Cache-Control", "no-store");
  res.set_content(r.body, kJsonType);
}

void send_error(httplib::Response& res, int status, const std::string& message) {
  send(res, dashboard::Api::error(status, message));
}

std::map<std::string, std::string> query_map(const httplib::Request& req) {
  std::map<std::string, std::string> q;
  for (const auto& [k, v] : req.params) q.emplace(k, v);  // a repeated key: the first wins
  return q;
}

/// httplib::Server that can also close a socket bound but never served (its own stop() only acts
/// while listening, and its destructor leaves the socket open).
class Server : public httplib::Server {
 public:
  void close_listening_socket() {
    socket_t sock = svr_sock_.exchange(INVALID_SOCKET);
    if (sock != INVALID_SOCKET) {
      ::shutdown(sock, SHUT_RDWR);
      ::close(sock);
    }
  }
};

}  // namespace

struct DashboardServer::Impl {
  std::shared_ptr<Storage> storage;
  DashboardOptions options;
  dashboard::Api api;
  Server server;
  bool loopback = true;
  std::atomic<bool> stop_requested{false};
  int bound_port = -1;

  /// stop() before serve() started: close the bound socket so that a serve() still to come
  /// returns at once (its accept loop runs while the socket is open).
  void close_listening_socket_if_idle() { server.close_listening_socket(); }

  Impl(std::shared_ptr<Storage> s, DashboardOptions o)
      : storage(s), options(std::move(o)), api(std::move(s), options.refresh_interval_seconds) {}

  /// Host check (loopback) and token check; answers and returns Handled on refusal.
  httplib::Server::HandlerResponse gate(const httplib::Request& req, httplib::Response& res) {
    if (loopback && req.has_header("Host") && !is_loopback_name(host_name(req.get_header_value("Host")), options.host)) {
      send_error(res, 403,
                 "Host '" + req.get_header_value("Host") +
                     "' is not a loopback name; open the dashboard as http://127.0.0.1:PORT/ or http://localhost:PORT/");
      return httplib::Server::HandlerResponse::Handled;
    }
    if (options.token.empty()) return httplib::Server::HandlerResponse::Unhandled;
    const std::string auth = req.get_header_value("Authorization");
    if (ascii_lower(auth.substr(0, 7)) == "bearer " && same_secret(auth.substr(7), options.token))  // RFC 7235: scheme case-insensitive
      return httplib::Server::HandlerResponse::Unhandled;
    if (req.has_param("token") && same_secret(req.get_param_value("token"), options.token)) {
      res.set_header("Set-Cookie", std::string(kCookieName) + "=" + options.token + "; Path=/; HttpOnly; SameSite=Strict");
      return httplib::Server::HandlerResponse::Unhandled;
    }
    if (req.has_header("Cookie") && same_secret(cookie_value(req.get_header_value("Cookie"), kCookieName), options.token))
      return httplib::Server::HandlerResponse::Unhandled;
    res.set_header("WWW-Authenticate", "Bearer");
    send_error(res, 401,
               "missing or wrong token: send 'Authorization: Bearer TOKEN' or open /?token=TOKEN once "
               "(the token given to `autoglm dashboard --token` or AUTOGLM_DASHBOARD_TOKEN)");
    return httplib::Server::HandlerResponse::Handled;
  }

  void serve_asset(const std::string& name, httplib::Response& res) {
    const dashboard::EmbeddedAsset* a = dashboard::find_asset(name);
    if (!a) {
      send_error(res, 404, "no asset '" + name + "'");
      return;
    }
    std::string type(a->content_type);
    if (type.rfind("text/", 0) == 0) type += "; charset=utf-8";
    res.status = 200;
    if (name == "index.html") {
      res.set_header("Cache-Control", "no-cache");
      res.set_header("Content-Security-Policy", kCsp);
    } else {
      res.set_header("Cache-Control", "max-age=86400");
    }
    // A sized content provider: httplib compresses bodies set with set_content() for clients
    // that accept it, and its brotli at full quality takes about 20 s on plotly.min.js (4.8 MB),
    // on every request. The embedded bytes are sent as they are.
    const std::string_view data = a->data;
    res.set_content_provider(data.size(), type, [data](std::size_t offset, std::size_t length, httplib::DataSink& sink) {
      return sink.write(data.data() + offset, std::min(length, data.size() - offset));
    });
  }

  void setup() {
    server.set_default_headers({{"X-Content-Type-Options", "nosniff"},
                                {"Referrer-Policy", "no-referrer"},
                                {"X-Frame-Options", "DENY"}});
    server.set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) { return gate(req, res); });
    server.Get(".*", [this](const httplib::Request& req, httplib::Response& res) {
      const std::string& path = req.path;
      if (path == "/" || path == "/index.html") return serve_asset("index.html", res);
      if (path.rfind("/assets/", 0) == 0) {
        const std::string name = path.substr(8);
        if (name != "index.html" && dashboard::find_asset(name)) return serve_asset(name, res);
        return send_error(res, 404, "no asset '" + name + "'");
      }
      if (path.rfind("/api/", 0) == 0 || path == "/api") return send(res, api.get(path, query_map(req)));
      send_error(res, 404, "not found: " + path);
    });
    auto writes_refused = [this](httplib::Response& res) {
      if (options.allow_writes) return false;
      send_error(res, 403, "writes are disabled: restart the dashboard with --allow-writes to change or delete studies");
      return true;
    };
    // The write routes exist (403 without --allow-writes); any other PUT / DELETE is 404.
    static const std::regex note_route(R"(/api/studies/[0-9]+/note)"), study_route(R"(/api/studies/[0-9]+)");
    server.Put(".*", [this, writes_refused](const httplib::Request& req, httplib::Response& res) {
      if (!std::regex_match(req.path, note_route)) return send_error(res, 404, "not found: PUT " + req.path);
      if (writes_refused(res)) return;
      send(res, api.put_note(req.path, req.body));
    });
    server.Delete(".*", [this, writes_refused](const httplib::Request& req, httplib::Response& res) {
      if (!std::regex_match(req.path, study_route)) return send_error(res, 404, "not found: DELETE " + req.path);
      if (writes_refused(res)) return;
      send(res, api.delete_study(req.path));
    });
    server.Post(".*", [](const httplib::Request& req, httplib::Response& res) {
      send_error(res, 404, "not found: POST " + req.path);
    });
    server.Patch(".*", [](const httplib::Request& req, httplib::Response& res) {
      send_error(res, 404, "not found: PATCH " + req.path);
    });
    // Errors httplib answers itself (bad request line, unknown method, ...): a JSON body too.
    server.set_error_handler([](const httplib::Request&, httplib::Response& res) {
      if (!res.body.empty()) return;
      res.set_header("Cache-Control", "no-store");
      res.set_content(dashboard::Api::error(res.status, "HTTP " + std::to_string(res.status)).body, kJsonType);
    });
    server.set_exception_handler([](const httplib::Request&, httplib::Response& res, std::exception_ptr ep) {
      std::string what = "internal error";
      try {
        if (ep) std::rethrow_exception(ep);
      } catch (const std::exception& e) {
        what = e.what();
      } catch (...) {
      }
      send_error(res, 500, what);
    });
    server.set_payload_max_length(1 << 20);  // notes are small
    // Slow or idle clients hold a worker thread each: more workers than httplib's default (8 on
    // this machine), and a short read timeout for requests that trickle in.
    server.new_task_queue = [] { return new httplib::ThreadPool(kWorkerThreads); };
    server.set_read_timeout(kReadTimeoutSeconds, 0);
    server.set_keep_alive_timeout(kReadTimeoutSeconds);
    // SO_REUSEADDR only: httplib's default also sets SO_REUSEPORT, with which a second dashboard
    // would silently share a port in use instead of failing to bind.
    server.set_socket_options([](socket_t sock) {
      int yes = 1;
      ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, reinterpret_cast<const void*>(&yes), sizeof(yes));
    });
  }
};

bool binds_to_loopback(const std::string& host) {
  if (host.empty()) throw ConfigError("--host is empty; use 127.0.0.1 (loopback) or an address to bind");
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  const int rc = ::getaddrinfo(host.c_str(), nullptr, &hints, &found);
  if (rc != 0)
    throw ConfigError("--host " + host + " does not resolve (" + gai_strerror(rc) +
                      "); use 127.0.0.1 (loopback), 0.0.0.0 (every interface) or an address of this machine");
  bool all_loopback = true;
  for (addrinfo* a = found; a; a = a->ai_next) {
    if (a->ai_family == AF_INET) {
      const auto* in = reinterpret_cast<const sockaddr_in*>(a->ai_addr);
      all_loopback &= (ntohl(in->sin_addr.s_addr) >> 24) == 127;
    } else if (a->ai_family == AF_INET6) {
      const auto* in6 = reinterpret_cast<const sockaddr_in6*>(a->ai_addr);
      all_loopback &= IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr) != 0;
    } else {
      all_loopback = false;
    }
  }
  ::freeaddrinfo(found);
  return all_loopback;
}

DashboardServer::DashboardServer(std::shared_ptr<Storage> storage, DashboardOptions options) {
  if (!storage) throw ConfigError("dashboard: no storage given");
  if (options.port < 0 || options.port > 65535)
    throw ConfigError("--port " + std::to_string(options.port) + " is out of range; use 0..65535 (0 picks a free port)");
  if (!(options.refresh_interval_seconds >= 0))
    throw ConfigError("dashboard refresh interval must be >= 0 seconds");
  if (options.host.empty()) throw ConfigError("--host is empty; use 127.0.0.1 (loopback) or an address to bind");
  if (options.token.empty())
    if (const char* env = std::getenv(kDashboardTokenEnv)) options.token = env;
  if (!options.token.empty() && !valid_token(options.token))
    throw ConfigError("the dashboard token must be at least 8 characters from A-Z a-z 0-9 - _ . ~ (it travels in URLs "
                      "and cookies); choose another --token or " + std::string(kDashboardTokenEnv));
  const bool loopback = binds_to_loopback(options.host);
  if (!loopback && options.token.empty())
    throw ConfigError("--host " + options.host +
                      " exposes the dashboard beyond this machine and needs a token: pass --token T or set " +
                      kDashboardTokenEnv);
  impl_ = std::make_unique<Impl>(std::move(storage), std::move(options));
  impl_->loopback = loopback;
  impl_->setup();
}

DashboardServer::~DashboardServer() {
  if (impl_) stop();
}

int DashboardServer::bind() {
  const std::string& host = impl_->options.host;
  const int port = impl_->options.port;
  errno = 0;
  int bound = -1;
  if (port == 0) {
    bound = impl_->server.bind_to_any_port(host);
  } else if (impl_->server.bind_to_port(host, port)) {
    bound = port;
  }
  if (bound < 0) {
    const int err = errno;
    throw Error("dashboard: cannot bind " + host + ":" + std::to_string(port) +
                (err ? std::string(" (") + std::strerror(err) + ")" : std::string()) +
                "; is another server using the port? pass another --port (0 picks a free one) or --host");
  }
  impl_->bound_port = bound;
  return bound;
}

void DashboardServer::serve() {
  if (impl_->bound_port < 0) throw Error("dashboard: serve() called before a successful bind()");
  if (impl_->stop_requested) return;
  impl_->server.listen_after_bind();
}

void DashboardServer::stop() {
  impl_->stop_requested = true;
  if (impl_->server.is_running())
    impl_->server.stop();
  else
    impl_->close_listening_socket_if_idle();
}

}  // namespace autoglm
