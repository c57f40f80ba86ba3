#include "runtime/park.hpp"

#include <algorithm>
#include <chrono>
#include <functional>
#include <cstdlib>
#include <string>
#include <vector>

#include "api/error.hpp"
#include "runtime/device_calls.hpp"
#include "runtime/host_dialect.hpp"
#include "runtime/kernel.hpp"
#include "runtime/kernel_ops.hpp"
#include "runtime/runtime.hpp"

namespace rk::core {
namespace {

// Long enough for a handler waiting on a full peer to give up (k2k_send_timeout_ns is
// 10 s by default); a kernel at a message boundary parks within microseconds.
constexpr auto kParkTimeout = std::chrono::seconds(30);

std::mutex g_mutex;  // parking, the registry, and kernels leaving their tables
std::vector<rk_runtime_s*> g_runtimes;

bool same_device(const rk_runtime_s* a, const rk_runtime_s* b) {
  return a->backend == b->backend && a->device_index == b->device_index;
}

// Every launched ring kernel on the device, its lifecycle locked (g_mutex held). Launch
// and terminate hold that lock, so none starts or stops until the work is done. The kernel
// being launched is locked too, for `work`. Locks are taken in address order, the one order
// for every set of lifecycle locks.
std::vector<std::unique_lock<std::mutex>> lock_launched(rk_runtime_s* runtime, rk_kernel_s* launching,
                                                        std::vector<rk_kernel_s*>& launched) {
  std::vector<rk_kernel_s*> kernels;
  for (rk_runtime_s* other : g_runtimes)
    if (same_device(runtime, other))
      for (rk_kernel_s* kernel : other->kernels->all()) kernels.push_back(kernel);
  if (launching != nullptr && std::find(kernels.begin(), kernels.end(), launching) == kernels.end())
    kernels.push_back(launching);
  std::sort(kernels.begin(), kernels.end(), std::less<rk_kernel_s*>());
  std::vector<std::unique_lock<std::mutex>> locks;
  for (rk_kernel_s* kernel : kernels) {
    locks.emplace_back(kernel->lifecycle_mutex);
    if (kernel != launching && kernel->stream != nullptr) launched.push_back(kernel);  // else not running
  }
  return locks;
}

rk_result relaunch(rk_kernel_s* kernel, bool keep_stop = false) {
  rk_control_block* control = kernel->views.control;
  rk_store_release_u32(word(control->has_terminated), RK_TERMINATED_RUNNING);
  if (!keep_stop) rk_store_release_u32(word(control->should_terminate), RK_STOP_NONE);
  // Counted before the launch: the new loop may answer at once, and a host that sees its
  // output (through the queue's acquire) must see the relaunch counted too.
  kernel->relaunches.fetch_add(1, std::memory_order_relaxed);
  rk_result r = launch_ring_loop(kernel);
  if (r != RK_SUCCESS) {
    kernel->relaunches.fetch_sub(1, std::memory_order_relaxed);
    log_error("kernel '" + kernel->config.name + "' could not be launched again: " + last_error_text());
  }
  return r;
}

// The loop has parked, and its launch has ended.
rk_result wait_parked(rk_kernel_s* kernel, Clock::time_point deadline) {
  if (rk_result r = wait_loop_left(kernel, deadline,
                                   "did not reach a message boundary in time (a handler may be hung), so the "
                                   "device could not load new code; nothing was loaded");
      r != RK_SUCCESS)
    return r;
  return backend_stream_synchronize(kernel->runtime, kernel->stream);
}

}  // namespace

void register_parking_runtime(rk_runtime_s* runtime) {
  std::lock_guard lock(g_mutex);
  g_runtimes.push_back(runtime);
}

void unregister_parking_runtime(rk_runtime_s* runtime) {
  std::lock_guard lock(g_mutex);
  std::erase(g_runtimes, runtime);
}

std::unique_lock<std::mutex> hold_parking() { return std::unique_lock(g_mutex); }

rk_result resume_if_parked(rk_kernel_s* kernel, bool keep_stop) {
  if (kernel->stream == nullptr) return RK_SUCCESS;
  if (rk_load_acquire_u32(word(kernel->views.control->has_terminated)) != RK_TERMINATED_RELAUNCHABLE) return RK_SUCCESS;
  if (rk_result r = backend_stream_synchronize(kernel->runtime, kernel->stream); r != RK_SUCCESS) return r;
  return relaunch(kernel, keep_stop);
}

rk_result park_loop(rk_kernel_s* kernel, Clock::time_point deadline, const char* timeout_words, bool take_back,
                    bool& asked) {
  rk_control_block* control = kernel->views.control;
  asked = false;
  if (rk_load_acquire_u32(word(control->has_terminated)) == RK_TERMINATED_RUNNING) {
    asked = rk_load_acquire_u32(word(control->should_terminate)) == RK_STOP_NONE;
    if (asked) rk_store_release_u32(word(control->should_terminate), RK_STOP_PARK);
    ring_kernel_doorbell(control);
    if (rk_result r = wait_loop_left(kernel, deadline, timeout_words); r != RK_SUCCESS) {
      // Should the loop have read the request already, it parks anyway, and the supervisor
      // or the next lifecycle call launches it again.
      if (asked && take_back) rk_store_release_u32(word(control->should_terminate), RK_STOP_NONE);
      return r;
    }
  }
  return backend_stream_synchronize(kernel->runtime, kernel->stream);
}

rk_result with_ring_kernels_parked(rk_runtime_s* runtime, const std::function<rk_result()>& work,
                                   rk_kernel_s* launching) {
  if (!runtime->park_to_load) return work();
  std::lock_guard parking(g_mutex);
  std::vector<rk_kernel_s*> launched;
  auto locks = lock_launched(runtime, launching, launched);
  std::vector<rk_kernel_s*> asked;
  rk_result result = RK_SUCCESS;
  for (rk_kernel_s* kernel : launched) {
    rk_control_block* control = kernel->views.control;
    if (rk_load_acquire_u32(word(control->has_terminated)) != RK_TERMINATED_RUNNING) continue;  // left parked
    if (rk_load_acquire_u32(word(control->should_terminate)) != RK_STOP_NONE) {
      result = fail(RK_ERROR_INVALID_STATE, "kernel '" + kernel->config.name +
                                                "' is still stopping (its terminate timed out), and the device cannot "
                                                "load new code while it runs");
      break;
    }
    rk_store_release_u32(word(control->should_terminate), RK_STOP_PARK);
    ring_kernel_doorbell(control);
    asked.push_back(kernel);
  }
  const auto deadline = Clock::now() + kParkTimeout;
  for (rk_kernel_s* kernel : asked) {
    if (result != RK_SUCCESS) break;
    result = wait_parked(kernel, deadline);
  }
  if (result == RK_SUCCESS) result = work();
  std::string why = result == RK_SUCCESS ? "" : last_error_text();
  for (rk_kernel_s* kernel : launched) {
    // A loop the supervisor parked (a restart under way, a Faulted kernel) is its to launch.
    if (kernel->supervision.restarting || kernel->state.load() == RK_KERNEL_FAULTED) continue;
    rk_control_block* control = kernel->views.control;
    if (rk_load_acquire_u32(word(control->has_terminated)) == RK_TERMINATED_RUNNING) {
      // Never parked (given up on): take the request back. Should its loop have read it
      // already, it parks anyway, and resume_if_parked launches it at its next terminate.
      rk_store_release_u32(word(control->should_terminate), RK_STOP_NONE);
      continue;
    }
    if (rk_load_acquire_u32(word(control->has_terminated)) != RK_TERMINATED_RELAUNCHABLE) continue;
    if (backend_stream_synchronize(kernel->runtime, kernel->stream) == RK_SUCCESS) relaunch(kernel);
  }
  return result == RK_SUCCESS ? RK_SUCCESS : fail(result, why);
}

}  // namespace rk::core
