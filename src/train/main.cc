// autoglm-train: the built-in libtorch training workloads of Open-AutoGLM.
//
//   autoglm-train WORKLOAD [FLAGS...]      (`autoglm train WORKLOAD ...` execs this)
//
// Each workload is an ordinary trial command: it reports through AUTOGLM_REPORT_FD when run by
// the engine and prints its metrics when run by hand. Exit codes: see train/workload.h.
#include <cstdio>
#include <cstring>
#include <exception>
#include <string>

#include "autoglm/error.h"
#include "train/classify.h"
#include "train/lm.h"
#include "train/workload.h"

namespace {

using autoglm::train::ExitCode;

struct Workload {
  const char* name;
  const char* summary;
  int (*run)(int argc, char** argv);
};

int run_lm_main(int argc, char** argv) {
  autoglm::train::LmOptions options;
  if (!autoglm::train::parse_lm_options(argc, argv, options)) return 0;  // --help
  return autoglm::train::run_lm(options);
}

int run_classify_main(int argc, char** argv) {
  autoglm::train::ClassifyOptions options;
  if (!autoglm::train::parse_classify_options(argc, argv, options)) return 0;  // --help
  return autoglm::train::run_classify(options);
}

constexpr Workload kWorkloads[] = {
    {"lm", "byte-level transformer language model; objective: validation bits per byte", run_lm_main},
    {"classify", "spam-vs-ham text classifier (SpamAssassin); objective: validation F1 (maximize)", run_classify_main},
};

void print_usage(std::FILE* out) {
  std::fprintf(out, "usage: autoglm-train WORKLOAD [FLAGS...]   (autoglm-train WORKLOAD --help for flags)\n\nworkloads:\n");
  for (const auto& w : kWorkloads) std::fprintf(out, "  %-10s %s\n", w.name, w.summary);
  std::fprintf(out,
               "\nexit codes: 0 finished (or stopped by SIGTERM/SIGINT after saving the checkpoint), 1 runtime "
               "error, 2 bad flag, 3 diverged\n");
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || std::strcmp(argv[1], "--help") == 0 || std::strcmp(argv[1], "-h") == 0) {
    print_usage(argc < 2 ? stderr : stdout);
    return argc < 2 ? static_cast<int>(ExitCode::kUsage) : 0;
  }
  const std::string name = argv[1];
  for (const auto& w : kWorkloads) {
    if (name != w.name) continue;
    autoglm::train::install_stop_handlers();
    try {
      return w.run(argc - 1, argv + 1);
    } catch (const autoglm::Error& e) {
      std::fprintf(stderr, "autoglm-train %s: %s\n", w.name, e.what());
      return static_cast<int>(ExitCode::kUsage);
    } catch (const std::exception& e) {
      std::string what = e.what();
      // libtorch messages span many lines (with a C++ backtrace); keep the first one.
      if (auto nl = what.find('\n'); nl != std::string::npos) what.resize(nl);
      std::fprintf(stderr, "autoglm-train %s: error: %s\n", w.name, what.c_str());
      return static_cast<int>(ExitCode::kRuntimeError);
    }
  }
  std::string known;
  for (const auto& w : kWorkloads) known += (known.empty() ? "" : ", ") + std::string(w.name);
  std::fprintf(stderr, "autoglm-train: unknown workload '%s'; valid: %s\n", name.c_str(), known.c_str());
  return static_cast<int>(ExitCode::kUsage);
}
