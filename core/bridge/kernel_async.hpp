// A ring kernel's async consumers (docs/bridge.md): pending async requests, its output
// handler, blocking requests waiting for their reply, and late-reply accounting. Every
// field but `pending` and late_replies is guarded by the kernel's receive_mutex, so the
// blocking paths read them under the lock they already take. `pending` needs no lock:
// registering a request then never waits for a drain of the output (on cpu_sim the
// kernel's own thread drains it between messages, docs/bridge.md).
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <vector>

#include "bridge/abandoned_ids.hpp"
#include "bridge/pending_requests.hpp"
#include "ringkernel.h"

namespace rk::core {

struct KernelAsync {
  // Set once, at the first async consumer (under receive_mutex): from then on the bridge
  // delivers the kernel's output to its async consumers. Atomic so a request finds it set
  // without the lock.
  std::atomic<bool> attached{false};
  // A blocking request or receive drained output into rk_kernel_s::held that async
  // consumers claim: the bridge's next pass delivers it (cleared by that pass, under
  // receive_mutex). Read without the lock by whoever decides whether a pass is worth it.
  std::atomic<bool> left_for_bridge{false};
  // Pending requests (pending_requests.hpp: no lock on the common path).
  PendingRequests pending;
  // Set once the kernel's own thread has delivered (Bridge::assist): from then on the
  // bridge thread leaves it fresh output (Bridge::leave_to_kernel).
  std::atomic<bool> assisted{false};
  // The bridge thread's look at output it left to the kernel (its pass lock held).
  uint64_t left_head = 0;
  bool left_waiting = false;
  std::chrono::steady_clock::time_point left_since{};
  std::vector<uint64_t> sync_waiters;  // correlation ids of blocking requests still waiting
  uint32_t blocking_receivers = 0;     // rk_kernel_receive calls in progress
  rk_output_fn handler = nullptr;
  void* handler_user_data = nullptr;
  std::atomic<bool> has_handler{false};  // handler != nullptr, for looks without the lock

  // Whether output could be for an async consumer (a pending request or the handler); when
  // not, readers take it themselves and the bridge has nothing to deliver. Without the lock:
  // a request is entered before its message is sent, so its reply finds the count raised.
  bool wants_output() const { return pending.count() != 0 || has_handler.load(std::memory_order_acquire); }
  AbandonedIds abandoned;
  std::chrono::steady_clock::time_point next_timeout_scan{};  // whoever holds the bridge's pass lock

  // Held by the bridge while it runs this kernel's callbacks, so removing the handler
  // returns only once the old one is no longer running.
  alignas(64) std::mutex dispatch_mutex;
  // Passes the kernel's own thread ran for it (Bridge::assist, under the bridge's pass
  // lock): odd while one runs. Its loop stands still meanwhile, and the stall watch takes
  // that time for the callbacks', not the handler's (supervision.cpp). A count, not a clock
  // reading, to keep a clock read off each reply's path; beside the mutex the pass takes.
  std::atomic<uint64_t> own_thread_passes{0};
  // Replies that came after their request gave up; read by status without the lock.
  std::atomic<uint64_t> late_replies{0};

  // With receive_mutex held: whether a reply is someone's (a pending or a blocking request).
  bool claimed(uint64_t correlation_id) const {
    return pending.contains(correlation_id) ||
           std::find(sync_waiters.begin(), sync_waiters.end(), correlation_id) != sync_waiters.end();
  }
  void forget_waiter(uint64_t correlation_id) {
    auto it = std::find(sync_waiters.begin(), sync_waiters.end(), correlation_id);
    if (it == sync_waiters.end()) return;
    *it = sync_waiters.back();
    sync_waiters.pop_back();
  }
};

}  // namespace rk::core
