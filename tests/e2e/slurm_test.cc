// End-to-end tests of the Slurm launcher (`autoglm tune --launcher slurm`, `autoglm status`,
// `autoglm cancel`; src/cli/slurm.cc, docs/cli.md "On a Slurm cluster").
//
// SlurmFakeTest puts small shell scripts named sbatch / squeue / sacct / scancel first in PATH;
// they record their argv and environment into files and print canned replies. These tests run
// everywhere in a few seconds: the batch script's text and quoting (the generated script is also
// run with bash, so a study name with quotes and spaces reaches the worker intact), the storage
// URL travelling only in sbatch's environment, the job id recorded in the study, status parsing of
// squeue / sacct replies, cancel calling scancel.
//
// RealSlurmTest starts a private single-node Slurm with scripts/test_slurm.sh (munged, slurmctld,
// slurmd on loopback) and runs real job arrays. Skipped only when Slurm's programs are not
// installed; when the script reports that slurmd cannot run jobs here, the tests check that the
// array was submitted (squeue knows it) and cancel it.
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <optional>
#include <sstream>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "e2e/e2e_util.h"

#include "autoglm/storage.h"

namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::Not;
using json = nlohmann::json;

using autoglm_e2e::kAutoglm;
using autoglm_e2e::read_file;
using autoglm_e2e::Result;

// Sets environment variables for the duration of a test (children inherit them) and restores them.
class EnvGuard {
 public:
  void set(const std::string& name, const std::string& value) {
    save(name);
    ::setenv(name.c_str(), value.c_str(), 1);
  }
  void unset(const std::string& name) {
    save(name);
    ::unsetenv(name.c_str());
  }
  ~EnvGuard() {
    for (auto it = saved_.rbegin(); it != saved_.rend(); ++it) {
      if (it->second) ::setenv(it->first.c_str(), it->second->c_str(), 1);
      else ::unsetenv(it->first.c_str());
    }
  }

 private:
  void save(const std::string& name) {
    const char* v = std::getenv(name.c_str());
    saved_.emplace_back(name, v ? std::optional<std::string>(v) : std::nullopt);
  }
  std::vector<std::pair<std::string, std::optional<std::string>>> saved_;
};

void write_executable(const fs::path& p, const std::string& text) {
  std::ofstream(p, std::ios::binary) << text;
  fs::permissions(p, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec | fs::perms::others_read |
                         fs::perms::others_exec);
}

std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> out;
  std::stringstream ss(text);
  std::string line;
  while (std::getline(ss, line)) out.push_back(line);
  return out;
}

// A fake Slurm tool: appends its argv (one per line, then "--") to <calls>/<name>.argv, writes its
// environment to <calls>/<name>.env; if <calls>/<name>.fail exists prints it on stderr and exits 1,
// else prints <calls>/<name>.reply (if any).
std::string fake_tool(const std::string& name, const fs::path& calls) {
  const std::string c = calls.string();
  return "#!/bin/sh\n"
         "for a in \"$@\"; do printf '%s\\n' \"$a\"; done >> '" + c + "/" + name + ".argv'\n"
         "echo -- >> '" + c + "/" + name + ".argv'\n"
         "env > '" + c + "/" + name + ".env'\n"
         "if [ -f '" + c + "/" + name + ".fail' ]; then cat '" + c + "/" + name + ".fail' >&2; exit 1; fi\n"
         "if [ -f '" + c + "/" + name + ".reply' ]; then cat '" + c + "/" + name + ".reply'; fi\n"
         "exit 0\n";
}

const char* kSphere = R"(study: "it's a \"quoted\" study"
space:
  x0: {type: float, low: -5.12, high: 5.12}
  x1: {type: float, low: -5.12, high: 5.12}
objective: {function: sphere}
sampler: random
n_trials: 20
seed: 3
)";
const std::string kSphereName = "it's a \"quoted\" study";

