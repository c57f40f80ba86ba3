// Assembles the one source string a backend compiles for a ring kernel:
// ring layout + dialect library + the user's handler source + the ring loop.
#pragma once

#include <string>
#include <string_view>

namespace rk::core {

// The name of the loop's entry point in every backend's module.
inline constexpr const char* kRingEntryPoint = "rk_ring_main";

struct KernelConfig;

// The kernel's options that are compiled in: message tracing (rk_trace.h), idle exit and
// time slices (rk_ring_loop.h).
std::string assemble_ring_source(std::string_view user_source, const KernelConfig& config);

}  // namespace rk::core
