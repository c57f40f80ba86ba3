// K2K kernels and measurements shared by the k2k and bridge suites.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <ringkernel/ringkernel.hpp>

namespace rk::bench {

// Chain: forwards to its first peer when it has one, else answers the host (type 7).
extern const char* const kForward;

// Ping-pong: {hops left}; 0 answers the host, else one hop on: A to its peer B, B back to
// whoever sent it (A), by K2K.
struct Volley {
  static constexpr uint32_t type_id = 8;
  uint64_t hops_left;
};
extern const char* const kVolley;
inline constexpr uint64_t kVolleyHops = 1000;

// 64-slot queues and inbox, 8-byte payloads, the given peers.
rk::KernelSpec forward_spec(const std::string& name, std::vector<std::string> peers, const char* source = kForward);

// Per-hop time of `count` volleys of kVolleyHops hops each, started at `a` (10 warm-ups).
std::vector<double> volley_hops(rk::Kernel& a, uint64_t count);

}  // namespace rk::bench