class SlurmFakeTest : public autoglm_e2e::TempDirTest {
 protected:
  SlurmFakeTest() : TempDirTest("autoglm-slurm-fake-") {}
  void SetUp() override {
    TempDirTest::SetUp();
    bin_ = dir_ / "bin";
    calls_ = dir_ / "calls";
    fs::create_directories(bin_);
    fs::create_directories(calls_);
    fs::create_directories(dir_ / "empty-bin");
    for (const char* tool : {"sbatch", "squeue", "sacct", "scancel"}) write_executable(bin_ / tool, fake_tool(tool, calls_));
    reply("sbatch", "4242\n");
    const char* path = std::getenv("PATH");
    env_.set("PATH", bin_.string() + ":" + (path ? path : "/usr/bin:/bin"));
    env_.unset("AUTOGLM_STORAGE");
    env_.unset("SBATCH_EXPORT");
  }
  void reply(const std::string& tool, const std::string& text) { std::ofstream(calls_ / (tool + ".reply")) << text; }
  void fail(const std::string& tool, const std::string& text) { std::ofstream(calls_ / (tool + ".fail")) << text; }
  std::string calls(const std::string& file) { return read_file(calls_ / file); }
  json status_json(const std::string& study) {
    Result r = run({"status", "--study", study, "--storage", db_, "--format", "json"});
    EXPECT_EQ(r.code, 0) << r.err;
    return json::parse(r.out, nullptr, false);
  }
  Result submit(const std::vector<std::string>& extra = {}) {
    write("sphere.yaml", kSphere);
    std::vector<std::string> args{"tune", "sphere.yaml", "--storage", db_, "--launcher", "slurm", "--workers", "2"};
    args.insert(args.end(), extra.begin(), extra.end());
    return run(args);
  }

  fs::path bin_, calls_;
  EnvGuard env_;
};

TEST_F(SlurmFakeTest, SubmitsAScriptThatRunsTheWorkerWithTheUrlOnlyInTheEnvironment) {
  Result r = submit();
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("submitted Slurm job array 4242 (2 workers) for study '" + kSphereName + "'"));
  EXPECT_THAT(r.out, HasSubstr("follow it with: autoglm status --study"));
  EXPECT_THAT(r.out, HasSubstr("cancel with: autoglm cancel --study"));
  EXPECT_THAT(r.err, HasSubstr("only valid when every node shares the file system and flock works"));

  // sbatch: --parsable, the script, nothing else; the URL only in its environment.
  const fs::path script = dir_ / "autoglm-slurm" / "it_s_a__quoted__study.sbatch";
  ASSERT_TRUE(fs::exists(script));
  EXPECT_EQ(lines(calls("sbatch.argv")), (std::vector<std::string>{"--parsable", "--export=ALL", script.string(), "--"}));
  EXPECT_THAT(calls("sbatch.env"), HasSubstr("AUTOGLM_STORAGE=" + db_ + "\n"));
  const std::string text = read_file(script);
  for (const std::string& where : {text, calls("sbatch.argv")}) {
    EXPECT_THAT(where, Not(HasSubstr(db_)));
    EXPECT_THAT(where, Not(HasSubstr("study.db")));
  }
  EXPECT_THAT(text, HasSubstr("#SBATCH --job-name=autoglm-it_s_a__quoted__study\n"));
  EXPECT_THAT(text, HasSubstr("#SBATCH --array=0-1\n"));
  EXPECT_THAT(text, HasSubstr("#SBATCH --output=" + (dir_ / "autoglm-slurm" / "it_s_a__quoted__study-%A_%a.out").string() + "\n"));
  EXPECT_THAT(text, HasSubstr("#SBATCH --cpus-per-task=1\n"));
  EXPECT_THAT(text, Not(HasSubstr("--gpus")));
  EXPECT_THAT(text, Not(HasSubstr("--partition")));
  EXPECT_THAT(text, Not(HasSubstr("--time")));
  EXPECT_THAT(text, HasSubstr("exec '" + kAutoglm + "' worker --study 'it'\\''s a \"quoted\" study'\n"));

  // The job is recorded in the study.
  json st = status_json(kSphereName);
  ASSERT_TRUE(st.is_object());
  ASSERT_EQ(st["slurm_jobs"].size(), 1u);
  EXPECT_EQ(st["slurm_jobs"][0]["job_id"], "4242");
  EXPECT_EQ(st["slurm_jobs"][0]["array"], "0-1");
  EXPECT_EQ(st["slurm_jobs"][0]["workers"], 2);
  EXPECT_EQ(st["slurm_jobs"][0]["script"], script.string());
  EXPECT_TRUE(st["slurm_jobs"][0]["submitted_at"].is_string());
  EXPECT_EQ(st["n_trials_by_state"]["COMPLETE"], 0);

  // What Slurm would run: the script under bash with AUTOGLM_STORAGE exported reaches the worker
  // with the study name intact and finishes the study.
  {
    EnvGuard job_env;
    job_env.set("AUTOGLM_STORAGE", db_);
    pid_t pid = autoglm_e2e::spawn_in(dir_, {"/bin/bash", script.string()}, dir_ / "job.out", dir_ / "job.err");
    Result job = autoglm_e2e::finish_spawn(pid, dir_ / "job.out", dir_ / "job.err");
    ASSERT_EQ(job.code, 0) << job.err << job.out;
  }
  EXPECT_EQ(status_json(kSphereName)["n_trials_by_state"]["COMPLETE"], 20);

  // Without AUTOGLM_STORAGE the script says so instead of running a worker on a default database.
  pid_t pid = autoglm_e2e::spawn_in(dir_, {"/bin/bash", script.string()}, dir_ / "job2.out", dir_ / "job2.err");
  Result bare = autoglm_e2e::finish_spawn(pid, dir_ / "job2.out", dir_ / "job2.err");
  EXPECT_EQ(bare.code, 2);
  EXPECT_THAT(bare.err, HasSubstr("AUTOGLM_STORAGE is not set"));

  // A second submission appends to slurm_jobs.
  reply("sbatch", "4250;clusterb\n");
  ASSERT_EQ(submit().code, 0);
  json st2 = status_json(kSphereName);
  ASSERT_EQ(st2["slurm_jobs"].size(), 2u);
  EXPECT_EQ(st2["slurm_jobs"][0]["job_id"], "4242");
  EXPECT_EQ(st2["slurm_jobs"][1]["job_id"], "4250");
  EXPECT_EQ(st2["slurm_jobs"][1]["cluster"], "clusterb");
}

