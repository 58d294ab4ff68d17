// dashboard_fixtures: writes the dashboard's fixture studies (tests/dashboard/fixtures.h) into a
// storage, for the browser tests (tests/e2e/browser) and the dashboard benchmark (bench/dashboard.sh).
// Usage: dashboard_fixtures STORAGE_URL [--large NAME N]
#include <cstdlib>
#include <iostream>
#include <string>

#include "dashboard/fixtures.h"

int main(int argc, char** argv) {
  if (argc != 2 && argc != 5) {
    std::cerr << "usage: dashboard_fixtures STORAGE_URL [--large NAME N]\n";
    return 2;
  }
  try {
    auto storage = autoglm::open_storage(argv[1]);
    if (argc == 5)
      testing_util::write_large_study(*storage, argv[3], std::atoi(argv[4]));
    else
      testing_util::write_dashboard_fixtures(*storage);
  } catch (const std::exception& e) {
    std::cerr << "dashboard_fixtures: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
