/* ringkernel — the OpenCL C prelude: the portable dialect (docs/dialect.md) as OpenCL C.
 *
 * The plugin prepends this text to every RK_SOURCE_DIALECT source and builds it with
 * -cl-std=CL3.0 (or CL2.0) and these macros on the command line:
 *   RK_OPENCL_CLOCK_WORD  device address of the context's host-updated clock word
 *                         (an int64 of CLOCK_REALTIME ns in fine-grained SVM); only set for
 *                         sources that read the clock, see rk_clock_ns() below.
 * Device memory is __global, block-shared memory __local. Atomics are the OpenCL C 2.0
 * C11-style atomics on __global objects, at the widest scope the device compiler offers
 * (all SVM devices when it has __opencl_c_atomic_scope_all_devices, else the device). On
 * OpenCL C 1.2 the legacy atomic functions stand in; such devices get no ring kernels. */
#ifndef RINGKERNEL_RK_PRELUDE_OPENCL_H
#define RINGKERNEL_RK_PRELUDE_OPENCL_H

#define RK_DEVICE_DIALECT 1
#define RK_DIALECT_OPENCL 1

#pragma OPENCL EXTENSION cl_khr_int64_base_atomics : enable
#pragma OPENCL EXTENSION cl_khr_int64_extended_atomics : enable

/* Macros rather than typedefs: kernel parameters then carry OpenCL's own type names, which
 * is what PoCL checks clSetKernelArg sizes against (a typedef'd name goes unchecked). */
#define int8_t char
#define int16_t short
#define int32_t int
#define int64_t long
#define uint8_t uchar
#define uint16_t ushort
#define uint32_t uint
#define uint64_t ulong
/* uintptr_t is an OpenCL C built-in type. */

#define rk_global __global
#define rk_shared __local

/* rk_any: a pointer parameter that may point into private, global or local memory (a
 * payload). The generic address space where the compiler has it (clang announces it with
 * __opencl_c_generic_address_space; OpenCL C 2.0 compilers have it always). PoCL 3.x's
 * CPU device has none: rk_any is then private, RK_ANY_IS_GENERIC 0, and the dialect
 * defines such functions once per address space as clang overloads (RK_OVERLOADABLE). */
#if defined(__opencl_c_generic_address_space) || (__OPENCL_C_VERSION__ == 200 && !defined(__clang__))
#define rk_any __generic
#define RK_ANY_IS_GENERIC 1
#define RK_OVERLOADABLE
#else
#define rk_any
#define RK_ANY_IS_GENERIC 0
#define RK_OVERLOADABLE __attribute__((overloadable))
#endif
#define RK_KERNEL __kernel
#define RK_INLINE static inline
#define RK_SHARED_ARRAY(type, name, count) __local type name[count]

#define rk_thread_idx(d) ((uint32_t)get_local_id(d))
#define rk_block_idx(d) ((uint32_t)get_group_id(d))
#define rk_block_dim(d) ((uint32_t)get_local_size(d))
#define rk_grid_dim(d) ((uint32_t)get_num_groups(d))
#define rk_sync_threads() barrier(CLK_LOCAL_MEM_FENCE | CLK_GLOBAL_MEM_FENCE)

#if __OPENCL_C_VERSION__ >= 200

#if defined(__opencl_c_atomic_scope_all_devices) || __OPENCL_C_VERSION__ == 200
#define RK_OPENCL_SCOPE memory_scope_all_svm_devices
#else
/* PoCL 3.x offers no all-devices scope. Its CPU device is the host's own cores, where a
 * device-scope atomic is the same instruction; other such devices: see docs/backends.md. */
#define RK_OPENCL_SCOPE memory_scope_device
#endif

#define RK_A32(p) ((volatile __global atomic_uint*)(p))
#define RK_A64(p) ((volatile __global atomic_ulong*)(p))

#define rk_load_acquire_u32(p) atomic_load_explicit(RK_A32(p), memory_order_acquire, RK_OPENCL_SCOPE)
#define rk_load_acquire_u64(p) atomic_load_explicit(RK_A64(p), memory_order_acquire, RK_OPENCL_SCOPE)
#define rk_load_relaxed_u32(p) atomic_load_explicit(RK_A32(p), memory_order_relaxed, RK_OPENCL_SCOPE)
#define rk_load_relaxed_u64(p) atomic_load_explicit(RK_A64(p), memory_order_relaxed, RK_OPENCL_SCOPE)
#define rk_store_release_u32(p, v) atomic_store_explicit(RK_A32(p), (uint32_t)(v), memory_order_release, RK_OPENCL_SCOPE)
#define rk_store_release_u64(p, v) atomic_store_explicit(RK_A64(p), (uint64_t)(v), memory_order_release, RK_OPENCL_SCOPE)
#define rk_store_relaxed_u32(p, v) atomic_store_explicit(RK_A32(p), (uint32_t)(v), memory_order_relaxed, RK_OPENCL_SCOPE)
#define rk_store_relaxed_u64(p, v) atomic_store_explicit(RK_A64(p), (uint64_t)(v), memory_order_relaxed, RK_OPENCL_SCOPE)
#define rk_fetch_add_u32(p, v) atomic_fetch_add_explicit(RK_A32(p), (uint32_t)(v), memory_order_acq_rel, RK_OPENCL_SCOPE)
#define rk_fetch_add_u64(p, v) atomic_fetch_add_explicit(RK_A64(p), (uint64_t)(v), memory_order_acq_rel, RK_OPENCL_SCOPE)
#define rk_fence_seq_cst() atomic_work_item_fence(CLK_GLOBAL_MEM_FENCE, memory_order_seq_cst, RK_OPENCL_SCOPE)

