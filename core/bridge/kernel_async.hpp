// A ring kernel's async consumers (docs/bridge.md): pending async requests, its output
// handler, blocking requests waiting for their reply, and late-reply accounting. Every
// field but `pending` and late_replies is guarded by the kernel's receive_mutex, so the
// blocking paths read them under the lock they already take. `pending` has a spinlock of
// its own, taken after receive_mutex where both are held: registering a request then never
// waits for a drain of the output (on cpu_sim the kernel's own thread drains it between
// messages, docs/bridge.md), and a waiter spins instead of sleeping.
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "bridge/abandoned_ids.hpp"
#include "runtime/spin_lock.hpp"
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
  // Set once, at the first async consumer (under receive_mutex): from then on the bridge is
  // the only reader of the output queue and blocking readers take what it leaves in
  // rk_kernel_s::held. Atomic so a request finds it set without the lock.
  std::atomic<bool> attached{false};
  // Its own cache line: the submitting thread takes it on every request, and the lines the
  // draining thread writes (dispatch_mutex below) must not move with it.
  alignas(64) mutable SpinLock pending_lock;
  // pending.size(), readable without the lock (Bridge::assist); written under it.
  alignas(64) std::atomic<uint32_t> pending_count{0};
  // Set once the kernel's own thread has delivered (Bridge::assist): from then on the
  // bridge thread leaves it fresh output (Bridge::leave_to_kernel).
  std::atomic<bool> assisted{false};
  // The bridge thread's look at output it left to the kernel (its pass lock held).
  uint64_t left_head = 0;
  bool left_waiting = false;
  std::chrono::steady_clock::time_point left_since{};
  using PendingMap = std::unordered_map<uint64_t, PendingRequest>;
  PendingMap pending;  // by correlation id (pending_lock)
  // Nodes of answered requests, kept for the next ones (pending_lock): a request allocated
  // on the submitting thread and freed on the draining one would make the two threads'
  // allocator arenas contend on every message.
  std::vector<PendingMap::node_type> spare_nodes;
  static constexpr size_t kMaxSpareNodes = 1024;

  // Enters a request (pending_lock held), in a spare node where there is one.
  void add_pending_locked(uint64_t correlation_id, const PendingRequest& request) {
    if (spare_nodes.empty()) {
      pending.emplace(correlation_id, request);
    } else {
      PendingMap::node_type node = std::move(spare_nodes.back());
      spare_nodes.pop_back();
      node.key() = correlation_id;
      node.mapped() = request;
      pending.insert(std::move(node));
    }
    count_pending_locked();
  }
  // After every change of `pending` (pending_lock held).
  void count_pending_locked() { pending_count.store(static_cast<uint32_t>(pending.size()), std::memory_order_relaxed); }
  std::vector<uint64_t> sync_waiters;  // correlation ids of blocking requests still waiting
  uint32_t blocking_receivers = 0;     // rk_kernel_receive calls in progress
  rk_output_fn handler = nullptr;
  void* handler_user_data = nullptr;
  AbandonedIds abandoned;
  std::chrono::steady_clock::time_point next_timeout_scan{};  // whoever holds the bridge's pass lock

  // Held by the bridge while it runs this kernel's callbacks, so removing the handler
  // returns only once the old one is no longer running.
  alignas(64) std::mutex dispatch_mutex;
  // Replies that came after their request gave up; read by status without the lock.
  std::atomic<uint64_t> late_replies{0};

  // Both with receive_mutex held; the first with pending_lock held too.
  bool claimed_locked(uint64_t correlation_id) const {
    return pending.count(correlation_id) != 0 ||
           std::find(sync_waiters.begin(), sync_waiters.end(), correlation_id) != sync_waiters.end();
  }
  bool claimed(uint64_t correlation_id) const {
    std::lock_guard lock(pending_lock);
    return claimed_locked(correlation_id);
  }
  void forget_waiter(uint64_t correlation_id) {
    auto it = std::find(sync_waiters.begin(), sync_waiters.end(), correlation_id);
    if (it == sync_waiters.end()) return;
    *it = sync_waiters.back();
    sync_waiters.pop_back();
  }
};

}  // namespace rk::core
