// Shared pieces of the ring-runtime tests: a cpu_sim runtime and small handler sources.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include <catch2/catch_test_macros.hpp>
#include <ringkernel/ringkernel.hpp>

namespace ringtest {

struct Ping {
  static constexpr uint32_t type_id = 1;
  uint64_t value;
};

struct Pong {
  static constexpr uint32_t type_id = 2;
  uint64_t value;
  uint64_t seen; // messages this kernel handled before this one
};

// Replies Pong{value + 1, count} to every Ping (type 1), counting in its state.
extern const char* const kEchoSource;

// Whether ring kernels launch on the runtime's device (in either bridge mode).
bool runs_ring_kernels(rk::Runtime& rt);

// The runtime the tests use: cpu_sim (always built, so failing to get it fails the test).
rk::Runtime& runtime();

// The runtime of `backend` for tests that run on cpu_sim and OpenCL: cpu_sim must work;
// OpenCL SKIPs with the reason where it has no device or no persistent kernels.
rk::Runtime& runtime_for(const std::string& backend);

rk::KernelSpec echo_spec(const std::string& name, bool auto_activate = true);

// A runtime of its own on `backend` (not the shared one): cpu_sim must open; any other
// SKIPs with the reason where it cannot run ring kernels here.
std::unique_ptr<rk::Runtime> own_runtime(const std::string& backend);

// Adds one to a uint64_t (type 3) and forwards it to peer 0 by K2K, or hands it to the
// host (rk_enqueue_output, type 3) when it has no peer.
struct Value {
  static constexpr uint32_t type_id = 3;
  uint64_t value;
};
extern const char* const kForwardSource;

// Telemetry is written after the handler returns, so a reply can reach the host a moment
// before its message is counted. Waits (up to 5 s) until `count` messages are processed.
rk_telemetry telemetry_after(rk::Kernel& kernel, uint64_t count);

// Polls `done` until it holds; the 30 s bound only stops a hung test, it is no speed claim.
bool wait_until(const std::function<bool()>& done);

// As wait_until for long work: gives up only after `progress` (a count that grows while
// the work moves) stood still for 30 s, however long the whole takes on a loaded machine.
bool wait_while_progressing(const std::function<bool()>& done, const std::function<uint64_t()>& progress);

}  // namespace ringtest
