/* ringkernel — the backend plugin ABI.
 *
 * A backend is a shared library that exports exactly one symbol, RK_PLUGIN_ENTRY_NAME,
 * of type rk_plugin_entry_fn. The core calls it once with its host services; the plugin
 * returns a pointer to a backend table that it owns and keeps alive until unloaded.
 *
 * Versioning (docs/abi.md):
 *  - abi_major must equal the core's RK_PLUGIN_ABI_MAJOR, or the plugin is rejected.
 *  - abi_minor is negotiated: tables only grow. The core reads an entry only when
 *    struct_size covers it (RK_TABLE_HAS), so an older, shorter table loads and its
 *    missing entries answer RK_ERROR_UNSUPPORTED; a newer, longer table loads and the
 *    core ignores what it does not know.
 *  - Optional capabilities are advertised in `caps`; a missing one never rejects a plugin.
 *
 * Ownership: no C++ object, exception or allocator crosses this boundary. Strings the
 * plugin returns stay valid until the plugin is unloaded (names) or until the next call
 * on the same thread (last_error). Every entry returns rk_result; details go to the
 * plugin's per-thread last_error().
 *
 * A plugin must load on a machine without its vendor driver: it dlopens the vendor
 * library inside probe(), and a failed probe is "0 devices" plus a reason, never abort.
 */
#ifndef RINGKERNEL_RK_PLUGIN_H
#define RINGKERNEL_RK_PLUGIN_H

#include <stddef.h>
#include <stdint.h>

#include "rk_result.h"

