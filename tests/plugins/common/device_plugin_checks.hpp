// Checks every GPU backend's plugin test runs through libringcore's public API (cuda, hip,
// level_zero): its discovery status, the device skip with the plugin's reason, and the
// vector add and echo ring kernel that run wherever a device exists. Catch2 assertions
// inside; call them from a TEST_CASE.
#pragma once

#include <initializer_list>

#include <ringkernel/ringkernel.hpp>

namespace rk::test {

// The backend's status in a registry that searches only `plugin_dir`; FAILs if absent.
rk_plugin_status plugin_status(rk_registry& registry, const char* backend, const char* plugin_dir);

// SKIPs with the plugin's reason ("no <device_words> device: ...") where it has no device.
void require_device(const char* backend, const char* plugin_dir, const char* device_words);

// The plugin loads with our ABI; without a device, its reason contains one of `reasons`.
void check_loads_and_explains(const char* backend, const char* plugin_dir, std::initializer_list<const char*> reasons);

// Compiles `source` expecting `expected`; the module (nullptr on failure).
rk_module compile(rk::Runtime& rt, const char* source, const char* name, rk_result expected);

// c = a + b over 1000 floats (a in DEVICE, b in `b_kind`, c in HOST_MAPPED) and a
// function lookup the module lacks.
void check_vector_add(rk::Runtime& rt, rk_memory_kind b_kind);

// 100 requests to an echo ring kernel keeping a count in its state; SKIPs where the
// device runs no ring kernels (no host-coherent memory).
void check_echo_ring(rk::Runtime& rt);

// The dialect's rk_clock_ns() on the device reads the host's CLOCK_REALTIME: a kernel's
// reading lies between host readings taken before the launch and after it finished, give
// or take `slack_ns` (what the plugin's clock calibration may be off by).
void check_device_clock(rk::Runtime& rt, int64_t slack_ns);

}  // namespace rk::test