RK_INLINE int rk_cas_u64(__global uint64_t* p, uint64_t expected, uint64_t desired) {
  return atomic_compare_exchange_strong_explicit(RK_A64(p), &expected, desired, memory_order_acq_rel,
                                                 memory_order_acquire, RK_OPENCL_SCOPE) ? 1 : 0;
}

RK_INLINE int rk_cas_weak_relaxed_u64(__global uint64_t* p, uint64_t* seen, uint64_t desired) {
  return atomic_compare_exchange_weak_explicit(RK_A64(p), seen, desired, memory_order_relaxed, memory_order_relaxed,
                                               RK_OPENCL_SCOPE) ? 1 : 0;
}

#else /* OpenCL C 1.2: legacy atomics, volatile accesses and full fences. No ring kernels. */

#define RK_V32(p) ((volatile __global uint32_t*)(p))
#define RK_V64(p) ((volatile __global uint64_t*)(p))

RK_INLINE uint32_t rk_cl12_load_u32(volatile __global uint32_t* p) { uint32_t v = *p; mem_fence(CLK_GLOBAL_MEM_FENCE); return v; }
RK_INLINE uint64_t rk_cl12_load_u64(volatile __global uint64_t* p) { uint64_t v = *p; mem_fence(CLK_GLOBAL_MEM_FENCE); return v; }
RK_INLINE void rk_cl12_store_u32(volatile __global uint32_t* p, uint32_t v) { mem_fence(CLK_GLOBAL_MEM_FENCE); *p = v; }
RK_INLINE void rk_cl12_store_u64(volatile __global uint64_t* p, uint64_t v) { mem_fence(CLK_GLOBAL_MEM_FENCE); *p = v; }

#define rk_load_acquire_u32(p) rk_cl12_load_u32(RK_V32(p))
#define rk_load_acquire_u64(p) rk_cl12_load_u64(RK_V64(p))
#define rk_load_relaxed_u32(p) (*RK_V32(p))
#define rk_load_relaxed_u64(p) (*RK_V64(p))
#define rk_store_release_u32(p, v) rk_cl12_store_u32(RK_V32(p), (uint32_t)(v))
#define rk_store_release_u64(p, v) rk_cl12_store_u64(RK_V64(p), (uint64_t)(v))
#define rk_store_relaxed_u32(p, v) (*RK_V32(p) = (uint32_t)(v))
#define rk_store_relaxed_u64(p, v) (*RK_V64(p) = (uint64_t)(v))
#define rk_fetch_add_u32(p, v) atomic_add(RK_V32(p), (uint32_t)(v))
#define rk_fetch_add_u64(p, v) atom_add(RK_V64(p), (uint64_t)(v))
#define rk_fence_seq_cst() mem_fence(CLK_GLOBAL_MEM_FENCE)

RK_INLINE int rk_cas_u64(__global uint64_t* p, uint64_t expected, uint64_t desired) {
  return atom_cmpxchg(RK_V64(p), expected, desired) == expected ? 1 : 0;
}

RK_INLINE int rk_cas_weak_relaxed_u64(__global uint64_t* p, uint64_t* seen, uint64_t desired) {
  uint64_t old = atom_cmpxchg(RK_V64(p), *seen, desired);
  int won = old == *seen;
  *seen = old;
  return won;
}

#endif /* __OPENCL_C_VERSION__ */

RK_INLINE void rk_fetch_max_u64(__global uint64_t* p, uint64_t v) {
  uint64_t seen = rk_load_relaxed_u64(p);
  while (seen < v && !rk_cas_weak_relaxed_u64(p, &seen, v)) {
  }
}

RK_INLINE void rk_fetch_min_u64(__global uint64_t* p, uint64_t v) {
  uint64_t seen = rk_load_relaxed_u64(p);
  while (seen > v && !rk_cas_weak_relaxed_u64(p, &seen, v)) {
  }
}

