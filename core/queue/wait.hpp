// Waiting without burning a core: spin briefly (a message is usually microseconds away),
// then yield (let the other side run on a small machine), then park until woken or a
// short timeout, re-checking each time. Deadlines are steady_clock.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>

#include "../dialect/preludes/rk_prelude_host.h"

namespace rk::core {

using WaitClock = std::chrono::steady_clock;

struct WaitPolicy {
  int spins = 100;   // rk_pause() rounds before yielding
  int yields = 100;  // sched_yield() rounds before parking
  std::chrono::nanoseconds max_park{std::chrono::milliseconds(1)};  // bounds a missed wake-up
};

// True as soon as ready() is; false once deadline passes with ready() still false.
// park(timeout) sleeps at most timeout (min of max_park and the time left) and may return
// early; ready() is checked again after every spin, yield and park. `now` reads the clock
// (tests pass a fake one, so what they check does not depend on the scheduler).
template <class Ready, class Park, class Now = WaitClock::time_point (*)()>
bool wait_until(Ready&& ready, WaitClock::time_point deadline, Park&& park, WaitPolicy policy = {},
                Now now = &WaitClock::now) {
  for (int i = 0; i < policy.spins; ++i) {
    if (ready()) return true;
    rk_pause();
  }
  for (int i = 0; i < policy.yields; ++i) {
    if (ready()) return true;
    if (now() >= deadline) return false;
    rk_yield();
  }
  for (;;) {
    if (ready()) return true;
    const auto at = now();
    if (at >= deadline) return ready();
    park(std::min<std::chrono::nanoseconds>(deadline - at, policy.max_park));
  }
}

// Parks on a doorbell word the other side increments after publishing (futex on the host,
// the same word rk_unpark_u32 wakes). Construct it *before* the first ready() check: it
// sleeps only while the doorbell still holds the value seen before the last check, so a
// ring between that check and the sleep is never lost.
class DoorbellPark {
 public:
  explicit DoorbellPark(uint32_t* doorbell) : doorbell_(doorbell), seen_(rk_load_acquire_u32(doorbell)) {}

  void operator()(std::chrono::nanoseconds timeout) {
    rk_park_u32(doorbell_, seen_, static_cast<int64_t>(timeout.count()));
    seen_ = rk_load_acquire_u32(doorbell_);
  }

 private:
  uint32_t* doorbell_;
  uint32_t seen_;
};

// For callers with no doorbell to wait on: sleeps the timeout (callers keep it short).
inline void sleep_park(std::chrono::nanoseconds timeout) {
  struct timespec ts {};
  ts.tv_sec = static_cast<time_t>(timeout.count() / 1000000000);
  ts.tv_nsec = static_cast<long>(timeout.count() % 1000000000);
  nanosleep(&ts, nullptr);
}

}  // namespace rk::core
