// The host's hybrid logical clock (node 0): thread-safe wrapper over rk_hlc_ops.h.
#pragma once

#include <cstdint>
#include <mutex>

#include "rk_ring_layout.h"

namespace rk::core {

class HostClock {
 public:
  explicit HostClock(uint32_t node_id);

  // Local or send event; returns the new timestamp. Never goes backwards.
  rk_hlc tick();
  // Receive event. RK_ERROR_CLOCK_SKEW (clock unchanged) when remote is too far ahead.
  rk_result merge(const rk_hlc& remote, int64_t max_skew_ns);
  rk_hlc now() const;

 private:
  mutable std::mutex mutex_;
  rk_hlc clock_{};
};

}  // namespace rk::core