/* OpenCL C has no wall clock. The plugin keeps one int64 word of CLOCK_REALTIME ns per
 * context in fine-grained SVM, rewritten by a host thread every ~50 us while a persistent
 * kernel runs (and at every launch), and compiles its address in as RK_OPENCL_CLOCK_WORD:
 * kernels cannot see host globals, and PoCL has no program-scope variables to hold it. So
 * device time is host time, up to one refresh late. Without the word (a kernel that never
 * names rk_clock_ns) it reads 0. */
#ifdef RK_OPENCL_CLOCK_WORD
RK_INLINE int64_t rk_clock_ns(void) {
  return (int64_t)rk_load_acquire_u64((__global uint64_t*)(uintptr_t)RK_OPENCL_CLOCK_WORD);
}
#else
RK_INLINE int64_t rk_clock_ns(void) { return 0; }
#endif

/* No spin hint or yield exists in OpenCL C: a short busy loop the compiler cannot drop. */
RK_INLINE void rk_opencl_spin(uint32_t rounds) {
  volatile uint32_t sink = 0u;
  for (uint32_t i = 0u; i < rounds; ++i) sink = sink + 1u;
}

#define rk_pause() rk_opencl_spin(8u)

#ifdef RK_OPENCL_HOST_FUTEX
/* PoCL's CPU device on x86-64 Linux (the plugin defines this there, docs/backends.md): a
 * work-group runs on a host thread of this process and SVM pointers are host addresses, so
 * kernel code can yield the core and sleep on a futex as cpu_sim's does. OpenCL C has no
 * libc (PoCL fails to build a call to one), hence the system calls themselves. Without
 * this, an idle ring kernel spins on its core for as long as it runs. */
#define RK_CAN_PARK 1

RK_INLINE long rk_opencl_syscall(long number, long a, long b, long c, long d) {
  long result;
  __asm__ volatile("mov %5, %%r10\n\tsyscall"
                   : "=a"(result)
                   : "a"(number), "D"(a), "S"(b), "d"(c), "r"(d)
                   : "rcx", "r10", "r11", "memory");
  return result;
}

#define RK_OPENCL_SYS_FUTEX 202L
#define RK_OPENCL_FUTEX_WAIT_PRIVATE 128L /* FUTEX_WAIT | FUTEX_PRIVATE_FLAG: waiter and waker share this process */
#define RK_OPENCL_FUTEX_WAKE_PRIVATE 129L

/* rk_yield stays a short busy loop: as a system call (~1 us here) it made every host round
 * trip that found the loop past its spin rounds ~1 us slower. The loop parks only after
 * ~4000 of them (about 0.3 ms idle on PoCL): with cpu_sim's 256 (~20 us), a K2K hop through
 * the host forwarder that once took longer than that found the kernel parked, and stayed
 * 20x slower, each hop now paying a futex wake. */
#define rk_yield() rk_opencl_spin(256u)
#define RK_LOOP_YIELD_ROUNDS 4096u

/* Sleeps while *p == expected, until woken or timeout_ns passes; spurious returns are fine
 * (callers re-check). */
RK_INLINE void rk_park_u32(__global uint32_t* p, uint32_t expected, int64_t timeout_ns) {
  long timeout[2]; /* struct timespec */
  if (timeout_ns < 0) timeout_ns = 0;
  timeout[0] = (long)(timeout_ns / 1000000000);
  timeout[1] = (long)(timeout_ns % 1000000000);
  (void)rk_opencl_syscall(RK_OPENCL_SYS_FUTEX, (long)(uintptr_t)p, RK_OPENCL_FUTEX_WAIT_PRIVATE, (long)expected,
                          (long)(uintptr_t)timeout);
}

RK_INLINE void rk_unpark_u32(__global uint32_t* p) {
  (void)rk_opencl_syscall(RK_OPENCL_SYS_FUTEX, (long)(uintptr_t)p, RK_OPENCL_FUTEX_WAKE_PRIVATE, 0x7FFFFFFFL, 0L);
}

#else
#define rk_yield() rk_opencl_spin(256u)

/* Device code cannot sleep or be woken: poll until *p changes or the timeout passes, by
 * the host-updated clock, with an iteration cap in case that clock stands still. */
#define RK_OPENCL_PARK_MAX_POLLS 4000000u

RK_INLINE void rk_park_u32(__global uint32_t* p, uint32_t expected, int64_t timeout_ns) {
  int64_t deadline = rk_clock_ns() + (timeout_ns > 0 ? timeout_ns : 0);
  for (uint32_t poll = 0u; poll < RK_OPENCL_PARK_MAX_POLLS; ++poll) {
    if (rk_load_acquire_u32(p) != expected) return;
    if ((poll & 63u) == 63u && rk_clock_ns() >= deadline) return;
    rk_opencl_spin(64u);
  }
}

/* Nothing parks on the device side, and device code cannot wake a host thread. */
#define rk_unpark_u32(p) ((void)(p))

#endif /* RK_OPENCL_HOST_FUTEX */

#endif /* RINGKERNEL_RK_PRELUDE_OPENCL_H */
