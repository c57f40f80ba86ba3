/* A minimal C99 prelude (GCC atomics) used only to check that the dialect sources are
 * plain C: every name docs/dialect.md lists, nothing C++. */
#include <stdint.h>
#define RK_DEVICE_DIALECT 1
#define rk_global
#define RK_KERNEL
#define RK_INLINE static inline
#define RK_SHARED_ARRAY(type, name, count) static type name[count]
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
static inline int rk_cas_u64(uint64_t* p, uint64_t e, uint64_t d) {
  return __atomic_compare_exchange_n(p, &e, d, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
}
static inline void rk_fetch_max_u64(uint64_t* p, uint64_t v) { (void)p; (void)v; }
static inline void rk_fetch_min_u64(uint64_t* p, uint64_t v) { (void)p; (void)v; }
static inline int64_t rk_clock_ns(void) { return 0; }
static inline void rk_pause(void) {}
static inline void rk_yield(void) {}
static inline void rk_park_u32(uint32_t* p, uint32_t e, int64_t t) { (void)p; (void)e; (void)t; }
static inline void rk_unpark_u32(uint32_t* p) { (void)p; }
