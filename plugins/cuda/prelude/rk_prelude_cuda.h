/* ringkernel — the CUDA prelude: the portable dialect (docs/dialect.md) as CUDA C++.
 *
 * The plugin prepends this text to every RK_SOURCE_DIALECT source and compiles it with
 * NVRTC (-std=c++17 -default-device --gpu-architecture=sm_XY). NVRTC has no standard
 * headers, so the fixed-width integers are declared here. Atomics on host-shared words
 * (control blocks, queues in HOST_MAPPED memory) are inline PTX at **system** scope
 * (sm_70+), so the host's C++ atomics and the kernel's order against each other across
 * PCIe/NVLink; cuda::atomic_ref would need <cuda/atomic> and an include path. */
#ifndef RINGKERNEL_RK_PRELUDE_CUDA_H
#define RINGKERNEL_RK_PRELUDE_CUDA_H

#define RK_DEVICE_DIALECT 1
#define RK_DIALECT_CUDA 1

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
 * of them gets no "declared but never referenced" warnings for the rest. */
#define RK_CUDA_HELPER __device__ __forceinline__

/* d is 0, 1 or 2; a constant at every call site, so the selection folds away. */
#define RK_CUDA_COMPONENT(v, d) ((uint32_t)((d) == 0 ? (v).x : (d) == 1 ? (v).y : (v).z))
#define rk_thread_idx(d) RK_CUDA_COMPONENT(threadIdx, d)
#define rk_block_idx(d) RK_CUDA_COMPONENT(blockIdx, d)
#define rk_block_dim(d) RK_CUDA_COMPONENT(blockDim, d)
#define rk_grid_dim(d) RK_CUDA_COMPONENT(gridDim, d)
#define rk_sync_threads() __syncthreads()

/* ---- system-scope atomics (PTX ISA 6.0+, sm_70+). Generic addresses: a word may be in
 * device memory, host-mapped memory or managed memory. "memory" clobbers keep the compiler
 * from moving ordinary accesses across them. ------------------------------------------- */

RK_CUDA_HELPER uint32_t rk_cuda_ld_acquire_u32(const volatile void* p) {
  uint32_t v;
  asm volatile("ld.acquire.sys.u32 %0, [%1];" : "=r"(v) : "l"(p) : "memory");
  return v;
}
RK_CUDA_HELPER uint64_t rk_cuda_ld_acquire_u64(const volatile void* p) {
  uint64_t v;
  asm volatile("ld.acquire.sys.u64 %0, [%1];" : "=l"(v) : "l"(p) : "memory");
  return v;
}
RK_CUDA_HELPER uint32_t rk_cuda_ld_relaxed_u32(const volatile void* p) {
  uint32_t v;
  asm volatile("ld.relaxed.sys.u32 %0, [%1];" : "=r"(v) : "l"(p) : "memory");
  return v;
}
RK_CUDA_HELPER uint64_t rk_cuda_ld_relaxed_u64(const volatile void* p) {
  uint64_t v;
  asm volatile("ld.relaxed.sys.u64 %0, [%1];" : "=l"(v) : "l"(p) : "memory");
  return v;
}
RK_CUDA_HELPER void rk_cuda_st_release_u32(volatile void* p, uint32_t v) {
  asm volatile("st.release.sys.u32 [%0], %1;" : : "l"(p), "r"(v) : "memory");
}
RK_CUDA_HELPER void rk_cuda_st_release_u64(volatile void* p, uint64_t v) {
  asm volatile("st.release.sys.u64 [%0], %1;" : : "l"(p), "l"(v) : "memory");
}
RK_CUDA_HELPER void rk_cuda_st_relaxed_u32(volatile void* p, uint32_t v) {
  asm volatile("st.relaxed.sys.u32 [%0], %1;" : : "l"(p), "r"(v) : "memory");
}
RK_CUDA_HELPER void rk_cuda_st_relaxed_u64(volatile void* p, uint64_t v) {
  asm volatile("st.relaxed.sys.u64 [%0], %1;" : : "l"(p), "l"(v) : "memory");
}
RK_CUDA_HELPER uint32_t rk_cuda_fetch_add_u32(volatile void* p, uint32_t v) {
  uint32_t old;
  asm volatile("atom.acq_rel.sys.add.u32 %0, [%1], %2;" : "=r"(old) : "l"(p), "r"(v) : "memory");
  return old;
}
RK_CUDA_HELPER uint64_t rk_cuda_fetch_add_u64(volatile void* p, uint64_t v) {
  uint64_t old;
  asm volatile("atom.acq_rel.sys.add.u64 %0, [%1], %2;" : "=l"(old) : "l"(p), "l"(v) : "memory");
  return old;
}
RK_CUDA_HELPER uint64_t rk_cuda_fetch_max_u64(volatile void* p, uint64_t v) {
  uint64_t old;
  asm volatile("atom.relaxed.sys.max.u64 %0, [%1], %2;" : "=l"(old) : "l"(p), "l"(v) : "memory");
  return old;
}
RK_CUDA_HELPER uint64_t rk_cuda_fetch_min_u64(volatile void* p, uint64_t v) {
  uint64_t old;
  asm volatile("atom.relaxed.sys.min.u64 %0, [%1], %2;" : "=l"(old) : "l"(p), "l"(v) : "memory");
  return old;
}
RK_CUDA_HELPER int rk_cas_u64(volatile void* p, uint64_t expected, uint64_t desired) {
  uint64_t old;
  asm volatile("atom.acq_rel.sys.cas.b64 %0, [%1], %2, %3;"
               : "=l"(old)
               : "l"(p), "l"(expected), "l"(desired)
               : "memory");
  return old == expected ? 1 : 0;
}

