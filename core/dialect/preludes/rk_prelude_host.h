/* ringkernel — the host prelude (RK_DIALECT_HOST): compiles the dialect's queue and HLC
 * operations natively into libringcore, the tests and rk-bench, so host and device run
 * one implementation. C++ only. Atomics are GCC/Clang __atomic builtins, which
 * ThreadSanitizer models; on x86-64 acquire/release cost plain loads and stores. */
#ifndef RINGKERNEL_RK_PRELUDE_HOST_H
#define RINGKERNEL_RK_PRELUDE_HOST_H

#include <cstddef>
#include <cstdint>

#include "rk_host_primitives.h"

#define RK_DEVICE_DIALECT 1
#define RK_DIALECT_HOST 1

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

#endif /* RINGKERNEL_RK_PRELUDE_HOST_H */
