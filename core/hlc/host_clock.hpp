// A hybrid logical clock for host threads: a thread-safe wrapper over the dialect's
// rk_hlc_ops.h (the rules the kernels run). Header-only so tests use it without
// libringcore. A lock, because an rk_hlc is 16 bytes and a lock-free 16-byte CAS would
// need cmpxchg16b; a spinlock (below) rather than a mutex, because it is on every message.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>  // std::lock_guard

// clang-format off
#include "../dialect/preludes/rk_prelude_host.h"
#include "rk_ring_layout.h"
#include "../dialect/rk_hlc_ops.h"
#include "../runtime/spin_lock.hpp"
// clang-format on

namespace rk::core {

class HostClock {
 public:
  explicit HostClock(uint32_t node_id) { clock_.node_id = node_id; }

  // Local or send event at wall time now_ns. On a logical overflow the status is
  // RK_ERROR_CLOCK_SKEW and the clock stays as it was.
  rk_hlc_result tick(int64_t now_ns) {
    std::lock_guard hold(lock_);
    return apply(rk_hlc_tick(clock_, now_ns));
  }

  // tick(rk_clock_ns()), returning the new timestamp. An overflow would need 2^32 ticks
  // within one wall-clock reading; then the unchanged clock is returned.
  rk_hlc tick() { return tick(rk_clock_ns()).clock; }

  // Receive event. RK_ERROR_CLOCK_SKEW (clock unchanged) when remote is more than
  // max_skew_ns ahead of now_ns, or the logical counter would wrap.
  // A remote whose physical time is behind the clock's is merged without the lock, by
  // doing nothing: the clock is already past it, and the next tick moves on from the clock
  // as the merge would have (a receive event's own timestamp is never used). The physical
  // time only grows, so one read of it decides. This keeps the lock's line with the
  // sending thread when replies are drained on another core (docs/bridge.md).
  rk_result merge(const rk_hlc& remote, int64_t now_ns, int64_t max_skew_ns) {
    if (behind(remote)) return RK_SUCCESS;
    std::lock_guard hold(lock_);
    return static_cast<rk_result>(apply(rk_hlc_merge(clock_, remote, now_ns, max_skew_ns)).status);
  }

  rk_result merge(const rk_hlc& remote, int64_t max_skew_ns) {
    if (behind(remote)) return RK_SUCCESS;
    return merge(remote, rk_clock_ns(), max_skew_ns);
  }

  rk_hlc now() const {
    std::lock_guard hold(lock_);
    return clock_;
  }

 private:
  rk_hlc_result apply(const rk_hlc_result& result) {
    if (result.status == RK_SUCCESS) {
      clock_ = result.clock;
      physical_.store(clock_.physical_ns, std::memory_order_release);
    }
    return result;
  }

  bool behind(const rk_hlc& remote) const {
    return remote.physical_ns < physical_.load(std::memory_order_acquire);
  }

  // Held for a few ns around a 16-byte update: every send ticks and every receive merges,
  // and a pthread mutex pair cost ~50 ns of a ~600 ns round trip (rk-bench roundtrip on PoCL).
  mutable SpinLock lock_;
  rk_hlc clock_{};
  std::atomic<int64_t> physical_{0};  // clock_.physical_ns, readable without the lock
};

}  // namespace rk::core