/* The dialect passes typed pointers (uint32_t*, sometimes a cast int64_t field); the
 * helpers take the address only, and the value is converted as the table says. */
#define rk_load_acquire_u32(p) rk_cuda_ld_acquire_u32((p))
#define rk_load_acquire_u64(p) rk_cuda_ld_acquire_u64((p))
#define rk_load_relaxed_u32(p) rk_cuda_ld_relaxed_u32((p))
#define rk_load_relaxed_u64(p) rk_cuda_ld_relaxed_u64((p))
#define rk_store_release_u32(p, v) rk_cuda_st_release_u32((p), (uint32_t)(v))
#define rk_store_release_u64(p, v) rk_cuda_st_release_u64((p), (uint64_t)(v))
#define rk_store_relaxed_u32(p, v) rk_cuda_st_relaxed_u32((p), (uint32_t)(v))
#define rk_store_relaxed_u64(p, v) rk_cuda_st_relaxed_u64((p), (uint64_t)(v))
#define rk_fetch_add_u32(p, v) rk_cuda_fetch_add_u32((p), (uint32_t)(v))
#define rk_fetch_add_u64(p, v) rk_cuda_fetch_add_u64((p), (uint64_t)(v))
#define rk_fetch_max_u64(p, v) ((void)rk_cuda_fetch_max_u64((p), (uint64_t)(v)))
#define rk_fetch_min_u64(p, v) ((void)rk_cuda_fetch_min_u64((p), (uint64_t)(v)))
#define rk_fence_seq_cst() asm volatile("fence.sc.sys;" : : : "memory")
/* One fence for a group of stores (rk_release_group_begin): cheaper than a release store each. */
#define rk_fence_release() asm volatile("fence.acq_rel.sys;" : : : "memory")

/* ---- time and waiting -------------------------------------------------------------- */

/* The dialect's clock is CLOCK_REALTIME nanoseconds: HLC merges, latencies (host send to
 * device handling) and traces compare it with host timestamps. %globaltimer counts from
 * the Unix epoch on recent drivers, but only in step with the host's clock up to the
 * driver's resync: an H100 (driver 580) ran 0.7 ms behind, so every host-to-device latency
 * read as negative. The plugin therefore measures the offset after each dialect module
 * loads (rk_cuda_clock_probe below, plugins/cuda/cuda_clock.cpp) and writes it here before
 * any kernel of the module runs. Constant memory: the ring loop's system-scope fences do
 * not evict it, so a clock reading stays a register move and one cached load. */
__constant__ int64_t rk_cuda_clock_offset_ns = 0;

RK_CUDA_HELPER int64_t rk_cuda_timer_ns(void) {
  uint64_t t;
  asm volatile("mov.u64 %0, %%globaltimer;" : "=l"(t));
  return (int64_t)t;
}
RK_CUDA_HELPER int64_t rk_clock_ns(void) { return rk_cuda_timer_ns() + rk_cuda_clock_offset_ns; }

/* The calibration handshake, one thread. words[0] is the host's request number; for
 * request i (1..rounds) the probe answers with its timer in words[i], which the host
 * brackets with two readings of its clock. A host that stops asking for a second ends it. */
extern "C" __global__ void rk_cuda_clock_probe(volatile uint64_t* words, uint32_t rounds) {
  for (uint32_t i = 1u; i <= rounds; ++i) {
    int64_t give_up = rk_cuda_timer_ns() + 1000000000;
    while (rk_cuda_ld_acquire_u64(&words[0]) < i)
      if (rk_cuda_timer_ns() > give_up) return;
    words[i] = (uint64_t)rk_cuda_timer_ns();
    __threadfence_system();
  }
}

/* The ring loop takes input one message at a time: its slots are in host-mapped memory,
 * and peeking past the last message would add a bus round trip to each one's path. */
#define RK_LOOP_INPUT_BATCH 1u

/* Payload copies between generic pointers go in 16-byte words (rk_copy_in_words in
 * rk_ring_context.h): a slot is in host-mapped memory, where a byte loop makes one bus
 * access per byte. */
#define RK_COPY_IN_WORDS 1

#define rk_pause() __nanosleep(32u)
#define rk_yield() __nanosleep(1000u)

/* Device code cannot sleep on an address: poll with growing sleeps until *p changes or
 * the timeout passes (by %globaltimer). Nothing to wake, so rk_unpark_u32 does nothing. */
RK_CUDA_HELPER void rk_park_u32(const volatile void* p, uint32_t expected, int64_t timeout_ns) {
  int64_t deadline = rk_clock_ns() + (timeout_ns > 0 ? timeout_ns : 0);
  uint32_t sleep_ns = 64u;
  while (rk_cuda_ld_acquire_u32(p) == expected && rk_clock_ns() < deadline) {
    __nanosleep(sleep_ns);
    if (sleep_ns < 8192u) sleep_ns *= 2u;
  }
}
#define rk_unpark_u32(p) ((void)(p))

#endif /* RINGKERNEL_RK_PRELUDE_CUDA_H */
