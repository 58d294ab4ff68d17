// The command line on PostgreSQL: the password never shows (messages, the config stored with the
// study) and AUTOGLM_STORAGE serves every verb. On the shared test server (tests/common/pg_server.h).
#include <gtest/gtest.h>

#include <cstdlib>

#include "autoglm/storage.h"
#include "common/pg_server.h"
#include "fault/fault_util.h"

namespace autoglm_fault {
namespace {

TEST(PostgresCli, PasswordNeverShownNorStoredAndEnvironmentServesEveryVerb) {
  TempDir dir;
  const std::string url = autoglm::testing_util::fresh_postgres_database(autoglm::testing_util::postgres_url());
  const std::string password = url.substr(url.find(':', 14) + 1, url.find('@') - url.find(':', 14) - 1);
  ASSERT_GE(password.size(), 6u) << url;
  // The config names the storage (password included), as users do.
  std::ofstream(dir.path() / "c.yaml") << "study: pgcli\nstorage: " << url
                                        << "\nspace:\n  x0: {type: float, low: -1, high: 1}\nsampler: random\n"
                                           "pruner: none\nobjective: {function: sphere}\nn_trials: 3\n";
  autoglm_e2e::Result r = autoglm_e2e::finish_spawn(
      autoglm_e2e::spawn_in(dir.path(), {autoglm_e2e::kAutoglm, "tune", "c.yaml"}, dir.path() / "o", dir.path() / "e"),
      dir.path() / "o", dir.path() / "e");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.err.find(password), std::string::npos) << r.err;
  auto storage = autoglm::open_storage(url);
  const auto stored = storage->get_study_system_attrs(storage->get_study_id_from_name("pgcli")).at("config");
  EXPECT_EQ(stored.dump().find(password), std::string::npos) << stored.dump();
  EXPECT_NE(stored.at("yaml").get<std::string>().find("objective"), std::string::npos);

  ::setenv("AUTOGLM_STORAGE", url.c_str(), 1);
  for (const std::vector<std::string>& verb :
       {std::vector<std::string>{"trials", "--study", "nosuch"}, {"best", "--study", "nosuch"},
        {"status", "--study", "nosuch"}, {"worker", "--study", "nosuch"}}) {
    std::vector<std::string> argv{autoglm_e2e::kAutoglm};
    argv.insert(argv.end(), verb.begin(), verb.end());
    autoglm_e2e::Result v = autoglm_e2e::finish_spawn(autoglm_e2e::spawn_in(dir.path(), argv, dir.path() / "o", dir.path() / "e"),
                                                      dir.path() / "o", dir.path() / "e");
    EXPECT_EQ(v.code, 2) << verb[0] << ": " << v.err;
    EXPECT_NE(v.err.find("no study named 'nosuch'"), std::string::npos) << verb[0] << ": " << v.err;
    EXPECT_NE(v.err.find("pgcli"), std::string::npos) << verb[0] << ": " << v.err;  // found the database by env
    EXPECT_EQ(v.err.find(password), std::string::npos) << verb[0] << ": " << v.err;
  }
  ::unsetenv("AUTOGLM_STORAGE");
  autoglm::testing_util::drop_postgres_database(url);
}

}  // namespace
}  // namespace autoglm_fault
