// Random point sets shared by the Pareto and hypervolume tests.
#pragma once

#include <cstddef>
#include <random>
#include <vector>

namespace autoglm::test {

/// n points of m objectives with integer coordinates in [0, max_value] (many ties and
/// duplicates), seeded.
inline std::vector<std::vector<double>> random_integer_points(std::size_t n, std::size_t m, int max_value,
                                                              unsigned seed) {
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<int> dist(0, max_value);
  std::vector<std::vector<double>> points(n, std::vector<double>(m));
  for (auto& p : points)
    for (auto& v : p) v = dist(rng);
  return points;
}

}  // namespace autoglm::test
