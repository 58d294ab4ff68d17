// Seeding shared by the samplers.
#pragma once

#include <cstdint>
#include <optional>
#include <random>

namespace autoglm {

/// `seed` when given, else 64 bits from std::random_device (a non-reproducible run).
inline uint64_t seed_or_random(const std::optional<uint64_t>& seed) {
  if (seed) return *seed;
  std::random_device rd;
  return (static_cast<uint64_t>(rd()) << 32) ^ rd();
}

}  // namespace autoglm
