/* ringkernel — the HIP prelude: the portable dialect (docs/dialect.md) as HIP C++.
 *
 * The plugin prepends this text to every RK_SOURCE_DIALECT source and compiles it with
 * hiprtc (--offload-arch=gfxNNN -std=c++17). hiprtc brings HIP's device builtins (threadIdx,
 * __syncthreads) but no standard headers, so the fixed-width integers are declared here.
 * Atomics on host-shared words (control blocks and queues in coherent pinned host memory,
 * hipHostMallocCoherent) are clang's __hip_atomic_* at **system** scope, so the host's C++
 * atomics and the kernel's order against each other across PCIe/xGMI. */
#ifndef RINGKERNEL_RK_PRELUDE_HIP_H
#define RINGKERNEL_RK_PRELUDE_HIP_H

#define RK_DEVICE_DIALECT 1
#define RK_DIALECT_HIP 1

typedef signed char int8_t;
typedef short int16_t;
typedef int int32_t;
typedef long long int64_t;
typedef unsigned char uint8_t;
typedef unsigned short uint16_t;
typedef unsigned int uint32_t;
typedef unsigned long long uint64_t;
typedef unsigned long long uintptr_t;

#define rk_global
#define rk_shared
#define rk_any /* one generic address space: a payload pointer may point anywhere; no overloads needed */
#define RK_ANY_IS_GENERIC 1
#define RK_OVERLOADABLE
#define RK_KERNEL extern "C" __global__
#define RK_INLINE static __device__ __forceinline__
#define RK_SHARED_ARRAY(type, name, count) __shared__ type name[count]
/* The prelude's own helpers: inline rather than static, so a kernel that uses only some
 * of them gets no "unused function" warnings for the rest. */
#define RK_HIP_HELPER __device__ __forceinline__

/* d is 0, 1 or 2; a constant at every call site, so the selection folds away. */
#define RK_HIP_COMPONENT(v, d) ((uint32_t)((d) == 0 ? (v).x : (d) == 1 ? (v).y : (v).z))
#define rk_thread_idx(d) RK_HIP_COMPONENT(threadIdx, d)
#define rk_block_idx(d) RK_HIP_COMPONENT(blockIdx, d)
#define rk_block_dim(d) RK_HIP_COMPONENT(blockDim, d)
#define rk_grid_dim(d) RK_HIP_COMPONENT(gridDim, d)
#define rk_sync_threads() __syncthreads()

/* ---- system-scope atomics. Generic addresses: a word may be in device memory, coherent
 * host memory or managed memory. The dialect passes typed pointers (uint32_t*, sometimes a
 * cast int64_t field); the helpers take the address and convert as the table says. ----- */

#define RK_HIP_SYSTEM __HIP_MEMORY_SCOPE_SYSTEM
#define RK_HIP_U32(p) ((uint32_t*)(p))
#define RK_HIP_U64(p) ((uint64_t*)(p))

RK_HIP_HELPER uint32_t rk_hip_load_u32(const volatile void* p, int order) {
  return order == __ATOMIC_ACQUIRE ? __hip_atomic_load(RK_HIP_U32(p), __ATOMIC_ACQUIRE, RK_HIP_SYSTEM)
                                   : __hip_atomic_load(RK_HIP_U32(p), __ATOMIC_RELAXED, RK_HIP_SYSTEM);
}
RK_HIP_HELPER uint64_t rk_hip_load_u64(const volatile void* p, int order) {
  return order == __ATOMIC_ACQUIRE ? __hip_atomic_load(RK_HIP_U64(p), __ATOMIC_ACQUIRE, RK_HIP_SYSTEM)
                                   : __hip_atomic_load(RK_HIP_U64(p), __ATOMIC_RELAXED, RK_HIP_SYSTEM);
}
RK_HIP_HELPER void rk_hip_store_u32(volatile void* p, uint32_t v, int order) {
  if (order == __ATOMIC_RELEASE) __hip_atomic_store(RK_HIP_U32(p), v, __ATOMIC_RELEASE, RK_HIP_SYSTEM);
  else __hip_atomic_store(RK_HIP_U32(p), v, __ATOMIC_RELAXED, RK_HIP_SYSTEM);
}
RK_HIP_HELPER void rk_hip_store_u64(volatile void* p, uint64_t v, int order) {
  if (order == __ATOMIC_RELEASE) __hip_atomic_store(RK_HIP_U64(p), v, __ATOMIC_RELEASE, RK_HIP_SYSTEM);
  else __hip_atomic_store(RK_HIP_U64(p), v, __ATOMIC_RELAXED, RK_HIP_SYSTEM);
}
RK_HIP_HELPER int rk_cas_u64(volatile void* p, uint64_t expected, uint64_t desired) {
  return __hip_atomic_compare_exchange_strong(RK_HIP_U64(p), &expected, desired, __ATOMIC_ACQ_REL,
                                              __ATOMIC_ACQUIRE, RK_HIP_SYSTEM) ? 1 : 0;
}

/* The orders are constants at every call site, so each helper folds to one instruction
 * sequence (the memory model needs the order as a literal at the builtin). */
