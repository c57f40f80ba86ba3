/* ringkernel — the cpu_sim prelude: the portable dialect as host C++, so the very source a
 * GPU backend compiles runs on threads here. One OS thread per GPU thread; a block's
 * threads share a real barrier and a shared-memory arena. */
#ifndef RINGKERNEL_RK_PRELUDE_CPU_H
#define RINGKERNEL_RK_PRELUDE_CPU_H

#include <linux/futex.h>
#include <sched.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <climits>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <type_traits>
#include <utility>

#define RK_DEVICE_DIALECT 1
#define RK_DIALECT_CPU 1
#define RK_CAN_PARK 1 /* rk_park_u32 is a futex wait; rk_unpark_u32 wakes it (host threads too) */

#define rk_global
#define rk_shared
#define RK_KERNEL static
#define RK_INLINE static inline

static thread_local const rk_cpu_thread_info* rk_cpu_thread;
static thread_local unsigned long rk_cpu_shared_cursor;

/* Every thread of a block declares the same arrays in the same order, so the same cursor
 * walk gives every thread the same addresses. */
static inline void* rk_cpu_shared_alloc(unsigned long bytes, unsigned long align) {
  unsigned long at = (rk_cpu_shared_cursor + align - 1) / align * align;
  if (at + bytes > rk_cpu_thread->shared_bytes) {
    std::fprintf(stderr, "cpu_sim: RK_SHARED_ARRAY needs more than %lu bytes of block-shared memory\n",
                 rk_cpu_thread->shared_bytes);
    std::abort();
  }
  rk_cpu_shared_cursor = at + bytes;
  return rk_cpu_thread->shared + at;
}

#define RK_SHARED_ARRAY(type, name, count) \
  type* name = static_cast<type*>(rk_cpu_shared_alloc(sizeof(type) * (count), alignof(type)))

static inline void* rk_dynamic_shared(void) { return rk_cpu_thread->dynamic_shared; }

#define rk_thread_idx(d) (rk_cpu_thread->thread_idx[(d)])
#define rk_block_idx(d) (rk_cpu_thread->block_idx[(d)])
#define rk_block_dim(d) (rk_cpu_thread->block_dim[(d)])
#define rk_grid_dim(d) (rk_cpu_thread->grid_dim[(d)])
#define rk_sync_threads() rk_cpu_thread->sync(rk_cpu_thread->barrier)

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
 * fences are documented where they are used. Keep kernels' build logs about user code. */
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

/* Sleeps while *p == expected, until woken or timeout_ns passes. Spurious returns are
 * fine: callers re-check. Private futex: every waiter and waker is in this process. */
static inline void rk_park_u32(uint32_t* p, uint32_t expected, int64_t timeout_ns) {
  if (timeout_ns < 0) timeout_ns = 0;
  struct timespec ts;
  ts.tv_sec = (time_t)(timeout_ns / 1000000000);
  ts.tv_nsec = (long)(timeout_ns % 1000000000);
  syscall(SYS_futex, p, FUTEX_WAIT_PRIVATE, expected, &ts, NULL, 0);
}

static inline void rk_unpark_u32(uint32_t* p) { syscall(SYS_futex, p, FUTEX_WAKE_PRIVATE, INT_MAX, NULL, NULL, 0); }

/* Entry trampolines: cpu_sim appends RK_CPU_EXPORT_KERNEL(name) for every RK_KERNEL it
 * finds. args[i] points at argument i's bytes; the kernel's own parameter types say how to
 * read them. rk_cpu_params_<name> reports those types' sizes so a launch with the wrong
 * number or size of arguments fails with a message instead of reading past them. */
namespace rk_cpu {
template <class... P, std::size_t... I>
void invoke_unpacked(void (*kernel)(P...), void** args, std::index_sequence<I...>) {
  kernel(*static_cast<std::remove_reference_t<P>*>(args[I])...);
}

template <class... P>
void invoke(void (*kernel)(P...), void** args) {
  invoke_unpacked(kernel, args, std::index_sequence_for<P...>{});
}

template <class... P>
unsigned param_sizes(void (*)(P...), unsigned* sizes, unsigned capacity) {
  const unsigned all[] = {static_cast<unsigned>(sizeof(P))..., 0u};
  for (unsigned i = 0; i < sizeof...(P) && i < capacity; ++i) sizes[i] = all[i];
  return static_cast<unsigned>(sizeof...(P));
}
}  // namespace rk_cpu

#define RK_CPU_VISIBLE extern "C" __attribute__((visibility("default")))

#define RK_CPU_EXPORT_KERNEL(name)                                                     \
  RK_CPU_VISIBLE void rk_cpu_entry_##name(const rk_cpu_thread_info* info, void** args) { \
    rk_cpu_thread = info;                                                              \
    rk_cpu_shared_cursor = 0;                                                          \
    rk_cpu::invoke(name, args);                                                        \
  }                                                                                    \
  RK_CPU_VISIBLE unsigned rk_cpu_params_##name(unsigned* sizes, unsigned capacity) {   \
    return rk_cpu::param_sizes(name, sizes, capacity);                                 \
  }

#endif /* RINGKERNEL_RK_PRELUDE_CPU_H */