TEST_F(SlurmFakeTest, GpusPartitionAndTimeGoIntoTheScript) {
  Result r = submit({"--n-jobs", "2", "--gpus-per-trial", "2", "--partition", "gpu-a100", "--time", "1-02:00:00"});
  ASSERT_EQ(r.code, 0) << r.err;
  const std::string text = read_file(dir_ / "autoglm-slurm" / "it_s_a__quoted__study.sbatch");
  EXPECT_THAT(text, HasSubstr("#SBATCH --cpus-per-task=2\n"));
  EXPECT_THAT(text, HasSubstr("#SBATCH --gpus-per-task=4\n"));
  EXPECT_THAT(text, HasSubstr("#SBATCH --partition=gpu-a100\n"));
  EXPECT_THAT(text, HasSubstr("#SBATCH --time=1-02:00:00\n"));
  EXPECT_THAT(text, HasSubstr(" worker --study 'it'\\''s a \"quoted\" study' --gpus \"$CUDA_VISIBLE_DEVICES\"\n"));
}

TEST_F(SlurmFakeTest, BadFlagsAreRefusedBeforeAnythingIsWritten) {
  write("sphere.yaml", kSphere);
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"--launcher", "slurm", "--workers", "0"}, "--workers: must be >= 1"},
      {{"--launcher", "slurm", "--gpus-per-trial", "-1"}, "--gpus-per-trial: must be >= 0"},
      {{"--launcher", "slurm", "--time", "2h"}, "--time: '2h' is not a Slurm time limit; write HH:MM:SS"},
      {{"--launcher", "slurm", "--time", "1:99:00"}, "--time"},
      {{"--launcher", "slurm", "--partition", "gpu;rm"}, "--partition: 'gpu;rm' is not a partition name"},
      {{"--workers", "2"}, "--workers: applies with --launcher slurm"},
      {{"--partition", "gpu"}, "--partition: applies with --launcher slurm"},
      {{"--launcher", "pbs"}, "--launcher"},
  };
  for (const auto& [flags, message] : cases) {
    std::vector<std::string> args{"tune", "sphere.yaml", "--storage", db_};
    args.insert(args.end(), flags.begin(), flags.end());
    Result r = run(args);
    EXPECT_EQ(r.code, 2) << flags.back();
    EXPECT_THAT(r.err, HasSubstr(message)) << flags.back();
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  }
  EXPECT_FALSE(fs::exists(dir_ / "study.db"));
  EXPECT_FALSE(fs::exists(calls_ / "sbatch.argv"));

  // In-memory storage: the workers could not share it.
  Result mem = run({"tune", "sphere.yaml", "--storage", ":memory:", "--launcher", "slurm"});
  EXPECT_EQ(mem.code, 2);
  EXPECT_THAT(mem.err, HasSubstr("in-memory"));
  EXPECT_FALSE(fs::exists(calls_ / "sbatch.argv"));
}

