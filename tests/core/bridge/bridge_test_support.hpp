// Shared pieces of the bridge tests: a completion record for the C API, a kernel that
// never replies, and the stress scale.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>

#include "ring_test_support.hpp"
#include "stress.hpp"

namespace bridgetest {

// What one async request's completion saw. `calls` is written last (release), so a
// reader that sees it (acquire) sees the rest.
struct Completion {
  std::atomic<uint32_t> calls{0};
  rk_result result = RK_SUCCESS;
  uint64_t value = 0;  // the Pong's value on success
  uint64_t correlation_id = 0;
  std::string error;   // rk_last_error() during the callback

  static void record(void* self, rk_result result, const rk_msg_header* header, const void* payload,
                     uint32_t size) noexcept;
  bool done() const { return calls.load(std::memory_order_acquire) != 0; }
};

rk_result request_async(rk::Kernel& kernel, uint64_t value, uint64_t timeout_ns, Completion& completion);

// Accepts Ping (type 1) and never replies.
extern const char* const kSinkSource;
rk::KernelSpec sink_spec(const std::string& name);

// Bridge stress counts never go below 1000 messages (support/stress.hpp scales them).
inline uint64_t stress_count(uint64_t full, uint64_t floor = 1000) { return rk::test::stress_count(full, floor); }

rk::KernelSpec pipelined_echo_spec(const std::string& name);

}  // namespace bridgetest
