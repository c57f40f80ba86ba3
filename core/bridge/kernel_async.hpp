// A ring kernel's async consumers (docs/bridge.md): pending async requests, its output
// handler, blocking requests waiting for their reply, and late-reply accounting. Every
// field but late_replies is guarded by the kernel's receive_mutex, so the blocking paths
// read them under the lock they already take and pay no extra atomic.
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "bridge/abandoned_ids.hpp"
#include "ringkernel.h"

namespace rk::core {

struct PendingRequest {
  rk_completion_fn completion = nullptr;
  void* user_data = nullptr;
  std::chrono::steady_clock::time_point deadline;
  // Its message was accepted. Before that it can neither time out nor be terminated: the
  // caller of rk_kernel_request_async may still be told the send failed instead.
  bool armed = false;
};

struct KernelAsync {
  // Set once, at the first async consumer: from then on the bridge is the only reader of
  // the output queue and blocking readers take what it leaves in rk_kernel_s::held.
  bool attached = false;
  std::unordered_map<uint64_t, PendingRequest> pending;  // by correlation id
  std::vector<uint64_t> sync_waiters;  // correlation ids of blocking requests still waiting
  uint32_t blocking_receivers = 0;     // rk_kernel_receive calls in progress
  rk_output_fn handler = nullptr;
  void* handler_user_data = nullptr;
  AbandonedIds abandoned;
  std::chrono::steady_clock::time_point next_timeout_scan{};  // bridge thread only

  // Held by the bridge while it runs this kernel's callbacks, so removing the handler
  // returns only once the old one is no longer running.
  std::mutex dispatch_mutex;
  // Replies that came after their request gave up; read by status without the lock.
  std::atomic<uint64_t> late_replies{0};

  bool claimed(uint64_t correlation_id) const {
    return pending.count(correlation_id) != 0 ||
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