TEST_F(SlurmFakeTest, MissingOrFailingSbatchIsAOneLineError) {
  {
    EnvGuard g;
    g.set("PATH", (dir_ / "empty-bin").string());
    Result r = submit();
    EXPECT_EQ(r.code, 2);
    EXPECT_THAT(r.err, HasSubstr("sbatch not found: install Slurm's client or run without --launcher slurm"));
    EXPECT_FALSE(fs::exists(dir_ / "study.db"));
  }
  fail("sbatch", "sbatch: error: Batch job submission failed: Invalid partition name specified\nmore\n");
  Result r = submit();
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.err, HasSubstr("sbatch: error: Batch job submission failed: Invalid partition name specified"));
  EXPECT_THAT(r.err, Not(HasSubstr("more")));

  fs::remove(calls_ / "sbatch.fail");
  reply("sbatch", "Submitted batch job 12\n");  // not --parsable output
  Result garbled = submit();
  EXPECT_EQ(garbled.code, 2);
  EXPECT_THAT(garbled.err, HasSubstr("not JOBID[;CLUSTER]"));
}

TEST_F(SlurmFakeTest, StatusReadsSqueueThenSacct) {
  ASSERT_EQ(submit().code, 0);
  reply("squeue", "4242_1 PENDING\n4242_0 RUNNING\n");
  Result r = run({"status", "--study", kSphereName, "--storage", db_});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("study '" + kSphereName + "' (minimize)"));
  EXPECT_THAT(r.out, HasSubstr("trials: 0 (WAITING 0, RUNNING 0, COMPLETE 0, PRUNED 0, FAIL 0); 0 retried"));
  EXPECT_THAT(r.out, HasSubstr("job 4242 (array 0-1, 2 workers"));
  EXPECT_THAT(r.out, HasSubstr("    4242_0 RUNNING\n    4242_1 PENDING\n"));
  EXPECT_EQ(lines(calls("squeue.argv")),
            (std::vector<std::string>{"-h", "-r", "-t", "all", "-j", "4242", "-o", "%i %T", "--"}));
  EXPECT_FALSE(fs::exists(calls_ / "sacct.argv"));

  // squeue no longer knows the job: sacct.
  fs::remove(calls_ / "squeue.reply");
  fail("squeue", "slurm_load_jobs error: Invalid job id specified\n");
  reply("sacct", "4242_0|COMPLETED\n4242_1|CANCELLED by 0\n");
  json st = status_json(kSphereName);
  ASSERT_TRUE(st.is_object());
  EXPECT_EQ(st["slurm_jobs"][0]["source"], "sacct");
  EXPECT_EQ(st["slurm_jobs"][0]["tasks"], json::parse(R"([{"id": "4242_0", "state": "COMPLETED"},
                                                          {"id": "4242_1", "state": "CANCELLED by 0"}])"));
  EXPECT_EQ(lines(calls("sacct.argv")),
            (std::vector<std::string>{"-n", "-X", "-P", "-j", "4242", "-o", "JobID,State", "--"}));

  // Accounting disabled: say what is known.
  fail("sacct", "Slurm accounting storage is disabled\n");
  Result r2 = run({"status", "--study", kSphereName, "--storage", db_});
  EXPECT_THAT(r2.out, HasSubstr("finished or unknown (squeue: slurm_load_jobs error: Invalid job id specified; sacct: "
                                "Slurm accounting storage is disabled)"));

  // No Slurm tools at all.
  EnvGuard g;
  g.set("PATH", (dir_ / "empty-bin").string());
  Result r3 = run({"status", "--study", kSphereName, "--storage", db_});
  ASSERT_EQ(r3.code, 0) << r3.err;
  EXPECT_THAT(r3.out, HasSubstr("unknown (squeue/sacct not found)"));

  // Bad input.
  Result bad = run({"status", "--study", kSphereName, "--storage", db_, "--format", "yaml"});
  EXPECT_EQ(bad.code, 2);
  EXPECT_THAT(bad.err, HasSubstr("--format: unknown format 'yaml'"));
  Result unknown = run({"status", "--study", "nope", "--storage", db_});
  EXPECT_EQ(unknown.code, 2);
  EXPECT_THAT(unknown.err, HasSubstr("no study named 'nope'"));
}

