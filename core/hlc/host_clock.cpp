#include "hlc/host_clock.hpp"

#include "runtime/host_dialect.hpp"

namespace rk::core {

HostClock::HostClock(uint32_t node_id) { clock_.node_id = node_id; }

rk_hlc HostClock::tick() {
  std::lock_guard lock(mutex_);
  rk_hlc_result r = rk_hlc_tick(clock_, rk_clock_ns());
  // A wrapping logical counter would need 2^32 events within one nanosecond reading.
  if (r.status == RK_SUCCESS) clock_ = r.clock;
  return clock_;
}

rk_result HostClock::merge(const rk_hlc& remote, int64_t max_skew_ns) {
  std::lock_guard lock(mutex_);
  rk_hlc_result r = rk_hlc_merge(clock_, remote, rk_clock_ns(), max_skew_ns);
  if (r.status == RK_SUCCESS) clock_ = r.clock;
  return static_cast<rk_result>(r.status);
}

rk_hlc HostClock::now() const {
  std::lock_guard lock(mutex_);
  return clock_;
}

}  // namespace rk::core