#define rk_load_acquire_u32(p) rk_hip_load_u32((p), __ATOMIC_ACQUIRE)
#define rk_load_acquire_u64(p) rk_hip_load_u64((p), __ATOMIC_ACQUIRE)
#define rk_load_relaxed_u32(p) rk_hip_load_u32((p), __ATOMIC_RELAXED)
#define rk_load_relaxed_u64(p) rk_hip_load_u64((p), __ATOMIC_RELAXED)
#define rk_store_release_u32(p, v) rk_hip_store_u32((p), (uint32_t)(v), __ATOMIC_RELEASE)
#define rk_store_release_u64(p, v) rk_hip_store_u64((p), (uint64_t)(v), __ATOMIC_RELEASE)
#define rk_store_relaxed_u32(p, v) rk_hip_store_u32((p), (uint32_t)(v), __ATOMIC_RELAXED)
#define rk_store_relaxed_u64(p, v) rk_hip_store_u64((p), (uint64_t)(v), __ATOMIC_RELAXED)
#define rk_fetch_add_u32(p, v) __hip_atomic_fetch_add(RK_HIP_U32(p), (uint32_t)(v), __ATOMIC_ACQ_REL, RK_HIP_SYSTEM)
#define rk_fetch_add_u64(p, v) __hip_atomic_fetch_add(RK_HIP_U64(p), (uint64_t)(v), __ATOMIC_ACQ_REL, RK_HIP_SYSTEM)
#define rk_fetch_max_u64(p, v) ((void)__hip_atomic_fetch_max(RK_HIP_U64(p), (uint64_t)(v), __ATOMIC_RELAXED, RK_HIP_SYSTEM))
#define rk_fetch_min_u64(p, v) ((void)__hip_atomic_fetch_min(RK_HIP_U64(p), (uint64_t)(v), __ATOMIC_RELAXED, RK_HIP_SYSTEM))
#define rk_fence_seq_cst() __threadfence_system()

/* ---- time and waiting -------------------------------------------------------------- */

/* The device's constant-rate wall clock (s_memrealtime): 100 MHz on gfx90a and gfx942
 * (MI200, MI300). The plugin may define another rate at compile time. */
#ifndef RK_HIP_WALL_CLOCK_HZ
#define RK_HIP_WALL_CLOCK_HZ 100000000ull
#endif

/* Host CLOCK_REALTIME ns minus the device clock in ns, written by the plugin after the
 * module loads (rk_hip_set_clock_offset, calibrated with rk_hip_read_wall_clock): the
 * wall clock counts from an arbitrary origin, the dialect's clock from the Unix epoch. */
__device__ int64_t rk_hip_clock_offset_ns = 0;

RK_HIP_HELPER int64_t rk_hip_device_ns(void) {
  return (int64_t)(__builtin_amdgcn_s_memrealtime() * (1000000000ull / RK_HIP_WALL_CLOCK_HZ));
}
RK_HIP_HELPER int64_t rk_clock_ns(void) {
  return rk_hip_device_ns() + __hip_atomic_load(&rk_hip_clock_offset_ns, __ATOMIC_RELAXED, __HIP_MEMORY_SCOPE_AGENT);
}

extern "C" __global__ void rk_hip_read_wall_clock(uint64_t* out_ns) { *out_ns = (uint64_t)rk_hip_device_ns(); }
extern "C" __global__ void rk_hip_set_clock_offset(int64_t offset_ns) {
  __hip_atomic_store(&rk_hip_clock_offset_ns, offset_ns, __ATOMIC_RELAXED, __HIP_MEMORY_SCOPE_AGENT);
}

/* s_sleep n waits about 64 x n shader clocks (a few ns each); the argument is a constant
 * of at most 127. */
#define rk_pause() __builtin_amdgcn_s_sleep(1)
#define rk_yield() __builtin_amdgcn_s_sleep(32)

/* Device code cannot sleep on an address: poll with sleeps until *p changes or the timeout
 * passes (by the device clock). Nothing to wake, so rk_unpark_u32 does nothing. */
RK_HIP_HELPER void rk_park_u32(const volatile void* p, uint32_t expected, int64_t timeout_ns) {
  int64_t deadline = rk_hip_device_ns() + (timeout_ns > 0 ? timeout_ns : 0);
  while (rk_hip_load_u32(p, __ATOMIC_ACQUIRE) == expected && rk_hip_device_ns() < deadline)
    __builtin_amdgcn_s_sleep(64);
}
#define rk_unpark_u32(p) ((void)(p))

/* The ring loop takes input one message at a time: its slots are in host-mapped memory,
 * and peeking past the last message would add a bus round trip to each one's path. */
#define RK_LOOP_INPUT_BATCH 1u

/* Payload copies between generic pointers go in 16-byte words (rk_copy_in_words in
 * rk_ring_context.h): a slot is in host-mapped memory, where a byte loop makes one bus
 * access per byte. */
#define RK_COPY_IN_WORDS 1

#endif /* RINGKERNEL_RK_PRELUDE_HIP_H */