TEST_F(SlurmFakeTest, StatusIsReadOnly) {
  ASSERT_EQ(submit().code, 0);
  const fs::path db = dir_ / "study.db";
  ::chmod(db.c_str(), 0444);
  const auto before = read_file(db);
  Result r = run({"status", "--study", kSphereName, "--storage", db_});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(read_file(db), before);
  ::chmod(db.c_str(), 0644);
  // AUTOGLM_STORAGE is the default storage of status (workers use it too).
  EnvGuard g;
  g.set("AUTOGLM_STORAGE", db_);
  Result e = run({"status", "--study", kSphereName});
  EXPECT_EQ(e.code, 0) << e.err;
  EXPECT_THAT(e.out, HasSubstr("job 4242"));
}

TEST_F(SlurmFakeTest, CancelScancelsEveryJobAndRequestsAStop) {
  ASSERT_EQ(submit().code, 0);
  reply("sbatch", "4243\n");
  ASSERT_EQ(submit().code, 0);
  Result r = run({"cancel", "--study", kSphereName, "--storage", db_});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("cancelled Slurm job 4242"));
  EXPECT_THAT(r.out, HasSubstr("cancelled Slurm job 4243"));
  EXPECT_THAT(r.out, HasSubstr("stop requested"));
  EXPECT_EQ(lines(calls("scancel.argv")), (std::vector<std::string>{"4242", "--", "4243", "--"}));
  EXPECT_EQ(status_json(kSphereName)["stop_requested"], true);

  // Again: the jobs are gone; still exit 0.
  fail("scancel", "scancel: error: Kill job error on job id 4242: Invalid job id specified\n");
  Result again = run({"cancel", "--study", kSphereName, "--storage", db_});
  EXPECT_EQ(again.code, 0) << again.err;
  EXPECT_THAT(again.out, HasSubstr("already finished"));

  // A stopped study's workers start nothing.
  {
    EnvGuard job_env;
    job_env.set("AUTOGLM_STORAGE", db_);
    const fs::path script = dir_ / "autoglm-slurm" / "it_s_a__quoted__study.sbatch";
    pid_t pid = autoglm_e2e::spawn_in(dir_, {"/bin/bash", script.string()}, dir_ / "job.out", dir_ / "job.err");
    autoglm_e2e::finish_spawn(pid, dir_ / "job.out", dir_ / "job.err");
  }
  EXPECT_EQ(status_json(kSphereName)["n_trials"], 0);

  // Submitting again lifts the stop.
  reply("sbatch", "4244\n");
  Result again_submit = submit();
  ASSERT_EQ(again_submit.code, 0) << again_submit.err;
  EXPECT_THAT(again_submit.err, HasSubstr("cleared it, workers may start trials again"));
  EXPECT_EQ(status_json(kSphereName)["stop_requested"], false);

  // A missing database is not created.
  Result missing = run({"cancel", "--study", "x", "--storage", "sqlite:///" + (dir_ / "nope.db").string()});
  EXPECT_EQ(missing.code, 2);
  EXPECT_FALSE(fs::exists(dir_ / "nope.db"));
}

