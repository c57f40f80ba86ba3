// How much stress a test applies. RINGKERNEL_STRESS_SCALE (default 1; the tsan preset sets
// 0.1) scales message counts and rounds, so the same test runs in a sanitizer's time budget.
// A test's assertions must hold at any scale; the floor keeps a stress test a stress test.
#pragma once

#include <cstdint>
#include <cstdlib>

namespace rk::test {

inline double stress_scale() {
  const char* env = std::getenv("RINGKERNEL_STRESS_SCALE");
  const double scale = env != nullptr ? std::strtod(env, nullptr) : 1.0;
  return scale > 0.0 ? scale : 1.0;  // unset, 0, negative or not a number: full stress
}

// `full` scaled by stress_scale(), never below `floor`.
inline uint64_t stress_count(uint64_t full, uint64_t floor) {
  const auto scaled = static_cast<uint64_t>(static_cast<double>(full) * stress_scale());
  return scaled < floor ? floor : scaled;
}

}  // namespace rk::test
