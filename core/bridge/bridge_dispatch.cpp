// One bridge pass over a kernel: move its output into `held` (dropping late replies),
// take out what async consumers claim, time requests out, then run the callbacks with no
// lock but the kernel's dispatch_mutex held, in the order the kernel wrote the messages.
#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "api/error.hpp"
#include "bridge/bridge.hpp"
#include "runtime/host_dialect.hpp"
#include "runtime/kernel.hpp"
#include "runtime/kernel_ops.hpp"

namespace rk::core {
namespace {

constexpr auto kTimeoutScanEvery = std::chrono::milliseconds(1);

struct Delivery {
  PendingRequest request;  // completion == nullptr: output for `handler`
  rk_result result = RK_SUCCESS;
  HostMessage message{};
  rk_output_fn handler = nullptr;  // as set when the message was taken
  void* handler_user_data = nullptr;
};

// Replies to pending requests, and (with a handler) all unclaimed output, leave `held`;
// replies for blocking requests and output for readers stay, in order.
void take_claimed(rk_kernel_s* kernel, std::vector<Delivery>& out) {
  KernelAsync& async = kernel->async;
  for (auto it = kernel->held.begin(); it != kernel->held.end();) {
    std::optional<PendingRequest> request = async.pending.take(it->header.correlation_id);
    bool claimed = !request && async.claimed(it->header.correlation_id);
    if (request) {
      out.push_back({*request, RK_SUCCESS, std::move(*it), nullptr, nullptr});
    } else if (async.handler != nullptr && !claimed) {
      out.push_back({PendingRequest{}, RK_SUCCESS, std::move(*it), async.handler, async.handler_user_data});
    } else {
      ++it;
      continue;
    }
    it = kernel->held.erase(it);
  }
}

// Completes armed requests that `ends` selects with `result`; timed-out ids are
// remembered so their replies are dropped as late.
template <class Ends>
void complete_pending(rk_kernel_s* kernel, rk_result result, Ends ends, std::vector<Delivery>& out) {
  KernelAsync& async = kernel->async;
  async.pending.take_armed(ends, [&](uint64_t id, const PendingRequest& request) {
    if (result == RK_ERROR_TIMEOUT) async.abandoned.add(id);
    out.push_back({request, result, {}, nullptr, nullptr});
  });
}

// Whether a pass could find anything, judged without the kernel's lock: the bridge polls
// often, and taking receive_mutex each time would slow every caller that registers a
// request. Output is seen through the queue's indices when an async consumer may want it, or
// through the flag of a blocking waiter that drained it (left_for_bridge); everything else
// (timeouts, a handler set over held output, the end of a terminated kernel) at the next
// scan.
bool worth_a_look(rk_kernel_s* kernel, bool final, Clock::time_point now) {
  return final || now >= kernel->async.next_timeout_scan || kernel->async.left_for_bridge.load(std::memory_order_acquire) ||
         (rk_queue_depth(kernel->views.output) != 0 && kernel->async.wants_output());
}

// `try_only` (a kernel thread standing in, which saw output): no clock read and no timeout
// scan, which the bridge thread keeps doing at its pace.
rk_result collect(rk_kernel_s* kernel, bool final, bool try_only, std::vector<Delivery>& out) {
  auto now = try_only ? Clock::time_point{} : Clock::now();
  if (!try_only && !worth_a_look(kernel, final, now)) return RK_SUCCESS;
  std::unique_lock lock(kernel->receive_mutex, std::defer_lock);
  if (!try_only) lock.lock();
  else if (!lock.try_lock()) return RK_SUCCESS;
  // Read the state first: once Terminated, terminate's last drain has already filled held.
  bool terminated = kernel->state.load() == RK_KERNEL_TERMINATED;
  rk_result drained = terminated ? RK_SUCCESS : drain_output_locked(kernel, kernel->config.output_capacity);
  take_claimed(kernel, out);
  // What a waiter left is in `out` now. Stored only when set: the flag shares a line with
  // what every async request reads (attached, the pending table), and a store on each pass
  // took that line from the submitting thread's core (1-in-flight p50 +15 %).
  if (kernel->async.left_for_bridge.load(std::memory_order_relaxed))
    kernel->async.left_for_bridge.store(false, std::memory_order_relaxed);
  if (drained != RK_SUCCESS) {
    complete_pending(kernel, drained, [](const PendingRequest&) { return true; }, out);
    return drained;
  }
  if (final || terminated) {
    complete_pending(kernel, RK_ERROR_TERMINATED, [](const PendingRequest&) { return true; }, out);
    return RK_SUCCESS;
  }
  if (try_only || now < kernel->async.next_timeout_scan) return RK_SUCCESS;
  kernel->async.next_timeout_scan = now + kTimeoutScanEvery;
  complete_pending(kernel, RK_ERROR_TIMEOUT, [now](const PendingRequest& p) { return p.deadline <= now; }, out);
  return RK_SUCCESS;
}

std::string why(rk_kernel_s* kernel, rk_result result, rk_result drained, const std::string& fault) {
  const std::string name = "kernel '" + kernel->config.name + "'";
  if (result == RK_ERROR_TIMEOUT) return "no reply from " + name + " before the request's timeout";
  if (result == RK_ERROR_TERMINATED) return name + " was terminated or destroyed with the request pending";
  return drained != RK_SUCCESS ? fault : std::string(rk_result_name(result));
}

void deliver(rk_kernel_s* kernel, Delivery& d, rk_result drained, const std::string& fault) {
  const HostMessage& m = d.message;
  if (d.request.completion == nullptr) {
    d.handler(d.handler_user_data, &m.header, m.payload.data(), m.header.payload_size);
    return;
  }
  if (d.result == RK_SUCCESS) {
    clear_error();
    d.request.completion(d.request.user_data, RK_SUCCESS, &m.header, m.payload.data(), m.header.payload_size);
    return;
  }
  fail(d.result, why(kernel, d.result, drained, fault));  // rk_last_error() during the callback
  d.request.completion(d.request.user_data, d.result, nullptr, nullptr, 0);
}

}  // namespace

uint32_t serve_kernel(rk_kernel_s* kernel, bool final, bool try_only) {
  std::vector<Delivery> batch;
  rk_result drained = collect(kernel, final, try_only, batch);
  std::string fault = drained != RK_SUCCESS ? last_error_text() : std::string();
  if (drained != RK_SUCCESS) log_error("bridge: " + fault);
  for (Delivery& d : batch) deliver(kernel, d, drained, fault);
  return static_cast<uint32_t>(batch.size());
}

}  // namespace rk::core
