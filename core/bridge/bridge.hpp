// The message bridge: one host progress thread per runtime (docs/bridge.md). It starts
// with the first kernel that gets an async consumer, or the first traced kernel (it
// collects trace rings too), and stops when the runtime goes. On cpu_sim an idle kernel
// thread may run the pass for its own kernel instead (assist, bridge/kernel_assist.hpp).
// It serves only attached kernels: drains their output, resolves pending requests by
// correlation id, runs output handlers in order, times requests out.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>

#include "ringkernel.h"

namespace rk::core {

class Bridge {
 public:
  explicit Bridge(rk_runtime_s* runtime);
  ~Bridge();  // stops and joins the thread; every kernel must be detached first
  Bridge(const Bridge&) = delete;
  Bridge& operator=(const Bridge&) = delete;

  // The kernel's output is served from now on (idempotent).
  void attach(rk_kernel_s* kernel);
  // The bridge delivers what already arrived, completes every request still pending with
  // RK_ERROR_TERMINATED and forgets the kernel; returns once it will never touch it again.
  // Not from the bridge thread.
  void detach(rk_kernel_s* kernel);

  // Wakes a bridge that sleeps with nothing to do: trace rings now want collecting.
  void wake();

  // True on this runtime's bridge thread, or on a kernel thread standing in for it
  // (inside a callback).
  static bool on_bridge_thread(const rk_runtime_s* runtime);
  // The kernel whose callbacks this thread is running now, if any.
  static const rk_kernel_s* dispatching_kernel();
  // The kernel whose own (cpu_sim) thread is running its callbacks now, if any: that
  // kernel's loop cannot move until they return (bridge/kernel_assist.hpp).
  static const rk_kernel_s* assisting_kernel();

  // What an idle kernel thread remembers between its offers (thread-local: nothing shared
  // is written while it waits).
  struct AssistRounds {
    uint32_t depth_seen = 0;  // output depth at the last offer
    uint32_t rounds = 0;      // offers since it last changed
  };
  // One pass over `kernel` on its own thread between messages, standing in for the bridge thread: only
  // when there is output and no lock it needs is busy. True when it delivered something.
  static bool assist(rk_kernel_s* kernel, AssistRounds& rounds);

  // rk_runtime_progress: one pass over every attached kernel on a user's thread, standing
  // in for the bridge thread. Skips what another thread is passing over (a lock it would
  // wait for) and returns the callbacks it ran. Not from inside a pass (on_bridge_thread of
  // any runtime): the pass lock is not recursive.
  uint32_t progress();
  // True on a thread that is running some runtime's pass now (a callback is on the stack).
  static bool in_pass();

 private:
  void run();
  bool serve_all();
  static bool leave_to_kernel(rk_kernel_s* kernel);
  void idle(uint32_t round);

  rk_runtime_s* runtime_;
  // Held by whoever runs passes, the bridge thread or a kernel thread standing in for it:
  // a runtime's callbacks never run two at a time. Only ever try-locked.
  std::mutex pass_mutex_;
  // Passes kernel threads ran that delivered something: while these grow, the bridge
  // thread stands back (run()).
  std::atomic<uint64_t> assists_{0};
  // When a user thread's progress() last delivered (rk_clock_ns; 0: never). While it is
  // recent, kernel threads leave the passes to that thread (assist()).
  std::atomic<int64_t> progressed_ns_{0};
  std::mutex mutex_;  // guards kernels_ and detaching_; taken before a kernel's dispatch_mutex
  std::condition_variable detached_;
  std::condition_variable attached_;  // wakes a bridge that only collects traces
  std::vector<rk_kernel_s*> kernels_;
  std::vector<rk_kernel_s*> detaching_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

// The runtime's bridge, started on first call.
Bridge& bridge_for(rk_runtime_s* runtime);

// A kernel of `runtime` has a new async consumer (a request entered, a handler set): wakes
// the bridge if it rests because no async consumer wanted its kernel's output
// (rk_runtime_s::bridge_resting). One relaxed load when it does not.
void wake_bridge_if_resting(rk_runtime_s* runtime);

// One pass over a kernel (its dispatch_mutex held): the callbacks it ran.
// `final`: complete everything still pending with RK_ERROR_TERMINATED.
// `try_only`: give up at once where the kernel's receive lock is busy (a kernel thread or
// a user's thread standing in for the bridge must not sleep on a lock), and leave the
// timeout scan to the bridge thread.
uint32_t serve_kernel(rk_kernel_s* kernel, bool final, bool try_only = false);

}  // namespace rk::core
