// Watchdog and supervision (docs/runtime.md, "Watchdog and supervision"). The bridge
// thread watches the kernels given rk_kernel_supervise: one that makes no progress while
// work waits (or whose handler runs on one message too long) is stalled; one whose error
// count jumps passes its error bound; one whose launch ended without the loop saying it
// left has faulted on the device. Reports go to the log, the counters in rk_kernel_status
// and the user's callback; the restart policy stops the loop at a message boundary and
// launches it again, queues kept, behind a circuit breaker that leaves the kernel Faulted.
//
// Everything here runs with the kernel's lifecycle_mutex held (the bridge only try-locks
// it: a lifecycle call under way is never waited for), so a watch never races a
// transition. A restart by the supervisor never blocks the bridge: it asks the loop to
// park and looks again each round until it has, or until its timeout.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>

#include "ringkernel.h"

namespace rk::core {

struct KernelSupervision {
  // The options in force; policy OFF = not watched. lifecycle_mutex.
  rk_supervision_options options{};
  std::atomic<bool> watched{false};  // the bridge's cheap filter
  // Moves with every rk_kernel_supervise: events found under older options are not
  // delivered, so once it returns the old callback runs no more.
  std::atomic<uint64_t> generation{0};

  // The watch; lifecycle_mutex.
  int64_t seen_processed = -1;  // -1: take a fresh baseline at the next round
  int64_t progress_ns = 0;      // host steady clock: progress last seen, or no work waiting
  bool stalled = false;
  uint64_t pass_seen = 0;    // KernelAsync::own_thread_passes when last looked at
  int64_t pass_seen_ns = 0;  // when that (odd) value was first seen
  bool pass_stalled = false; // `stalled` is the own thread's callbacks', not the handler's
  int64_t looked_ns = 0;     // the watch's previous look at progress
  int64_t error_base = 0;
  int64_t error_window_start_ns = -1;
  bool restarting = false;  // a park for a restart was asked for; elastic relaunches keep off
  int64_t restart_deadline_ns = 0;
  std::string restart_cause;
  std::deque<int64_t> restart_times;  // the circuit breaker's window
  bool device_faulted = false;        // the loop is gone: nothing can relaunch it

  std::mutex reason_mutex;  // fault_reason, read by any thread
  std::string fault_reason;

  // Statistics for rk_kernel_status and metrics.
  std::atomic<uint32_t> stalled_now{0};
  std::atomic<uint64_t> stalls{0};
  std::atomic<uint64_t> error_bursts{0};
  std::atomic<uint64_t> restarts{0};
  std::atomic<uint64_t> restart_failures{0};

  // Not stalled (any more), whoever's stall it was; lifecycle_mutex.
  void clear_stall() {
    stalled = false;
    pass_stalled = false;
    stalled_now.store(0);
  }
};

// rk_kernel_supervise, rk_kernel_restart, rk_kernel_fault_reason.
rk_result kernel_supervise(rk_kernel_s* kernel, const rk_supervision_options* options);
rk_result kernel_restart(rk_kernel_s* kernel, uint32_t flags, uint64_t timeout_ns);
size_t kernel_fault_reason(rk_kernel_s* kernel, char* buffer, size_t capacity);

// The bridge's round; cheap until the pace says a round is due.
void supervise_soon(rk_runtime_s* runtime);
// How long the bridge may sleep: a quarter of the shortest stall_ns or error window.
std::chrono::nanoseconds supervision_pace(const rk_runtime_s* runtime);

// The loop has left relaunchable: launch it again, the user state zeroed with
// RK_RESTART_RESET_STATE. lifecycle_mutex held.
rk_result relaunch_fresh(rk_kernel_s* kernel, uint32_t flags);

// Terminate and destroy (lifecycle_mutex held): the kernel is watched no more.
void stop_watching(rk_kernel_s* kernel);
// Before a kernel is freed: returns once no supervision callback for it runs.
void forget_supervision(rk_kernel_s* kernel);
// True inside a supervision callback (destroying kernels there is refused).
bool in_supervision_callback();

}  // namespace rk::core
