/* ringkernel — the dialect's primitives on a Linux host, shared by the host prelude
 * (libringcore, tests, rk-bench) and the cpu_sim prelude (kernels compiled at run time;
 * plugins/cpu_sim/embed_prelude.cmake pastes this file where that prelude includes it):
 * GCC/Clang __atomic builtins, which ThreadSanitizer models, the realtime clock, and
 * futex park/unpark, so both sides can sleep and wake each other (RK_CAN_PARK 1). */
#ifndef RINGKERNEL_RK_HOST_PRIMITIVES_H
#define RINGKERNEL_RK_HOST_PRIMITIVES_H

#include <linux/futex.h>
#include <sched.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <climits>
#include <cstdint>
#include <ctime>

#define RK_CAN_PARK 1 /* rk_park_u32 is a futex wait; rk_unpark_u32 wakes it */

#define rk_load_acquire_u32(p) __atomic_load_n((p), __ATOMIC_ACQUIRE)
#define rk_load_acquire_u64(p) __atomic_load_n((p), __ATOMIC_ACQUIRE)
#define rk_load_relaxed_u32(p) __atomic_load_n((p), __ATOMIC_RELAXED)
#define rk_load_relaxed_u64(p) __atomic_load_n((p), __ATOMIC_RELAXED)
#define rk_store_release_u32(p, v) __atomic_store_n((p), (uint32_t)(v), __ATOMIC_RELEASE)
#define rk_store_release_u64(p, v) __atomic_store_n((p), (uint64_t)(v), __ATOMIC_RELEASE)
#define rk_store_relaxed_u32(p, v) __atomic_store_n((p), (uint32_t)(v), __ATOMIC_RELAXED)
#define rk_store_relaxed_u64(p, v) __atomic_store_n((p), (uint64_t)(v), __ATOMIC_RELAXED)
#define rk_fetch_add_u32(p, v) __atomic_fetch_add((p), (uint32_t)(v), __ATOMIC_ACQ_REL)
#define rk_fetch_add_u64(p, v) __atomic_fetch_add((p), (uint64_t)(v), __ATOMIC_ACQ_REL)
#define rk_fence_seq_cst() __atomic_thread_fence(__ATOMIC_SEQ_CST)
#if defined(__SANITIZE_THREAD__) && !defined(__clang__) && __GNUC__ >= 12
/* ThreadSanitizer does not model a lone fence and GCC warns at every use; the ring code's
 * fences are documented where they are used. */
#pragma GCC diagnostic ignored "-Wtsan"
#endif

static inline int rk_cas_u64(uint64_t* p, uint64_t expected, uint64_t desired) {
  return __atomic_compare_exchange_n(p, &expected, desired, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE) ? 1 : 0;
}

static inline void rk_fetch_max_u64(uint64_t* p, uint64_t v) {
  uint64_t seen = __atomic_load_n(p, __ATOMIC_RELAXED);
  while (seen < v && !__atomic_compare_exchange_n(p, &seen, v, true, __ATOMIC_RELAXED, __ATOMIC_RELAXED)) {
  }
}

static inline void rk_fetch_min_u64(uint64_t* p, uint64_t v) {
  uint64_t seen = __atomic_load_n(p, __ATOMIC_RELAXED);
  while (seen > v && !__atomic_compare_exchange_n(p, &seen, v, true, __ATOMIC_RELAXED, __ATOMIC_RELAXED)) {
  }
}

static inline int64_t rk_clock_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static inline void rk_pause(void) {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

static inline void rk_yield(void) { sched_yield(); }

/* Sleeps while *p == expected, until woken or timeout_ns passes (private futex: every
 * waiter and waker is in this process). Spurious returns are fine: callers re-check. */
static inline void rk_park_u32(uint32_t* p, uint32_t expected, int64_t timeout_ns) {
  if (timeout_ns < 0) timeout_ns = 0;
  struct timespec ts;
  ts.tv_sec = (time_t)(timeout_ns / 1000000000);
  ts.tv_nsec = (long)(timeout_ns % 1000000000);
  syscall(SYS_futex, p, FUTEX_WAIT_PRIVATE, expected, &ts, NULL, 0);
}

static inline void rk_unpark_u32(uint32_t* p) { syscall(SYS_futex, p, FUTEX_WAKE_PRIVATE, INT_MAX, NULL, NULL, 0); }

#endif /* RINGKERNEL_RK_HOST_PRIMITIVES_H */