// ---- a real single-node Slurm ----------------------------------------------------------------

struct Cluster {
  int code = -1;  ///< scripts/test_slurm.sh start: 0 ready, 3 not installed, 4 cannot run jobs
  std::string output;
  std::string slurm_conf;
};

const Cluster& cluster() {
  static const Cluster c = [] {
    Cluster c;
    const std::string cmd = std::string(AUTOGLM_SOURCE_DIR) + "/scripts/test_slurm.sh start 2>&1";
    FILE* p = ::popen(cmd.c_str(), "r");
    if (!p) return c;
    char buf[512];
    while (std::fgets(buf, sizeof buf, p)) c.output += buf;
    const int status = ::pclose(p);
    c.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    for (const auto& line : lines(c.output))
      if (line.rfind("SLURM_CONF=", 0) == 0) c.slurm_conf = line.substr(11);
    return c;
  }();
  return c;
}

class RealSlurmTest : public autoglm_e2e::TempDirTest {
 protected:
  RealSlurmTest() : TempDirTest("autoglm-slurm-real-") {}
  void SetUp() override {
    TempDirTest::SetUp();
    const Cluster& c = cluster();
    if (c.code == 3) GTEST_SKIP() << "Slurm is not installed: " << c.output;
    ASSERT_TRUE(c.code == 0 || c.code == 4) << c.output;
    can_run_ = c.code == 0;
    if (!can_run_) std::cerr << "slurmd cannot run jobs here; checking submission only: " << c.output;
    env_.set("SLURM_CONF", c.slurm_conf);
    env_.unset("AUTOGLM_STORAGE");
  }
  json status_json(const std::string& study) {
    Result r = run({"status", "--study", study, "--storage", db_, "--format", "json"});
    EXPECT_EQ(r.code, 0) << r.err;
    return json::parse(r.out, nullptr, false);
  }
  static bool finished(const std::string& state) {
    for (const char* s : {"COMPLETED", "FAILED", "CANCELLED", "TIMEOUT", "NODE_FAIL", "OUT_OF_MEMORY", "PREEMPTED", "BOOT_FAIL"})
      if (state.rfind(s, 0) == 0) return true;
    return false;
  }
  // Polls `autoglm status` until every array task of the study's first job is finished.
  json wait_for_array(const std::string& study, int workers, double seconds) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
    json st;
    while (std::chrono::steady_clock::now() < deadline) {
      st = status_json(study);
      if (st.is_object() && st["slurm_jobs"].size() == 1) {
        const auto& tasks = st["slurm_jobs"][0]["tasks"];
        int done = 0;
        for (const auto& t : tasks) done += finished(t["state"].get<std::string>()) ? 1 : 0;
        if (static_cast<int>(tasks.size()) == workers && done == workers) return st;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(300));
    }
    ADD_FAILURE() << "the job array did not finish within " << seconds << " s: " << st.dump();
    return st;
  }
  std::string job_id(const std::string& study) { return status_json(study)["slurm_jobs"][0]["job_id"].get<std::string>(); }
  // Submission-only check when slurmd cannot run jobs: squeue knows the array; cancel it.
  void check_submitted_and_cancel(const std::string& study) {
    json st = status_json(study);
    ASSERT_EQ(st["slurm_jobs"].size(), 1u);
    EXPECT_EQ(st["slurm_jobs"][0]["source"], "squeue") << st.dump();
    Result c = run({"cancel", "--study", study, "--storage", db_});
    EXPECT_EQ(c.code, 0) << c.err;
  }

  EnvGuard env_;
  bool can_run_ = false;
};

