#include "runtime/elastic.hpp"

#include <algorithm>
#include <mutex>
#include <vector>

#include "api/error.hpp"
#include "bridge/bridge.hpp"
#include "bridge/remote_k2k.hpp"
#include "runtime/host_dialect.hpp"
#include "runtime/kernel.hpp"
#include "runtime/kernel_ops.hpp"
#include "runtime/park.hpp"
#include "runtime/runtime.hpp"

namespace rk::core {
namespace {

// The bridge looks every millisecond while elastic kernels come and go, and backs off to
// every 20 ms while none needed it (a process whose kernels all left idle then wakes 50
// times a second, not 1000). Any relaunch brings the pace back to 1 ms: a time slice or a
// K2K message to a kernel that just left waits at most that long.
constexpr int64_t kFastestNs = 1'000'000;
constexpr int64_t kSlowestNs = 20'000'000;

void relaunched(rk_runtime_s* runtime) { runtime->elastic_interval_ns.store(kFastestNs, std::memory_order_relaxed); }

bool active(rk_kernel_s* kernel) {
  return kernel->state.load() == RK_KERNEL_ACTIVE;  // Launched and Deactivated kernels wait for activate
}

bool work_waits(rk_kernel_s* kernel) {
  const RingViews& v = kernel->views;
  // A copied block's loop takes nothing while its output is full (rk_ring_loop.h): it
  // waits for a receive rather than be launched for nothing every round.
  const bool outbox_waits = rk_load_relaxed_u32(&v.env->outbox_waiting) != 0;
  if (kernel->copied && !outbox_waits && rk_queue_depth(v.output) >= kernel->config.output_capacity) return false;
  return rk_queue_depth(v.input) != 0 || rk_queue_depth(v.inbox) != 0 ||
         rk_load_relaxed_u32(&v.env->outbox_waiting) != 0;
}

// lifecycle_mutex held. Only an Active kernel is relaunched: terminate relaunches its own
// (resume_if_parked), activate and reactivate theirs.
bool relaunch_locked(rk_kernel_s* kernel) {
  if (!active(kernel) || !loop_left_relaunchable(kernel)) return false;
  if (kernel->supervision.restarting) return false;  // parked for a restart: the supervisor launches it
  if (resume_if_parked(kernel) != RK_SUCCESS) {
    log_error("elastic kernel '" + kernel->config.name + "' could not be launched again: " + last_error_text());
    return false;
  }
  relaunched(kernel->runtime);
  return true;
}

}  // namespace

bool loop_resident(rk_kernel_s* kernel) {
  if (kernel->stream == nullptr || kernel->views.control == nullptr) return false;
  return rk_load_acquire_u32(reinterpret_cast<uint32_t*>(&kernel->views.control->has_terminated)) ==
         RK_TERMINATED_RUNNING;
}

void relaunch_after_send(rk_kernel_s* kernel) {
  // Our publish, then the loop's flag: a loop that left before seeing the message is seen
  // here. One that is leaving just now, its flag not yet written, is the bridge's to catch.
  rk_fence_seq_cst();
  if (!loop_left_relaunchable(kernel) || !active(kernel)) return;
  if (Bridge::on_bridge_thread(kernel->runtime)) return;  // a callback never waits for a lifecycle: the bridge's round relaunches it
  // A copied block's step under way, or a lifecycle call on the kernel: a send never waits
  // for either; the bridge's round relaunches it. (Steps before the lifecycle lock, tried:
  // lifecycle calls take them the other way round.)
  StepHold steps = try_hold_steps(kernel->runtime);
  std::unique_lock lock(kernel->lifecycle_mutex, std::defer_lock);
  if (kernel->copied && (!steps || !settle_steps(kernel->runtime) || !lock.try_lock())) {
    relaunched(kernel->runtime);
    bridge_for(kernel->runtime).wake();
    return;
  }
  if (!lock.owns_lock()) lock.lock();
  relaunch_locked(kernel);
}

void relaunch_waiting_soon(rk_runtime_s* runtime) {
  int64_t now = rk_clock_ns();
  int64_t interval = runtime->elastic_interval_ns.load(std::memory_order_relaxed);
  if (now - runtime->elastic_checked_ns.load(std::memory_order_relaxed) < interval) return;
  runtime->elastic_checked_ns.store(now, std::memory_order_relaxed);
  bool any = false;
  {
    auto directory = hold_directory();  // no kernel is freed meanwhile
    // Copied blocks (runtime/copy_mode.hpp): one step at a time, so this round finishes the
    // one under way if its launch has ended and starts at most one, taking turns; it never
    // waits for a launch or for another thread's step (next round, soon, then).
    StepHold steps = try_hold_steps(runtime);
    if (!steps || !settle_steps(runtime)) {
      relaunched(runtime);
      return;
    }
    std::vector<rk_kernel_s*> kernels = runtime->kernels->all();
    if (copy_mode(runtime) && !kernels.empty())
      std::rotate(kernels.begin(), kernels.begin() + runtime->copy_steps->turn++ % kernels.size(), kernels.end());
    for (rk_kernel_s* kernel : kernels) {
      if (!kernel->config.elastic()) continue;  // the config is fixed at create
      // The ring block is the launch's to make: look at it under the lifecycle lock only.
      std::unique_lock lock(kernel->lifecycle_mutex, std::try_to_lock);
      if (!lock.owns_lock()) continue;  // a lifecycle call is under way: next round
      if (kernel->views.control == nullptr || !loop_left_relaunchable(kernel) || !active(kernel) || !work_waits(kernel))
        continue;
      any |= relaunch_locked(kernel);
      if (any && copy_mode(runtime)) break;
    }
  }
  if (!any) runtime->elastic_interval_ns.store(std::min(interval * 2, kSlowestNs), std::memory_order_relaxed);
}

std::chrono::nanoseconds elastic_pace(const rk_runtime_s* runtime) {
  return std::chrono::nanoseconds(runtime->elastic_interval_ns.load(std::memory_order_relaxed));
}

}  // namespace rk::core
