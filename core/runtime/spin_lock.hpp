// A spinlock for critical sections of a few dozen ns that two busy threads take on every
// message: a pthread mutex puts a waiter to sleep at once, and its wake-up costs a system
// call and a reschedule (microseconds on a VM) where the holder is done in nanoseconds.
// Waiters yield after a short spin, so a holder that was preempted on a busy machine does
// not keep them spinning for its whole time slice. Header-only (tests use it without
// libringcore).
#pragma once

#include <atomic>
#include <cstdint>
#include <thread>

#include "../dialect/preludes/rk_prelude_host.h"

namespace rk::core {

class SpinLock {
 public:
  void lock() {
    while (locked_.exchange(true, std::memory_order_acquire))
      for (uint32_t round = 0; locked_.load(std::memory_order_relaxed); ++round)
        if (round < 64) rk_pause(); else std::this_thread::yield();
  }
  bool try_lock() { return !locked_.load(std::memory_order_relaxed) && !locked_.exchange(true, std::memory_order_acquire); }
  void unlock() { locked_.store(false, std::memory_order_release); }

 private:
  std::atomic<bool> locked_{false};
};

}  // namespace rk::core