#ifdef __cplusplus
extern "C" {
#endif

#define RK_PLUGIN_ABI_MAJOR 1u
#define RK_PLUGIN_ABI_MINOR 2u
#define RK_PLUGIN_ENTRY_NAME "rk_plugin_entry"

#if defined(__GNUC__)
#define RK_PLUGIN_EXPORT __attribute__((visibility("default")))
#else
#define RK_PLUGIN_EXPORT
#endif

/* True when a table of struct_size bytes contains `member`. */
#define RK_TABLE_HAS(table, type, member) \
  ((table)->struct_size >= offsetof(type, member) + sizeof(((type*)0)->member))

/* ---------------------------------------------------------------------------------- */
/* Handles: opaque to the core, owned by the plugin.                                  */

typedef struct rk_backend_context_s* rk_backend_context;
typedef struct rk_backend_stream_s* rk_backend_stream;
typedef struct rk_backend_buffer_s* rk_backend_buffer;
typedef struct rk_backend_module_s* rk_backend_module;
typedef struct rk_backend_function_s* rk_backend_function;

/* ---------------------------------------------------------------------------------- */
/* Enums: 0 is always "undefined".                                                    */

typedef enum rk_log_level {
  RK_LOG_LEVEL_UNDEFINED = 0,
  RK_LOG_LEVEL_TRACE = 1,
  RK_LOG_LEVEL_DEBUG = 2,
  RK_LOG_LEVEL_INFO = 3,
  RK_LOG_LEVEL_WARN = 4,
  RK_LOG_LEVEL_ERROR = 5,
  RK_LOG_LEVEL_OFF = 6,
  RK_LOG_LEVEL_FORCE32 = 0x7FFFFFFF
} rk_log_level;

typedef enum rk_memory_kind {
  RK_MEMORY_UNDEFINED = 0,
  RK_MEMORY_DEVICE = 1,      /* device-local; host reaches it only by copies (or mapping, if supported) */
  RK_MEMORY_HOST_MAPPED = 2, /* pinned host memory the device reads and writes while running */
  RK_MEMORY_SHARED = 3,      /* SVM / USM shared / managed: one address on both sides */
  RK_MEMORY_FORCE32 = 0x7FFFFFFF
} rk_memory_kind;

/* Capability bits in rk_backend_table.caps and rk_device_info.caps. */
#define RK_CAP_PERSISTENT_KERNELS 0x1ull /* a launched kernel may run while the host reads/writes its memory */
#define RK_CAP_HOST_COHERENT 0x2ull      /* HOST_MAPPED/SHARED memory with system-scope atomics */
#define RK_CAP_K2K 0x4ull                /* kernels may write each other's memory directly */
#define RK_CAP_ASYNC_COPY 0x8ull
#define RK_CAP_COOPERATIVE_LAUNCH 0x10ull /* all blocks of a grid co-resident */
#define RK_CAP_DEVICE_MEMORY_MAP 0x20ull  /* DEVICE memory can be mapped into the host */
#define RK_CAP_HOST_WAKEUP 0x40ull        /* device rk_unpark_u32 wakes host threads parked on the address;
                                            kernels park too (prelude: RK_CAN_PARK 1) and hosts ring them */
#define RK_CAP_LOAD_WAITS_FOR_KERNELS 0x80ull /* loading a module waits until no kernel runs on the device
                                               (CUDA): the runtime parks its ring kernels around each load */

typedef enum rk_source_kind {
  RK_SOURCE_UNDEFINED = 0,
  RK_SOURCE_DIALECT = 1, /* portable dialect: the plugin prepends its prelude (docs/dialect.md) */
  RK_SOURCE_NATIVE = 2,  /* backend-native source, compiled as given */
  RK_SOURCE_BINARY = 3,  /* backend-native binary (PTX, SPIR-V, ...) */
  RK_SOURCE_FORCE32 = 0x7FFFFFFF
} rk_source_kind;

typedef enum rk_arg_kind {
  RK_ARG_UNDEFINED = 0,
  RK_ARG_VALUE = 1,  /* `value` points at `size` bytes passed by value */
  RK_ARG_BUFFER = 2, /* `buffer` is passed as a device pointer to its first byte */
  RK_ARG_DEVICE_ADDRESS = 3, /* `value` points at a uint64_t device address, passed as a pointer argument */
  RK_ARG_FORCE32 = 0x7FFFFFFF
} rk_arg_kind;

#define RK_LAUNCH_COOPERATIVE 0x1u /* every block must be resident at once (ring kernels) */

/* ---------------------------------------------------------------------------------- */
/* Structs that may grow start with struct_size.                                      */

/* RK_*_INIT: an initializer that sets struct_size and zeroes the rest (webgpu.h's habit),
 * for C99 (`rk_x v = RK_X_INIT;`) and C++ (where designated initializers that leave
 * fields out draw -Wmissing-field-initializers, so a lambda builds the value). */
#ifdef __cplusplus
#define RK_STRUCT_INIT(type) ([] { type init_value_{}; init_value_.struct_size = sizeof(type); return init_value_; }())
#else
#define RK_STRUCT_INIT(type) { .struct_size = sizeof(type) }
#endif

typedef struct rk_host_services {
  uint32_t struct_size;
  uint32_t core_abi_major;
  uint32_t core_abi_minor;
  uint32_t reserved0;
  void* user;
  /* message need not be NUL-terminated */
  void (*log)(void* user, rk_log_level level, const char* message, size_t length);
  int64_t (*clock_ns)(void* user); /* CLOCK_REALTIME nanoseconds */
  /* Since plugin ABI 1.1. For backends whose device threads are host threads (cpu_sim): an
   * idle or waiting ring-kernel thread may call it instead of yielding. The core then runs
   * one pass of its forwarding work (K2K between runtimes and processes) when there is any
   * and no other thread is at it; nonzero when it ran one (the pass stands in for the
   * caller's yield). Cheap when there is none. Never blocks. */
  int (*idle_assist)(void* user);
  /* Since plugin ABI 1.2. The same offer from the thread of one ring kernel, named by the
   * control block it was launched with: the core may deliver that kernel's own output to
   * its async consumers (the message bridge's work, docs/bridge.md), running their
   * callbacks on this thread, so a reply needs no third thread woken. Nonzero when it
   * delivered something. Never blocks. */
  int (*kernel_idle_assist)(void* user, const void* control_block);
} rk_host_services;

typedef struct rk_device_info {
  uint32_t struct_size;
  uint32_t index;
  char name[256];
  char vendor[64];
  char driver_version[64];
  uint64_t global_memory_bytes;
  uint64_t caps;                /* RK_CAP_* this device supports */
  uint32_t compute_units;
  uint32_t max_block_size;
  uint32_t max_shared_memory_bytes;
  uint32_t reserved0;
} rk_device_info;
#define RK_DEVICE_INFO_INIT RK_STRUCT_INIT(rk_device_info)

typedef struct rk_compile_request {
  uint32_t struct_size;
  rk_source_kind kind;
  const char* source; /* need not be NUL-terminated */
  size_t source_size;
  const char* options; /* backend compiler flags, NUL-terminated or NULL */
  const char* name;    /* for logs and cache file names; may be NULL */
} rk_compile_request;

/* Text the plugin hands back into a caller's buffer (build logs, init failures). */
typedef struct rk_text_out {
  char* data;      /* caller's buffer, may be NULL */
  size_t capacity; /* bytes available in data */
  size_t size;     /* out: full text length (may exceed capacity; data is truncated and NUL-terminated) */
} rk_text_out;

typedef struct rk_launch_config {
  uint32_t struct_size;
  uint32_t grid[3];
  uint32_t block[3];
  uint32_t shared_memory_bytes; /* dynamic block-shared memory */
  uint32_t flags;               /* RK_LAUNCH_* */
} rk_launch_config;
/* One block of one thread. */
#ifdef __cplusplus
#define RK_LAUNCH_CONFIG_INIT                                                           \
  ([] {                                                                                \
    rk_launch_config init_value_{};                                                    \
    init_value_.struct_size = sizeof(rk_launch_config);                                \
    for (int axis_ = 0; axis_ < 3; ++axis_) init_value_.grid[axis_] = init_value_.block[axis_] = 1u; \
    return init_value_;                                                                \
  }())
#else
#define RK_LAUNCH_CONFIG_INIT \
  { .struct_size = sizeof(rk_launch_config), .grid = {1u, 1u, 1u}, .block = {1u, 1u, 1u}, .shared_memory_bytes = 0u, .flags = 0u }
#endif

typedef struct rk_kernel_arg {
  rk_arg_kind kind;
  uint32_t size;
  const void* value;
  rk_backend_buffer buffer;
} rk_kernel_arg;

/* ---------------------------------------------------------------------------------- */
/* The backend table. ABI 1.0. Append only.                                           */

typedef struct rk_backend_table {
  uint32_t struct_size;
  uint32_t abi_major;
  uint32_t abi_minor;
  uint32_t reserved0;
  const char* name; /* "cpu_sim", "opencl", ... : lowercase, [a-z0-9_] */
  uint64_t caps;    /* RK_CAP_* the backend can offer at all */

  /* Discovery. probe() loads vendor libraries; it returns RK_SUCCESS with 0 devices
   * (and a reason in last_error) when there is no driver or device. */
  rk_result (*probe)(uint32_t* device_count);
  rk_result (*get_device_info)(uint32_t device, rk_device_info* info);
  const char* (*last_error)(void); /* per-thread detail of this thread's last failure */

  rk_result (*context_create)(uint32_t device, rk_backend_context* context);
  rk_result (*context_destroy)(rk_backend_context context);
  rk_result (*stream_create)(rk_backend_context context, rk_backend_stream* stream);
  rk_result (*stream_destroy)(rk_backend_stream stream);
  rk_result (*stream_synchronize)(rk_backend_stream stream);
  /* RK_SUCCESS when all work on the stream finished, RK_ERROR_NOT_READY otherwise. */
  rk_result (*stream_query)(rk_backend_stream stream);

  rk_result (*buffer_alloc)(rk_backend_context context, size_t bytes, rk_memory_kind kind,
                            rk_backend_buffer* buffer);
  rk_result (*buffer_free)(rk_backend_buffer buffer);
  /* Host pointer to the buffer, valid while it lives; RK_ERROR_UNSUPPORTED for memory the
   * host cannot address. */
  rk_result (*buffer_map)(rk_backend_buffer buffer, void** host_pointer);
  /* The address device code sees for the buffer's first byte. */
  rk_result (*buffer_device_address)(rk_backend_buffer buffer, uint64_t* address);
  /* stream NULL: synchronous. Otherwise ordered on the stream; source/destination must
   * stay valid until the stream is synchronized. */
  rk_result (*copy_to_device)(rk_backend_stream stream, rk_backend_buffer dst, size_t offset,
                              const void* src, size_t bytes);
  rk_result (*copy_to_host)(rk_backend_stream stream, void* dst, rk_backend_buffer src,
                            size_t offset, size_t bytes);

  rk_result (*module_compile)(rk_backend_context context, const rk_compile_request* request,
                              rk_backend_module* module, rk_text_out* log);
  rk_result (*module_destroy)(rk_backend_module module);
  rk_result (*function_get)(rk_backend_module module, const char* name,
                            rk_backend_function* function);
  /* Asynchronous: returns once the launch is queued on the stream. */
  rk_result (*launch)(rk_backend_stream stream, rk_backend_function function,
                      const rk_launch_config* config, const rk_kernel_arg* args, uint32_t arg_count);
} rk_backend_table;

/* The one exported symbol. Returns RK_SUCCESS and *table; or an error (init failed) with
 * the reason written to `error`. The plugin checks host->core_abi_major itself too and may
 * refuse with RK_ERROR_ABI_MISMATCH. */
typedef rk_result (*rk_plugin_entry_fn)(const rk_host_services* host, const rk_backend_table** table,
                                        rk_text_out* error);

#ifdef __cplusplus
}
#endif

#endif /* RINGKERNEL_RK_PLUGIN_H */
