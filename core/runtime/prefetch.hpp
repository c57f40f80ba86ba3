// Asking ahead for a line this core will write, which another core last held (x86
// PREFETCHW; a hint, nothing elsewhere). On the async request path each message writes
// lines that the draining core (on cpu_sim the kernel's own thread) wrote or read last: the
// input slot and the pending request's slot. The first store waits for that core to give
// the line up, and the next locked instruction (a mutex, a compare-and-swap) makes the
// sender wait for that store: one cross-core transfer per line per message, in series.
// Asked for a few messages ahead, the transfer overlaps the sender's other work
// (docs/benchmarks.md). Header-only (pending_requests.hpp is used without libringcore).
#pragma once

#include <cstdint>

namespace rk::core {

inline void prefetch_for_write(const void* p, uint32_t bytes) {
#if defined(__x86_64__) || defined(__i386__)
  // Every line [p, p + bytes) touches: a 40-byte object may straddle two.
  const auto first = reinterpret_cast<uintptr_t>(p) & ~uintptr_t{63};
  const auto last = (reinterpret_cast<uintptr_t>(p) + (bytes ? bytes - 1u : 0u)) & ~uintptr_t{63};
  for (uintptr_t line = first; line <= last; line += 64u)
    __asm__ volatile("prefetchw %0" ::"m"(*reinterpret_cast<const char*>(line)));
#else
  (void)p;
  (void)bytes;
#endif
}

}  // namespace rk::core
