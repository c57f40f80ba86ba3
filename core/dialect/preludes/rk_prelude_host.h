/* ringkernel — the host prelude (RK_DIALECT_HOST): compiles the dialect's queue and HLC
 * operations natively into libringcore, the tests and rk-bench, so host and device run
 * one implementation. C++ only. Atomics are GCC/Clang __atomic builtins, which
 * ThreadSanitizer models; on x86-64 acquire/release cost plain loads and stores. */
#ifndef RINGKERNEL_RK_PRELUDE_HOST_H
#define RINGKERNEL_RK_PRELUDE_HOST_H

#include <climits>
#include <cstddef>
#include <cstdint>
#include <ctime>

#include <linux/futex.h>
#include <sched.h>
#include <sys/syscall.h>
#include <unistd.h>

#define RK_DEVICE_DIALECT 1
#define RK_DIALECT_HOST 1
#define RK_CAN_PARK 1 /* host threads sleep on futexes */

#define rk_global
#define rk_shared
#define RK_KERNEL static
#define RK_INLINE static inline
#define RK_SHARED_ARRAY(type, name, count) type name[count]

/* The host runs no kernels: thread ids and the block barrier exist only so shared dialect
 * code compiles. The host is one "thread" of one block. */
#define rk_thread_idx(d) ((void)(d), 0u)
#define rk_block_idx(d) ((void)(d), 0u)
#define rk_block_dim(d) ((void)(d), 1u)
#define rk_grid_dim(d) ((void)(d), 1u)
#define rk_sync_threads() ((void)0)

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

#endif /* RINGKERNEL_RK_PRELUDE_HOST_H */