TEST_F(RealSlurmTest, JobArrayOfTwoWorkersCompletesTheStudy) {
  write("sphere.yaml", R"(study: sphere slurm
space:
  x0: {type: float, low: -5.12, high: 5.12}
  x1: {type: float, low: -5.12, high: 5.12}
objective: {function: sphere}
sampler: random
n_trials: 20
)");
  Result r = run({"tune", "sphere.yaml", "--storage", db_, "--launcher", "slurm", "--workers", "2"});
  ASSERT_EQ(r.code, 0) << r.err;
  ASSERT_THAT(r.out, HasSubstr("submitted Slurm job array"));
  if (!can_run_) return check_submitted_and_cancel("sphere slurm");
  json st = wait_for_array("sphere slurm", 2, 45);
  EXPECT_EQ(st["n_trials_by_state"]["COMPLETE"], 20) << st.dump();
  EXPECT_EQ(st["n_trials_by_state"]["RUNNING"], 0);
  for (const auto& t : st["slurm_jobs"][0]["tasks"]) EXPECT_EQ(t["state"], "COMPLETED") << st.dump();
  // Both workers' output files exist beside the script.
  const std::string id = st["slurm_jobs"][0]["job_id"];
  for (int k = 0; k < 2; ++k)
    EXPECT_TRUE(fs::exists(dir_ / "autoglm-slurm" / ("sphere_slurm-" + id + "_" + std::to_string(k) + ".out")));
}

TEST_F(RealSlurmTest, TrialsOfACancelledArrayTaskAreRetried) {
  // Each trial sleeps 3 s, so a worker is inside a trial almost all the time (with 1 s, the
  // cancelled task's trial sometimes finished in the moment scancel took, leaving nothing to retry).
  write("sleepy.sh", "sleep 3\necho \"{\\\"value\\\": $1}\" >&3\n");
  write("sleepy.yaml", R"(study: sleepy
space:
  x: {type: float, low: -1, high: 1}
objective:
  command: sh {config_dir}/sleepy.sh {x}
  grace_period: 2
sampler: random
n_trials: 6
max_retries: 2
heartbeat_interval: 1
heartbeat_grace_period: 3
)");
  Result r = run({"tune", "sleepy.yaml", "--storage", db_, "--launcher", "slurm", "--workers", "2"});
  ASSERT_EQ(r.code, 0) << r.err;
  if (!can_run_) return check_submitted_and_cancel("sleepy");
  const std::string id = job_id("sleepy");
  // Wait until both workers run a trial, then cancel array task 1.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  bool both = false;
  while (!both && std::chrono::steady_clock::now() < deadline) {
    json st = status_json("sleepy");
    both = st.is_object() && st["running"].size() == 2 && st["n_trials_by_state"]["COMPLETE"] >= 1;
    if (!both) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_TRUE(both) << status_json("sleepy").dump();
  FILE* p = ::popen(("scancel " + id + "_1 2>&1").c_str(), "r");
  ASSERT_NE(p, nullptr);
  char buf[256];
  std::string out;
  while (std::fgets(buf, sizeof buf, p)) out += buf;
  ASSERT_EQ(::pclose(p), 0) << out;

  json st = wait_for_array("sleepy", 2, 45);
  EXPECT_EQ(st["n_trials_by_state"]["COMPLETE"], 6) << st.dump();
  EXPECT_GE(st["n_retried"].get<int>(), 1) << st.dump();
  std::string task1;
  for (const auto& t : st["slurm_jobs"][0]["tasks"])
    if (t["id"] == id + "_1") task1 = t["state"];
  EXPECT_EQ(task1.rfind("CANCELLED", 0), 0u) << st.dump();
  // The retry is a trial with system attr retry_of, and it completed.
  autoglm::StorageOpenOptions ro;
  ro.read_only = true;
  auto storage = autoglm::open_storage(db_, ro);
  int complete_retries = 0;
  for (const auto& t : storage->get_all_trials(storage->get_study_id_from_name("sleepy")))
    if (t.system_attrs.count(autoglm::kRetryOfAttr) && t.state == autoglm::TrialState::COMPLETE) ++complete_retries;
  EXPECT_GE(complete_retries, 1);
}

}  // namespace
