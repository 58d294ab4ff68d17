// `autoglm dashboard`, `autoglm importance` and `autoglm report` (docs/dashboard.md).
#include <malloc.h>
#include <pthread.h>
#include <sys/stat.h>
#include <unistd.h>
#include <signal.h>

#include <atomic>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <cstdio>
#include <filesystem>
#include <iomanip>
#include <iostream>
#include <random>
#include <set>
#include <sstream>
#include <thread>

#include "autoglm/dashboard.h"
#include "autoglm/error.h"
#include "autoglm/importance.h"
#include "cli/cli.h"

namespace autoglm::cli {

namespace {

/// 32 hex characters from the system's entropy source.
std::string random_token() {
  std::random_device rd;
  std::ostringstream os;
  for (int i = 0; i < 4; ++i) os << std::hex << std::setw(8) << std::setfill('0') << rd();
  return os.str();
}

std::string url_host(const std::string& host) {
  if (host == "0.0.0.0" || host == "::") return "127.0.0.1";  // a URL that works from this machine
  return host.find(':') != std::string::npos ? "[" + host + "]" : host;
}

}  // namespace

int run_dashboard(const DashboardFlags& flags) {
  if (flags.port < 0 || flags.port > 65535)
    throw ConfigError("--port: must be in 0..65535 (0 picks a free port), got " + std::to_string(flags.port));
  DashboardOptions options;
  options.host = flags.host;
  options.port = flags.port;
  options.allow_writes = flags.allow_writes;
  options.token = flags.token;
  if (options.token.empty())
    if (const char* env = std::getenv(kDashboardTokenEnv)) options.token = env;
  bool generated = false;
  if (options.token.empty() && !binds_to_loopback(options.host)) {
    // Beyond loopback every request needs a token; make one up rather than refuse to start.
    options.token = random_token();
    generated = true;
  }
  // Read-only unless writes were asked for: then the dashboard cannot change a study even by a bug.
  std::shared_ptr<Storage> storage =
      flags.allow_writes ? open_storage(flags.storage) : open_existing_storage(flags.storage, /*follow_writes=*/true);
  DashboardServer server(storage, options);

  // glibc gives each of the server's worker threads its own malloc arena, and each arena keeps
  // the peak of the large JSON answers it built (a 100,000-trial timeline is ~17 MB): with 64
  // workers that grew to gigabytes. Two arenas keep the memory near the live data.
  ::mallopt(M_ARENA_MAX, 2);

  // SIGINT / SIGTERM stop the server from a thread waiting for them (blocked in every other
  // thread, so cpp-httplib's workers never take them).
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  const int port = server.bind();
  std::atomic<int> received{0};
  std::thread waiter([&] {
    int sig = 0;
    if (sigwait(&signals, &sig) == 0) received = sig;
    server.stop();
  });
  const std::string url = "http://" + url_host(options.host) + ":" + std::to_string(port) + "/";
  const std::string login = options.token.empty() ? "" : "?token=" + options.token;
  std::cout << "dashboard: serving " << url << login << std::endl;
  if (options.host == "0.0.0.0" || options.host == "::") {
    char name[256] = {};
    if (::gethostname(name, sizeof name - 1) == 0 && name[0])
      std::cout << "dashboard: from other machines: http://" << name << ":" << port << "/" << login << std::endl;
  }
  std::cerr << "dashboard: storage " << storage->url() << (flags.allow_writes ? " (writes allowed)" : " (read-only)")
            << (generated ? "; generated a token because --host is beyond loopback (pass --token or set " +
                                std::string(kDashboardTokenEnv) + " to choose it)"
                          : "")
            << "; Ctrl-C stops it" << std::endl;
  server.serve();
  if (!received) pthread_kill(waiter.native_handle(), SIGTERM);  // serve() ended by itself
  waiter.join();
  return received == SIGINT ? kExitInterrupted : kExitOk;
}

int run_importance(const ImportanceFlags& flags) {
  if (flags.format != "table" && flags.format != "json")
    throw ConfigError("--format: must be table or json, got '" + flags.format + "'");
  ImportanceOptions options;
  options.evaluator = importance_evaluator_from_string(flags.evaluator);
  options.objective_index = flags.objective;
  options.seed = flags.seed;
  options.interactions = flags.interactions;
  if (!flags.params.empty()) {
    std::vector<std::string> names;
    std::stringstream ss(flags.params);
    for (std::string name; std::getline(ss, name, ',');) {
      const auto b = name.find_first_not_of(" \t"), e = name.find_last_not_of(" \t");
      if (b == std::string::npos)
        throw ConfigError("--params: '" + flags.params + "' has an empty name; list names separated by commas");
      names.push_back(name.substr(b, e - b + 1));
    }
    options.params = names;
  }
  auto storage = open_existing_storage(flags.storage);
  const int64_t study_id = find_study(*storage, flags.study);
  const auto directions = storage->get_study_directions(study_id);
  if (flags.objective < 0 || flags.objective >= static_cast<int>(directions.size()))
    throw ConfigError("--objective: study '" + flags.study + "' has " + std::to_string(directions.size()) +
                      " objective(s); pass 0.." + std::to_string(directions.size() - 1));
  const auto trials = storage->get_all_trials(study_id, std::vector<TrialState>{TrialState::COMPLETE});
  const ImportanceResult result = evaluate_importance(trials, directions, options);

  // What the figures cannot show: parameters left out, and a constant objective.
  std::set<std::string> left_out;
  if (!options.params)
    for (const auto& t : trials)
      for (const auto& [name, v] : t.params)
        if (std::none_of(result.importances.begin(), result.importances.end(), [&](const auto& p) { return p.first == name; }))
          left_out.insert(name);
  const bool constant =
      std::all_of(result.importances.begin(), result.importances.end(), [](const auto& p) { return p.second == 0.0; });

  if (flags.format == "json") {
    nlohmann::json j = {{"study", flags.study},
                        {"evaluator", to_string(result.evaluator)},
                        {"objective", flags.objective},
                        {"n_trials", result.n_trials},
                        {"importances", nlohmann::json::array()}};
    for (const auto& [name, value] : result.importances)
      j["importances"].push_back({{"name", name}, {"importance", value}});
    if (flags.interactions) j["interactions"] = {{"params", result.interaction_params}, {"matrix", result.interactions}};
    j["left_out"] = left_out;            // parameters not in every COMPLETE trial
    j["constant_objective"] = constant;  // every importance is 0 because the objective never varies
    std::cout << j.dump(2) << "\n";
    return kExitOk;
  }
  std::cout << "parameter importance (" << to_string(result.evaluator) << ", objective " << flags.objective << ", "
            << result.n_trials << " COMPLETE trials)\n";
  if (!left_out.empty()) {
    std::string names;
    for (const auto& n : left_out) names += (names.empty() ? "" : ", ") + n;
    std::cout << "note: left out (not in every COMPLETE trial, e.g. conditional): " << names
              << "; pass --params to rank a subset that holds them\n";
  }
  if (constant)
    std::cout << "note: the objective is the same in every trial used, so no parameter explains any of it\n";
  size_t width = 9;
  for (const auto& [name, value] : result.importances) width = std::max(width, name.size());
  std::cout << std::left << std::setw(static_cast<int>(width)) << "PARAMETER" << "  IMPORTANCE\n";
  for (const auto& [name, value] : result.importances) {
    std::cout << std::left << std::setw(static_cast<int>(width)) << name << "  " << std::right << std::fixed
              << std::setprecision(4) << std::setw(10) << value << "  "
              << std::string(static_cast<size_t>(std::lround(value * 40)), '#') << "\n";
  }
  if (flags.interactions && !result.interaction_params.empty()) {
    std::cout << "\npairwise interactions (off-diagonal; diagonal = main effect)\n";
    for (size_t i = 0; i < result.interaction_params.size(); ++i) {
      std::cout << std::left << std::setw(static_cast<int>(width)) << result.interaction_params[i];
      for (double v : result.interactions[i]) std::cout << std::right << std::setw(9) << std::setprecision(4) << v;
      std::cout << "\n";
    }
  }
  return kExitOk;
}

int run_report(const std::string& storage_url, const std::string& study, const std::string& out) {
  namespace fs = std::filesystem;
  if (out.empty()) throw ConfigError("--out: give the HTML file to write, e.g. --out report.html");
  const fs::path out_path(out);
  std::error_code ec;
  const fs::path dir = out_path.has_parent_path() ? out_path.parent_path() : fs::path(".");
  if (!fs::is_directory(dir, ec))
    throw ConfigError("--out: directory " + dir.string() + " does not exist; create it or choose another path");
  if (!out_path.has_filename())
    throw ConfigError("--out: " + out + " names a directory; give a file name such as " + out + "report.html");
  // Only a new file or an existing regular file is replaced, and never the study's own database.
  if (fs::is_symlink(fs::symlink_status(out_path, ec)))
    throw ConfigError("--out: " + out + " is a symbolic link; give the path of the file itself");
  const fs::file_status st = fs::status(out_path, ec);
  if (fs::exists(st) && !fs::is_regular_file(st))
    throw ConfigError("--out: " + out + " exists and is not a regular file; choose another path");
  if (auto db = sqlite_path_from_url(storage_url)) {
    for (const char* suffix : {"", "-wal", "-shm", "-journal"}) {  // the database and SQLite's files beside it
      const fs::path file = *db + suffix;
      if ((fs::exists(st) && fs::equivalent(out_path, file, ec)) ||
          fs::weakly_canonical(fs::absolute(out_path, ec), ec) == fs::weakly_canonical(fs::absolute(file, ec), ec))
        throw ConfigError("--out: " + out + " is the study's database file " + file.string() + "; choose another path");
    }
  }
  auto storage = open_existing_storage(storage_url);
  find_study(*storage, study);  // a clear error naming the studies there
  const std::string html = render_report(*storage, study);
  // Written to a fresh file beside the target and renamed: a reader never sees half a report,
  // and a failure leaves nothing behind.
  std::string tmp = (dir / ("." + out_path.filename().string() + ".XXXXXX")).string();
  const int fd = ::mkstemp(tmp.data());
  if (fd < 0) throw ConfigError("--out: cannot create a file in " + dir.string() + ": " + std::strerror(errno));
  std::size_t written = 0;
  while (written < html.size()) {
    const ssize_t n = ::write(fd, html.data() + written, html.size() - written);
    if (n <= 0) {
      const int err = errno;
      ::close(fd);
      fs::remove(tmp, ec);
      throw Error("--out: writing " + out + " failed: " + std::strerror(err));
    }
    written += static_cast<std::size_t>(n);
  }
  ::fchmod(fd, 0644);
  ::close(fd);
  fs::rename(tmp, out_path, ec);
  if (ec) {
    fs::remove(tmp, ec);
    throw Error("--out: cannot write " + out + ": " + ec.message());
  }
  std::cout << "report: wrote " << out << " (" << html.size() / 1024 << " KiB; opens offline in any browser)\n";
  return kExitOk;
}

}  // namespace autoglm::cli
