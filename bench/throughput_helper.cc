// autoglm-throughput-helper: storage chores of bench/throughput.sh that no CLI verb does, through
// the public Storage interface only (so it works on every back end and follows schema changes).
//
//   autoglm-throughput-helper fill --storage URL --study NAME --n N [--params D] [--seed S]
//       Adds N COMPLETE trials to an existing study (made by `autoglm tune`), each with D float
//       parameters x0..x{D-1} in [-5, 5] (default 10) and the sphere value, one
//       create_new_trial(template) per trial, in this one process. Prints one JSON line
//       {"kind": "fill", "n", "params", "seconds", "trials_per_s"}.
//   autoglm-throughput-helper set-attr --storage URL --study NAME --number N --key K --value JSON
//       Sets a system attr of trial number N (the stale-trial check rewrites worker.host, see throughput.sh).
//
// Exit status: 0, 2 on bad arguments, 1 on storage errors (message on stderr).
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <random>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "autoglm/distribution.h"
#include "autoglm/frozen_trial.h"
#include "autoglm/storage.h"

namespace {

int usage(const std::string& why) {
  std::cerr << "autoglm-throughput-helper: " << why
            << "\nusage: autoglm-throughput-helper fill --storage URL --study NAME --n N [--params D] [--seed S]\n"
               "       autoglm-throughput-helper set-attr --storage URL --study NAME --number N --key K --value JSON\n";
  return 2;
}

int fill(const std::string& url, const std::string& study, long n, int dim, unsigned seed) {
  auto storage = autoglm::open_storage(url);
  const int64_t study_id = storage->get_study_id_from_name(study);
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(-5.0, 5.0);
  const autoglm::Distribution dist = autoglm::FloatDistribution{-5.0, 5.0, false, std::nullopt};
  std::vector<std::string> names;
  for (int d = 0; d < dim; ++d) names.push_back(std::string("x").append(std::to_string(d)));
  const auto t0 = std::chrono::steady_clock::now();
  auto now = autoglm::Clock::now();
  for (long i = 0; i < n; ++i) {
    autoglm::FrozenTrial t;
    t.state = autoglm::TrialState::COMPLETE;
    double value = 0.0;
    for (int d = 0; d < dim; ++d) {
      const double x = u(rng);
      t.params[names[d]] = x;
      t.distributions[names[d]] = dist;
      value += x * x;
    }
    t.values = {value};
    t.datetime_start = now;
    t.datetime_complete = now + std::chrono::microseconds(100);
    now += std::chrono::microseconds(200);
    storage->create_new_trial(study_id, t);
  }
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::cout << nlohmann::json{{"kind", "fill"}, {"n", n}, {"params", dim}, {"seconds", s},
                              {"trials_per_s", s > 0 ? n / s : 0.0}}
                   .dump()
            << std::endl;
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) return usage("missing verb");
  const std::string verb = argv[1];
  std::string url, study, key, value;
  long n = -1;
  int dim = 10;
  unsigned seed = 1;
  int number = -1;
  for (int i = 2; i < argc; ++i) {
    const std::string a = argv[i];
    if (i + 1 >= argc) return usage("option " + a + " needs a value");
    const std::string v = argv[++i];
    try {
      if (a == "--storage") url = v;
      else if (a == "--study") study = v;
      else if (a == "--n") n = std::stol(v);
      else if (a == "--params") dim = std::stoi(v);
      else if (a == "--seed") seed = static_cast<unsigned>(std::stoul(v));
      else if (a == "--number") number = std::stoi(v);
      else if (a == "--key") key = v;
      else if (a == "--value") value = v;
      else return usage("unknown option " + a);
    } catch (const std::exception&) {
      return usage("bad value '" + v + "' for " + a);
    }
  }
  try {
    if (verb == "fill") {
      if (url.empty() || study.empty() || n < 0 || dim < 1) return usage("fill needs --storage, --study, --n >= 0");
      return fill(url, study, n, dim, seed);
    }
    if (verb == "set-attr") {
      if (url.empty() || study.empty() || number < 0 || key.empty() || value.empty())
        return usage("set-attr needs --storage, --study, --number, --key, --value");
      auto storage = autoglm::open_storage(url);
      const int64_t id =
          storage->get_trial_id_from_study_id_trial_number(storage->get_study_id_from_name(study), number);
      storage->set_trial_system_attr(id, key, nlohmann::json::parse(value));
      return 0;
    }
    return usage("unknown verb '" + verb + "'");
  } catch (const std::exception& e) {
    std::cerr << "autoglm-throughput-helper: " << e.what() << "\n";
    return 1;
  }
}
