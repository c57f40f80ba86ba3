// What the process-group tests run on both sides (tests/distributed): a pump that sends
// numbered values to a kernel of the other rank, and a sink that checks they come in order.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <thread>

#include <ringkernel/ringkernel.hpp>

#include "asker_kernel.hpp"
#include "order_sink_kernel.hpp"

namespace grouptest {

// To the pump: send values first .. first+count-1 to peer 0, one K2K message each.
struct Burst {
  static constexpr uint32_t type_id = 1;
  uint64_t count;
  uint64_t first;
};
// The pump's answer: how many sends the handler saw succeed and fail.
struct BurstDone {
  static constexpr uint32_t type_id = 2;
  uint64_t sent;
  uint64_t failed;
};
// The K2K value (type 3) is a bare uint64_t. To the sink: report what you got.
struct Report {
  static constexpr uint32_t type_id = 9;
  uint64_t unused;
};
struct Got {
  static constexpr uint32_t type_id = 10;
  uint64_t received;
  uint64_t out_of_order;  // values that were not the one after the last
};

inline const char* const kPumpSource = R"(
RK_INLINE int32_t rk_handler(rk_ctx* ctx, rk_global const rk_msg_header* msg, rk_global const uint8_t* payload) {
  uint64_t count = ((rk_global const uint64_t*)payload)[0];
  uint64_t first = ((rk_global const uint64_t*)payload)[1];
  uint64_t done[2] = {0u, 0u};
  for (uint64_t i = 0u; i < count; ++i) {
    uint64_t value = first + i;
    if (rk_send_to_kernel_wait(ctx, rk_peer(ctx, 0), 3u, &value, 8u) == RK_SUCCESS) done[0] += 1u;
    else done[1] += 1u;
  }
  (void)msg;
  return rk_reply(ctx, 2u, done, 16u);
}
)";

// Answers every message by its reply address: {value + 1, messages it had before}. From a
// host of another process the reply travels back by K2K; from its own host, to the output.
struct Ask {
  static constexpr uint32_t type_id = 4;
  uint64_t value;
};
struct Answer {
  static constexpr uint32_t type_id = 5;
  uint64_t value;
  uint64_t seen;
};
inline const char* const kEchoSource = R"(
RK_INLINE int32_t rk_handler(rk_ctx* ctx, rk_global const rk_msg_header* msg, rk_global const uint8_t* payload) {
  rk_global uint64_t* seen = (rk_global uint64_t*)rk_state(ctx);
  uint64_t answer[2] = {*(rk_global const uint64_t*)payload + 1u, *seen};
  *seen += 1u;
  (void)msg;
  return rk_reply_later(ctx, rk_reply_address(ctx), 5u, answer, 16u);
}
)";

inline rk::KernelSpec echo_spec() {
  rk::KernelSpec spec;
  spec.name = "echo";
  spec.source = kEchoSource;
  spec.state_bytes = 8;
  spec.accepted_types = {Ask::type_id};
  return spec;
}

// Asks the echo of another rank (peer 0): tests/support/asker_kernel.hpp.
inline rk::KernelSpec asker_spec(const std::string& echo) {
  rk::KernelSpec spec;
  spec.name = "asker";
  spec.source = rk::test::kAskerSource;
  spec.state_bytes = 24;
  spec.accepted_types = {Burst::type_id, Answer::type_id, Report::type_id};
  spec.peers = {echo};
  spec.k2k_send_timeout_ns = 60'000'000'000ull;  // only stops a hung test
  return spec;
}

// Ping-pong between two kernels that name each other across ranks: {hops left}; 0 goes to
// the host, else one hop on to peer 0.
struct Volley {
  static constexpr uint32_t type_id = 6;
  uint64_t hops_left;
};
inline const char* const kVolleySource = R"(
RK_INLINE int32_t rk_handler(rk_ctx* ctx, rk_global const rk_msg_header* msg, rk_global const uint8_t* payload) {
  uint64_t left = *(rk_global const uint64_t*)payload;
  (void)msg;
  if (left == 0u) return rk_enqueue_output(ctx, 6u, &left, 8u);
  left -= 1u;
  return rk_send_to_kernel_wait(ctx, rk_peer(ctx, 0), 6u, &left, 8u);
}
)";

inline rk::KernelSpec volley_spec(const std::string& name, const std::string& peer) {
  rk::KernelSpec spec;
  spec.name = name;
  spec.source = kVolleySource;
  spec.accepted_types = {Volley::type_id};
  spec.peers = {peer};
  return spec;
}

inline rk::KernelSpec pump_spec(const std::string& peer) {
  rk::KernelSpec spec;
  spec.name = "pump";
  spec.source = kPumpSource;
  spec.accepted_types = {Burst::type_id};
  spec.peers = {peer};
  spec.k2k_send_timeout_ns = 60'000'000'000ull;  // only stops a hung test
  return spec;
}

inline rk::KernelSpec sink_spec(uint32_t inbox_capacity = 0, bool auto_activate = true) {
  rk::KernelSpec spec;
  spec.name = "sink";
  spec.source = rk::test::kOrderSinkSource;
  spec.state_bytes = 24;
  spec.inbox_capacity = inbox_capacity;
  spec.accepted_types = {3u, Report::type_id};
  spec.auto_activate = auto_activate;
  return spec;
}

// Polls `done`; false only when `progress` stood still for 60 s (a hung run, never a speed
// claim: however slow the machine, moving counts as alive).
inline bool wait_while_moving(const std::function<bool()>& done, const std::function<uint64_t()>& progress) {
  uint64_t last = progress();
  auto still_since = std::chrono::steady_clock::now();
  while (!done()) {
    uint64_t now = progress();
    if (now != last) {
      last = now;
      still_since = std::chrono::steady_clock::now();
    } else if (std::chrono::steady_clock::now() - still_since > std::chrono::seconds(60)) {
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return true;
}

inline rk_group_status group_status() {
  rk_group_status status = RK_GROUP_STATUS_INIT;
  rk::check(rk_group_status_get(&status), "group status");
  return status;
}

}  // namespace grouptest
