/* ringkernel — the public C API of libringcore.
 *
 * Conventions: prefix rk_; opaque handles; every call returns rk_result (0 = success) and
 * leaves a human-readable detail for this thread in rk_last_error(). Structs that may
 * grow start with struct_size: initialize them with their RK_*_INIT macro, which sets it.
 * Fields are only ever appended; a newer library reads an older, shorter struct (missing
 * fields take their defaults) and fills an output struct only up to its struct_size.
 * Enums keep 0 as "undefined".
 * Strings returned by the library stay valid as long as the handle they came from.
 * Thread safety: registries and runtimes may be used from any thread; a kernel's send
 * side and receive side may each be used from any thread (calls on one side are
 * serialized inside the core). */
#ifndef RINGKERNEL_RINGKERNEL_H
#define RINGKERNEL_RINGKERNEL_H

#include <stddef.h>
#include <stdint.h>

#include "rk_plugin.h"
#include "rk_ring_layout.h"
#include "rk_result.h"

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define RK_API __attribute__((visibility("default")))
#else
#define RK_API
#endif

#define RK_WAIT_FOREVER UINT64_MAX

/* The public API's own version, apart from the plugin ABI (docs/abi.md says when each part
 * moves). 1.0 is the API of libringcore 0.1.0; each minor adds entry points or appends
 * struct fields, and never changes what a program built against an older minor sees. */
#define RK_API_VERSION_MAJOR 1
#define RK_API_VERSION_MINOR 7
#define RK_MAKE_API_VERSION(major, minor) ((((uint32_t)(major)) << 16) | ((uint32_t)(minor)))
#define RK_API_VERSION RK_MAKE_API_VERSION(RK_API_VERSION_MAJOR, RK_API_VERSION_MINOR)
#define RK_API_VERSION_MAJOR_OF(version) ((uint32_t)(version) >> 16)
#define RK_API_VERSION_MINOR_OF(version) ((uint32_t)(version) & 0xFFFFu)

/* ---------------------------------------------------------------------------------- */
/* Versions, errors, logging                                                           */

RK_API uint32_t rk_abi_major(void);      /* RK_PLUGIN_ABI_MAJOR the core was built with */
RK_API uint32_t rk_abi_minor(void);
RK_API const char* rk_version_string(void); /* library version, e.g. "0.1.0" */
/* RK_API_VERSION of the library loaded at run time (a program compiled against headers of
 * API m.n works with any library of major m and minor >= n). Since API 1.1. */
RK_API uint32_t rk_api_version(void);
RK_API const char* rk_result_name(rk_result result); /* "RK_ERROR_QUEUE_FULL" */
RK_API const char* rk_last_error(void);  /* this thread's last failure detail, "" if none */
RK_API void rk_set_log_level(rk_log_level level); /* default from RINGKERNEL_LOG_LEVEL, else warn */

/* ---------------------------------------------------------------------------------- */
/* Discovery: a registry scans plugin folders and keeps the usable plugins loaded.    */

typedef struct rk_registry_s* rk_registry;

typedef enum rk_plugin_outcome {
  RK_PLUGIN_OUTCOME_UNDEFINED = 0,
  RK_PLUGIN_LOADED = 1,   /* usable (it may still have 0 devices: see reason) */
  RK_PLUGIN_REJECTED = 2, /* not usable: see reason and detail */
  RK_PLUGIN_OUTCOME_FORCE32 = 0x7FFFFFFF
} rk_plugin_outcome;

typedef enum rk_plugin_reason {
  RK_PLUGIN_REASON_UNDEFINED = 0,
  RK_PLUGIN_REASON_OK = 1,                 /* loaded with >= 1 device */
  RK_PLUGIN_REASON_NO_DEVICES = 2,         /* loaded; probe found no driver or device (detail says which) */
  RK_PLUGIN_REASON_NOT_INSTALLED = 3,      /* no file for a requested backend */
  RK_PLUGIN_REASON_MISSING_DEPENDENCY = 4, /* the loader could not resolve a library it needs */
  RK_PLUGIN_REASON_MISSING_SYMBOL = 5,     /* no rk_plugin_entry */
  RK_PLUGIN_REASON_ABI_MISMATCH = 6,       /* different abi_major, or a malformed table */
  RK_PLUGIN_REASON_INIT_FAILED = 7,        /* entry or probe returned an error */
  RK_PLUGIN_REASON_NOT_A_PLUGIN = 8,       /* not a loadable shared object */
  RK_PLUGIN_REASON_DUPLICATE = 9,          /* same backend name already loaded from an earlier folder */
  RK_PLUGIN_REASON_FORCE32 = 0x7FFFFFFF
} rk_plugin_reason;

typedef struct rk_plugin_status {
  uint32_t struct_size;
  rk_plugin_outcome outcome;
  rk_plugin_reason reason;
  uint32_t abi_major; /* as the plugin declared it, 0 if unknown */
  uint32_t abi_minor;
  uint32_t device_count;
  uint64_t caps;
  const char* path;   /* file tried */
  const char* name;   /* backend name, or the file's stem when it never said */
  const char* detail; /* the loader's or plugin's own words; "" when OK */
} rk_plugin_status;
#define RK_PLUGIN_STATUS_INIT RK_STRUCT_INIT(rk_plugin_status)

/* Stable lowercase names, the ones rk-info prints and scripts match on: "ok",
 * "no_devices", "not_installed", "abi_mismatch", ...; "loaded", "rejected". The
 * UNDEFINED values give "undefined", anything outside the enum "unknown". Static strings.
 * Since API 1.1. */
RK_API const char* rk_plugin_reason_name(rk_plugin_reason reason);
RK_API const char* rk_plugin_outcome_name(rk_plugin_outcome outcome);

#define RK_REGISTRY_NO_ENV_PATH 0x1u     /* ignore RINGKERNEL_PLUGIN_PATH */
#define RK_REGISTRY_NO_DEFAULT_DIRS 0x2u /* skip plugins/ beside libringcore and the install dir */

typedef struct rk_registry_options {
  uint32_t struct_size;
  uint32_t flags;          /* RK_REGISTRY_* */
  const char* search_path; /* ':'-separated folders searched before everything else; may be NULL */
} rk_registry_options;
#define RK_REGISTRY_OPTIONS_INIT RK_STRUCT_INIT(rk_registry_options)

/* Search order: options->search_path, RINGKERNEL_PLUGIN_PATH, plugins/ beside
 * libringcore, the install plugin folder. Files named librk_backend_*.so are candidates.
 * Zero usable plugins is a valid registry. */
RK_API rk_result rk_registry_create(const rk_registry_options* options, rk_registry* registry);
RK_API rk_result rk_registry_destroy(rk_registry registry);
/* The process-wide registry with default options, created on first use. */
RK_API rk_result rk_registry_default(rk_registry* registry);
RK_API uint32_t rk_registry_plugin_count(rk_registry registry);
RK_API rk_result rk_registry_plugin_status(rk_registry registry, uint32_t index, rk_plugin_status* status);
/* Since API 1.5: transport plugins (librk_transport_*.so in the same folders; docs/transports.md),
 * in search order. The status is a plugin's: LOADED/OK when the transport can run here, with
 * `detail` saying on what ("UCX 1.13.1, active messages"); REJECTED with the reason otherwise
 * (a library it needs is missing, another ABI, probe's words). device_count and caps are 0. */
RK_API uint32_t rk_registry_transport_count(rk_registry registry);
RK_API rk_result rk_registry_transport_status(rk_registry registry, uint32_t index, rk_plugin_status* status);
/* The folders searched, in order, ':'-joined. */
RK_API const char* rk_registry_search_path(rk_registry registry);

typedef struct rk_device_entry {
  uint32_t struct_size;
  uint32_t backend_device_index; /* N in [backend:N] */
  const char* backend;
  rk_device_info info;
} rk_device_entry;
#ifdef __cplusplus
#define RK_DEVICE_ENTRY_INIT                                           \
  ([] {                                                               \
    rk_device_entry init_value_{};                                    \
    init_value_.struct_size = sizeof(rk_device_entry);                \
    init_value_.info.struct_size = sizeof(rk_device_info);            \
    return init_value_;                                               \
  }())
#else
#define RK_DEVICE_ENTRY_INIT { .struct_size = sizeof(rk_device_entry), .info = RK_DEVICE_INFO_INIT }
#endif

RK_API uint32_t rk_registry_device_count(rk_registry registry); /* over every loaded backend */
RK_API rk_result rk_registry_device(rk_registry registry, uint32_t index, rk_device_entry* entry);

/* Resolves the backend to use: `name`, else RINGKERNEL_BACKEND, else "cpu_sim".
 * Fails with the reason (not installed, rejected because..., no devices) - never falls
 * back to another backend. *chosen points into the registry. */
RK_API rk_result rk_registry_select(rk_registry registry, const char* name, const char** chosen);

/* ---------------------------------------------------------------------------------- */
/* Runtime: one backend device, its context and stream, and the ring kernels on it.   */

typedef struct rk_runtime_s* rk_runtime;

typedef enum rk_bridge_mode {
  RK_BRIDGE_UNDEFINED = 0,
  RK_BRIDGE_PERSISTENT = 1, /* ring kernels run for their whole life; host talks through shared memory */
  RK_BRIDGE_RELAUNCH = 2,   /* no persistent kernels on the device (or RINGKERNEL_BRIDGE_MODE=relaunch): each
                               launch drains what is queued and leaves; the runtime launches it again when
                               work comes (docs/runtime.md). Ring kernels still need host-coherent memory. */
  RK_BRIDGE_RELAUNCH_COPY = 3, /* relaunch mode on a device without host-coherent memory (or
                                  RINGKERNEL_BRIDGE_MODE=relaunch-copy): ring blocks live in device memory, the
                                  host works on a mirror copied in before each launch and out after, and the
                                  launches of one runtime run one at a time (docs/runtime.md). */
  RK_BRIDGE_FORCE32 = 0x7FFFFFFF
} rk_bridge_mode;

typedef struct rk_runtime_options {
  uint32_t struct_size;
  uint32_t device_index;
  const char* backend;       /* NULL: RINGKERNEL_BACKEND, else "cpu_sim" */
  rk_registry registry;      /* NULL: rk_registry_default() */
  uint32_t max_kernels;      /* K2K routing table size; 0 = 256 */
  uint32_t reserved0;
  int64_t max_clock_skew_ns; /* 0 = 10 s */
  /* API 1.4 (appended): RK_BRIDGE_UNDEFINED (0) = RINGKERNEL_BRIDGE_MODE if set, else what the
   * device allows; RK_BRIDGE_RELAUNCH or RK_BRIDGE_RELAUNCH_COPY force that mode on any device
   * that can run ring kernels; RK_BRIDGE_PERSISTENT only where the device can. */
  uint32_t bridge_mode;      /* an rk_bridge_mode */
  uint32_t reserved1;
} rk_runtime_options;
#define RK_RUNTIME_OPTIONS_INIT RK_STRUCT_INIT(rk_runtime_options)

RK_API rk_result rk_runtime_create(const rk_runtime_options* options, rk_runtime* runtime);
/* Terminates every kernel still running (with a bounded wait), then frees everything.
 * RK_SUCCESS: the handle is gone. Should a kernel not stop (a hung handler), it is leaked
 * with its device resources, logged, and rk_last_error() names it (empty otherwise). An
 * error (a call from a callback that cannot wait) leaves the runtime as it was. */
RK_API rk_result rk_runtime_destroy(rk_runtime runtime);
RK_API const char* rk_runtime_backend_name(rk_runtime runtime);
RK_API rk_result rk_runtime_device_info(rk_runtime runtime, rk_device_info* info);
RK_API rk_bridge_mode rk_runtime_bridge_mode(rk_runtime runtime);
RK_API rk_result rk_runtime_synchronize(rk_runtime runtime); /* waits for rk_launch work */

/* ---------------------------------------------------------------------------------- */
/* Device level: buffers, modules, launches (what the conformance suite drives).      */

typedef struct rk_buffer_s* rk_buffer;
typedef struct rk_module_s* rk_module;
typedef struct rk_function_s* rk_function;

RK_API rk_result rk_buffer_create(rk_runtime runtime, size_t bytes, rk_memory_kind kind, rk_buffer* buffer);
RK_API rk_result rk_buffer_destroy(rk_buffer buffer);
RK_API size_t rk_buffer_size(rk_buffer buffer);
RK_API rk_result rk_buffer_map(rk_buffer buffer, void** host_pointer); /* UNSUPPORTED for device-only memory */
RK_API rk_result rk_buffer_write(rk_buffer buffer, size_t offset, const void* src, size_t bytes);
RK_API rk_result rk_buffer_read(rk_buffer buffer, size_t offset, void* dst, size_t bytes);

typedef struct rk_module_options {
  uint32_t struct_size;
  rk_source_kind kind;     /* 0 means RK_SOURCE_DIALECT */
  const char* source;
  size_t source_size;      /* 0: strlen(source) */
  const char* compile_flags;
  const char* name;
} rk_module_options;
#define RK_MODULE_OPTIONS_INIT RK_STRUCT_INIT(rk_module_options)

/* On RK_ERROR_COMPILE_FAILED, rk_last_error() holds the compiler's log. */
RK_API rk_result rk_module_compile(rk_runtime runtime, const rk_module_options* options, rk_module* module);
RK_API rk_result rk_module_destroy(rk_module module);
RK_API const char* rk_module_build_log(rk_module module); /* warnings of a successful build, "" if none */
/* The function handle belongs to the module and is freed with it. */
RK_API rk_result rk_module_function(rk_module module, const char* name, rk_function* function);

typedef struct rk_arg {
  rk_arg_kind kind;
  uint32_t size;      /* RK_ARG_VALUE */
  const void* value;  /* RK_ARG_VALUE */
  rk_buffer buffer;   /* RK_ARG_BUFFER */
} rk_arg;

/* Queued on the runtime's stream; rk_runtime_synchronize waits for it. */
RK_API rk_result rk_launch(rk_runtime runtime, rk_function function, const rk_launch_config* config,
                           const rk_arg* args, uint32_t arg_count);

/* ---------------------------------------------------------------------------------- */
/* Ring kernels.                                                                        */

typedef struct rk_kernel_s* rk_kernel;

typedef enum rk_kernel_state {
  RK_KERNEL_STATE_UNDEFINED = 0,
  RK_KERNEL_CREATED = 1,
  RK_KERNEL_LAUNCHED = 2,    /* running, inactive: accepts messages, does not process them */
  RK_KERNEL_ACTIVE = 3,
  RK_KERNEL_DEACTIVATED = 4, /* paused: keeps its state and its queued messages */
  RK_KERNEL_TERMINATING = 5, /* draining; stays here if the device does not stop in time */
  RK_KERNEL_TERMINATED = 6,  /* device resources freed; undelivered output still receivable */
  /* API 1.3: the supervisor gave up on it (rk_kernel_supervise): a restart failed, the
   * circuit breaker opened, or the device reported a fault. Queued messages are kept and
   * output stays receivable; sends are refused (RK_ERROR_KERNEL_FAULTED). The way out is
   * rk_kernel_restart or rk_kernel_terminate; rk_kernel_fault_reason says why. */
  RK_KERNEL_FAULTED = 7,
  RK_KERNEL_STATE_FORCE32 = 0x7FFFFFFF
} rk_kernel_state;

RK_API const char* rk_kernel_state_name(rk_kernel_state state); /* "Active" */

#define RK_KERNEL_AUTO_ACTIVATE 0x1u
/* Since API 1.2: build the kernel with message tracing (docs/observability.md): it records
 * each handler run, send and pull in a trace ring of trace_capacity records that the host
 * collects; rk_runtime_write_trace writes them out. Without it nothing is compiled in. */
#define RK_KERNEL_TRACE 0x2u

typedef struct rk_kernel_options {
  uint32_t struct_size;
  uint32_t flags;               /* RK_KERNEL_* */
  const char* name;             /* unique within the runtime; the K2K address */
  const char* source;           /* dialect source: message types + rk_handler (docs/dialect.md) */
  size_t source_size;           /* 0: strlen(source) */
  const char* compile_flags;
  uint32_t grid_size;           /* 0 = 1. Ring kernels run one block in ABI 1 */
  uint32_t block_size;          /* 0 = 1 */
  uint32_t input_capacity;      /* power of two; 0 = 1024 */
  uint32_t output_capacity;     /* 0 = 1024 */
  uint32_t inbox_capacity;      /* K2K inbox; 0 = 1024 */
  uint32_t max_payload_size;    /* 0 = 64; slots are 64-byte header + this, rounded to 64 */
  uint32_t state_bytes;         /* device-resident user state, zeroed at launch */
  uint32_t accepted_type_count; /* 0 = every type id except 0 */
  const uint32_t* accepted_types;
  uint32_t peer_count;          /* <= RK_MAX_PEERS */
  uint32_t reserved0;
  const char* const* peers;     /* kernel names this one sends to; rk_peer(ctx, i) on device */
  /* API 1.1 */
  uint32_t outbox_capacity;     /* K2K sends waiting for a full inbox (docs/runtime.md); power of two, 0 = 64 */
  uint32_t reserved1;
  uint64_t k2k_send_timeout_ns; /* how long rk_send_to_kernel_wait waits for outbox room; 0 = 10 s */
  /* API 1.2 */
  uint32_t trace_capacity;      /* RK_KERNEL_TRACE: records the kernel's trace ring holds; power of two,
                                   0 = RINGKERNEL_TRACE_CAPACITY, else 8192 (64 bytes each) */
  uint32_t reserved2;
  /* Elastic kernels (docs/runtime.md, "Idle exit and time slices"): the loop leaves the
   * device on its own, every queue and the state kept, and is launched again when work
   * comes; the kernel stays Active to the user. 0 = never. */
  uint64_t idle_exit_ns;        /* leave after this long without a message; the next send (or K2K message) relaunches */
  uint64_t max_run_ns;          /* leave after running this long, at a message boundary; relaunched when work waits */
  /* API 1.3: launch from a snapshot (rk_kernel_snapshot): its user state, clock and every
   * message it held are put back before the loop starts. Checked at create (format,
   * checksum, and that it fits these options: state_bytes equal, payloads and counts within
   * the capacities); copied, so the image may be freed after create. NULL = none. */
  const void* snapshot;
  uint64_t snapshot_size;
} rk_kernel_options;
#define RK_KERNEL_OPTIONS_INIT RK_STRUCT_INIT(rk_kernel_options)

/* Validates options and compiles the kernel (state Created). */
RK_API rk_result rk_kernel_create(rk_runtime runtime, const rk_kernel_options* options, rk_kernel* kernel);
RK_API rk_result rk_kernel_launch(rk_kernel kernel);     /* Created -> Launched (or Active) */
RK_API rk_result rk_kernel_activate(rk_kernel kernel);   /* Launched -> Active */
RK_API rk_result rk_kernel_deactivate(rk_kernel kernel); /* Active -> Deactivated */
RK_API rk_result rk_kernel_reactivate(rk_kernel kernel); /* Deactivated -> Active */
/* Launched/Active/Deactivated -> Terminating -> Terminated. The kernel first processes
 * every message already accepted (input and K2K inbox), then stops; outputs it leaves are
 * kept and stay receivable. RK_ERROR_TIMEOUT leaves the kernel Terminating (a hung
 * handler); calling terminate again keeps waiting. */
RK_API rk_result rk_kernel_terminate(rk_kernel kernel, uint64_t timeout_ns);
/* Terminates if needed (bounded), then frees the handle. */
RK_API rk_result rk_kernel_destroy(rk_kernel kernel);
RK_API rk_kernel_state rk_kernel_get_state(rk_kernel kernel);
RK_API uint32_t rk_kernel_id(rk_kernel kernel);
RK_API const char* rk_kernel_name(rk_kernel kernel);
/* The largest payload the kernel's queues hold (its max_payload_size). Since API 1.1. */
RK_API uint32_t rk_kernel_max_payload_size(rk_kernel kernel);
/* The runtime's kernel `name` (the handle it was created as), or RK_ERROR_UNKNOWN_KERNEL.
 * In a process group (API 1.6), "R/name" names kernel `name` of rank R: a handle for send
 * and request only, kept by this runtime (docs/distributed.md, "From the host"). */
RK_API rk_result rk_runtime_find_kernel(rk_runtime runtime, const char* name, rk_kernel* kernel);

/* Sending. timeout_ns: 0 = reject at once with RK_ERROR_QUEUE_FULL when full;
 * RK_WAIT_FOREVER = block; otherwise block up to that long, then RK_ERROR_TIMEOUT. */
typedef struct rk_send_options {
  uint32_t struct_size;
  uint32_t flags;          /* RK_MSG_FLAG_* to set */
  uint64_t correlation_id; /* 0 = none */
  uint64_t timeout_ns;
} rk_send_options;
#define RK_SEND_OPTIONS_INIT RK_STRUCT_INIT(rk_send_options) /* timeout 0: reject at once when full */

RK_API rk_result rk_kernel_send(rk_kernel kernel, uint32_t type_id, const void* payload, uint32_t size,
                                const rk_send_options* options, uint64_t* message_id);

/* In place: reserve a slot, fill header fields and payload, commit. Exactly one reservation
 * may be open per kernel at a time (others wait in reserve). */
typedef struct rk_slot {
  rk_msg_header* header; /* type_id and payload_size filled in by reserve */
  void* payload;
  uint32_t capacity;     /* payload bytes available */
  uint32_t reserved0;
  uint64_t token;        /* internal */
} rk_slot;
RK_API rk_result rk_kernel_reserve(rk_kernel kernel, uint32_t type_id, uint32_t size, uint64_t timeout_ns,
                                   rk_slot* slot);
RK_API rk_result rk_kernel_commit(rk_kernel kernel, rk_slot* slot, uint64_t* message_id);

/* Receiving from the kernel's output queue. timeout_ns as for send (0 = try).
 * header may be NULL; *size gets the payload size; payloads larger than capacity fail with
 * RK_ERROR_MESSAGE_TOO_LARGE and stay queued. */
RK_API rk_result rk_kernel_receive(rk_kernel kernel, rk_msg_header* header, void* payload, uint32_t capacity,
                                   uint32_t* size, uint64_t timeout_ns);
/* Sends with a fresh correlation id and waits for the reply carrying it. Other output that
 * arrives meanwhile stays receivable, in order. Its two timeouts differ: the input queue
 * stayed full (never sent) is RK_ERROR_QUEUE_FULL; sent but no reply in time is
 * RK_ERROR_TIMEOUT, and a reply that comes later is counted in late_replies and dropped. */
RK_API rk_result rk_kernel_request(rk_kernel kernel, uint32_t type_id, const void* payload, uint32_t size,
                                   rk_msg_header* reply_header, void* reply, uint32_t reply_capacity,
                                   uint32_t* reply_size, uint64_t timeout_ns);

typedef struct rk_kernel_status {
  uint32_t struct_size;
  rk_kernel_state state;
  int32_t has_terminated;
  int32_t errors_encountered;
  int64_t messages_processed;
  int64_t last_activity_ns;
  uint32_t input_depth;
  uint32_t output_depth;
  uint32_t inbox_depth;
  uint32_t reserved0;
  /* API 1.1: K2K backpressure (docs/runtime.md, "K2K sends never deadlock the loop") */
  uint32_t outbox_depth;  /* this kernel's sends waiting for a full inbox */
  uint32_t reserved1;
  uint64_t k2k_deferred;  /* sends that found the target's inbox full and waited in the outbox */
  uint64_t k2k_refused;   /* sends this kernel gave up on (outbox full until the timeout); also in messages_dropped */
  uint64_t inbox_refused; /* sends to this kernel that others gave up on because its inbox stayed full */
  /* API 1.1: replies that arrived after their request (blocking or async) had timed out;
   * each was dropped, never handed to rk_kernel_receive (docs/bridge.md) */
  uint64_t late_replies;
  /* API 1.1: times the runtime parked the loop (RK_STOP_PARK) and launched it again, state
   * and queues kept: around module loads on backends with RK_CAP_LOAD_WAITS_FOR_KERNELS */
  uint64_t relaunches;
  /* API 1.2: message tracing (RK_KERNEL_TRACE); 0 for a kernel built without it */
  uint64_t trace_records; /* records of this kernel the runtime has collected so far */
  uint64_t trace_dropped; /* records lost: its trace ring was full, or the runtime's limit was reached */
  /* API 1.2: 1 while the loop runs on the device, 0 while it is off it (idle exit, time
   * slice, parking) or never launched; relaunches counts its returns */
  uint32_t resident;
  /* API 1.3: supervision (rk_kernel_supervise); all 0 for a kernel never supervised */
  uint32_t stalled;       /* 1 while the supervisor sees it stalled (reported, not yet moving again) */
  uint64_t stalls;        /* stalls detected */
  uint64_t error_bursts;  /* times its errors passed the supervisor's bound */
  uint64_t restarts;      /* restarts done (by the supervisor or rk_kernel_restart) */
  uint64_t restart_failures; /* restarts given up on: the loop did not stop in time */
} rk_kernel_status;
#define RK_KERNEL_STATUS_INIT RK_STRUCT_INIT(rk_kernel_status)
RK_API rk_result rk_kernel_get_status(rk_kernel kernel, rk_kernel_status* status);
/* A field-by-field snapshot of the live telemetry block. */
RK_API rk_result rk_kernel_get_telemetry(rk_kernel kernel, rk_telemetry* telemetry);

/* Since API 1.1. The device's own latency histograms (ring layout 6, docs/observability.md):
 * log2 buckets of nanoseconds, bucket 0 holding [0, 2), bucket i [2^i, 2^(i+1)), the last
 * everything above. `queueing`: from a message's sent_ns to the start of its handler (or its
 * pull inside another handler); `handler`: how long each handler run took. Read bucket by
 * bucket while the kernel runs, after messages_processed: every message counted there is in
 * the histograms. rk_latency_quantile_ns gives p50/p99 from a bucket array. */
typedef struct rk_kernel_latency {
  uint32_t struct_size;
  uint32_t bucket_count; /* RK_LATENCY_BUCKETS */
  uint64_t messages_processed;
  uint64_t queueing_sum_ns;
  uint64_t handler_sum_ns;
  uint64_t queueing[RK_LATENCY_BUCKETS];
  uint64_t handler[RK_LATENCY_BUCKETS];
} rk_kernel_latency;
#define RK_KERNEL_LATENCY_INIT RK_STRUCT_INIT(rk_kernel_latency)
RK_API rk_result rk_kernel_get_latency(rk_kernel kernel, rk_kernel_latency* latency);

/* Since API 1.1. The upper bound (ns) of the bucket that holds quantile q (0..1) of a
 * histogram of `count` log2 buckets: an upper estimate within a factor of 2. 0 when empty. */
RK_API uint64_t rk_latency_quantile_ns(const uint64_t* buckets, uint32_t count, double q);

/* The host's HLC (node 0): stamps every message the host sends, merges every reply. */
RK_API rk_result rk_runtime_hlc_now(rk_runtime runtime, rk_hlc* now);

/* Since API 1.1. The runtime's metrics in the Prometheus text exposition format 0.0.4
 * (docs/observability.md): per kernel, labelled kernel="name" and backend: state, processed,
 * dropped and error counters, queue depths, K2K counters, relaunches, latency sum/count/max.
 * Writes at most `capacity` bytes, NUL included; *size gets the full length without the NUL,
 * so a *size >= capacity asks for a larger buffer (RK_SUCCESS either way; buffer may be
 * NULL with capacity 0 to ask for the size). */
RK_API rk_result rk_runtime_metrics_text(rk_runtime runtime, char* buffer, size_t capacity, size_t* size);

/* Since API 1.1. A hang dump (docs/observability.md): for every kernel, its lifecycle state,
 * whether its loop runs or is parked, the control flags, messages processed and how long ago
 * the last one finished, the message its handler is running on and for how long, and head,
 * tail and depth of each queue. Text for a person; same buffer protocol as
 * rk_runtime_metrics_text. RINGKERNEL_DUMP_SIGNAL=USR1 (USR2, QUIT, HUP, or a number) makes
 * that signal write every runtime's dump to stderr. */
RK_API rk_result rk_runtime_dump(rk_runtime runtime, char* buffer, size_t capacity, size_t* size);

/* Since API 1.2. Writes the message trace collected so far (kernels built with
 * RK_KERNEL_TRACE, and the host's sends to and receives from them) to `path` as Chrome
 * trace event JSON, which Perfetto (ui.perfetto.dev) and chrome://tracing open: a track per
 * kernel and one for the host, a slice per handler run, and a flow arrow per message from
 * its send to where it was handled or received (docs/observability.md). Collects what the
 * kernels have recorded first; what was written stays collected, so a later call writes it
 * again with whatever came since. The runtime keeps at most RINGKERNEL_TRACE_MAX_RECORDS
 * records (default 262144); later ones are counted as dropped. RINGKERNEL_TRACE=FILE
 * traces every kernel of every runtime and writes FILE when the runtime is destroyed.
 * RK_ERROR_INVALID_ARGUMENT when the file cannot be written. */
RK_API rk_result rk_runtime_write_trace(rk_runtime runtime, const char* path);

/* ---------------------------------------------------------------------------------- */
/* The message bridge: async requests and output handlers (docs/bridge.md). Since API 1.1.
 *
 * Each runtime starts one host thread, the bridge, on first need (the first async request
 * or output handler) and stops it in rk_runtime_destroy. It moves the output of kernels
 * with async consumers off the device and runs the callbacks below, on itself.
 * A callback may send (rk_kernel_send, rk_kernel_request_async, rk_kernel_set_output_handler)
 * and read status. It must not block on a kernel the bridge serves: rk_kernel_request or
 * a waiting rk_kernel_receive there returns RK_ERROR_INVALID_STATE instead of
 * deadlocking; rk_kernel_destroy of such a kernel and rk_runtime_destroy are refused the
 * same way. Sends from a callback never wait for queue room (a full queue is
 * RK_ERROR_QUEUE_FULL at once): the bridge may be the one that would drain it. Callbacks
 * must return promptly: they delay every other completion of the runtime. */

/* Runs exactly once per accepted async request. result is RK_SUCCESS with the reply,
 * RK_ERROR_TIMEOUT, RK_ERROR_TERMINATED (kernel terminated or destroyed, or runtime
 * destroyed, with the request pending) or RK_ERROR_DEVICE_FAULT; header and payload are
 * NULL unless RK_SUCCESS and valid only during the call. rk_last_error() describes a
 * failure during the call. */
typedef void (*rk_completion_fn)(void* user_data, rk_result result, const rk_msg_header* reply_header,
                                 const void* reply_payload, uint32_t reply_size);

typedef struct rk_request_options {
  uint32_t struct_size;
  uint32_t flags;      /* none yet: 0 */
  uint64_t timeout_ns; /* for room in the input queue, then for the reply; 0 = 10 s */
} rk_request_options;
#define RK_REQUEST_OPTIONS_INIT RK_STRUCT_INIT(rk_request_options)

/* Sends with a fresh correlation id and returns at once; the reply goes to completion on
 * the bridge thread. options may be NULL. On any result but RK_SUCCESS the message was not
 * sent and completion never runs: RK_ERROR_QUEUE_FULL when the input queue stayed full
 * until the timeout. A reply that arrives after its request timed out is counted in
 * rk_kernel_status.late_replies and dropped. */
RK_API rk_result rk_kernel_request_async(rk_kernel kernel, uint32_t type_id, const void* payload, uint32_t size,
                                         const rk_request_options* options, rk_completion_fn completion,
                                         void* user_data);

/* header and payload are valid only during the call. */
typedef void (*rk_output_fn)(void* user_data, const rk_msg_header* header, const void* payload, uint32_t size);

/* Every output message not claimed by a pending request (async or blocking) goes to fn on
 * the bridge thread, in the order the kernel wrote it. A kernel has either a handler or
 * rk_kernel_receive readers: receiving from a kernel with a handler, or setting one while
 * a receive waits, is RK_ERROR_INVALID_STATE. fn NULL removes the handler; once this
 * returns the old handler is no longer running (unless called from that handler). */
RK_API rk_result rk_kernel_set_output_handler(rk_kernel kernel, rk_output_fn fn, void* user_data);

/* Since API 1.7. Runs one bridge pass on the calling thread: takes the output of this
 * runtime's kernels that have async consumers and runs their completions and output
 * handlers here, in the order each kernel wrote them, under the same rules as on the bridge
 * thread (callbacks still run one at a time per runtime). A thread that waits for
 * completions anyway (a submit loop, an event loop) saves each reply the hand-over to
 * another thread; while it keeps delivering, cpu_sim kernel threads leave delivery to it
 * (docs/bridge.md, "Driving the bridge from your thread"). Never blocks: a kernel whose
 * output another thread is passing over is skipped. *delivered (may be NULL) gets the
 * number of callbacks that ran in this call, 0 when there was nothing. Request timeouts,
 * K2K between runtimes and trace collection stay with the bridge thread, which keeps
 * running. RK_ERROR_INVALID_STATE from inside a callback of any runtime (a pass is already
 * running on this thread). */
RK_API rk_result rk_runtime_progress(rk_runtime runtime, uint32_t* delivered);

/* ---------------------------------------------------------------------------------- */
/* Watchdog and supervision (docs/runtime.md, "Watchdog and supervision"). Since API 1.3.
 *
 * The runtime's bridge thread watches supervised kernels:
 *  - stalled: the kernel is Active and its handler has run on one message for stall_ns, or
 *    work waits for it (input, K2K inbox, outbox) and it has processed nothing for stall_ns;
 *  - errors: errors_encountered (handler errors, rejected messages) grew by error_limit or
 *    more within one error_window_ns;
 *  - device fault: the backend reports the kernel's launch failed, or the launch ended
 *    without the loop saying it left. The kernel becomes Faulted whatever the policy: no
 *    loop runs it any more.
 * What it does then is the policy's. A restart stops the loop at a message boundary
 * (waiting up to restart_timeout_ns), optionally zeroes the user state, and launches it
 * again; every queued message is kept and handled after it. A restart that times out (a
 * handler that never returns) leaves the kernel Faulted: a device thread stuck in user
 * code cannot be taken back (docs/runtime.md says what can be reclaimed). More than
 * max_restarts restarts within restart_window_ns open the circuit breaker: Faulted. */

typedef enum rk_supervision_policy {
  RK_SUPERVISE_OFF = 0,     /* not watched */
  RK_SUPERVISE_REPORT = 1,  /* count, log and call on_event; the kernel runs on */
  RK_SUPERVISE_RESTART = 2, /* report, then restart it (circuit breaker) */
  RK_SUPERVISE_FORCE32 = 0x7FFFFFFF
} rk_supervision_policy;

#define RK_RESTART_RESET_STATE 0x1u /* a restart zeroes the kernel's user state (else it is kept) */

typedef enum rk_supervision_event_kind {
  RK_SUPERVISION_STALLED = 1,         /* stalled_ns, message_id (the message the handler is on, 0 if none) */
  RK_SUPERVISION_PROGRESSING = 2,     /* a stalled kernel moved again (report policy) */
  RK_SUPERVISION_ERRORS = 3,          /* errors: how many within the window */
  RK_SUPERVISION_RESTARTED = 4,       /* restarts: restarts within the breaker's window */
  RK_SUPERVISION_RESTART_FAILED = 5,  /* the loop did not stop within restart_timeout_ns */
  RK_SUPERVISION_FAULTED = 6,         /* the kernel is now Faulted; reason says why */
  RK_SUPERVISION_EVENT_FORCE32 = 0x7FFFFFFF
} rk_supervision_event_kind;

typedef struct rk_supervision_event {
  uint32_t struct_size;
  rk_supervision_event_kind kind;
  rk_kernel kernel;
  const char* reason;   /* one line for logs; valid during the call */
  int64_t stalled_ns;   /* STALLED: how long it has made no progress */
  uint64_t message_id;  /* STALLED: the message its handler runs on; 0 when none */
  uint64_t errors;      /* ERRORS: errors counted within the window */
  uint32_t restarts;    /* RESTARTED, FAULTED: restarts within the breaker's window */
  uint32_t reserved0;
} rk_supervision_event;

/* On the runtime's bridge thread (the rules of the bridge's callbacks apply, see below);
 * event is valid during the call. It may read status and send; it must not destroy
 * kernels or the runtime (refused with RK_ERROR_INVALID_STATE). */
typedef void (*rk_supervision_fn)(void* user_data, const rk_supervision_event* event);

typedef struct rk_supervision_options {
  uint32_t struct_size;
  rk_supervision_policy policy;
  uint64_t stall_ns;            /* 0: no stall watch */
  uint64_t error_window_ns;     /* 0 = 1 s */
  uint32_t error_limit;         /* 0: no error watch */
  uint32_t restart_flags;       /* RK_RESTART_RESET_STATE */
  uint64_t restart_timeout_ns;  /* how long a restart waits for a message boundary; 0 = 1 s */
  uint32_t max_restarts;        /* circuit breaker: 0 = 3 */
  uint32_t reserved0;
  uint64_t restart_window_ns;   /* 0 = 60 s */
  rk_supervision_fn on_event;   /* may be NULL */
  void* user_data;
} rk_supervision_options;
#define RK_SUPERVISION_OPTIONS_INIT RK_STRUCT_INIT(rk_supervision_options)

/* Starts (or changes, or with RK_SUPERVISE_OFF ends) the watch of a kernel, in any state
 * before Terminating; the new options apply from the bridge's next round. Once it returns,
 * the old on_event is no longer running and is never called again (unless this is called
 * from that callback). */
RK_API rk_result rk_kernel_supervise(rk_kernel kernel, const rk_supervision_options* options);

/* Active, Deactivated or Faulted -> Active (Deactivated stays Deactivated): stops the loop
 * at a message boundary, waiting up to timeout_ns (RK_ERROR_TIMEOUT: a hung handler; the
 * kernel is left as it was), zeroes the user state with RK_RESTART_RESET_STATE, and
 * launches it again; queued messages are kept. Clears a fault and closes the circuit
 * breaker. RK_ERROR_DEVICE_FAULT when the device faulted under the kernel: terminate it. */
RK_API rk_result rk_kernel_restart(rk_kernel kernel, uint32_t flags, uint64_t timeout_ns);

/* Why the kernel is Faulted ("" when it is not), as snprintf does: writes up to capacity
 * bytes, NUL-terminated, and returns the full length. */
RK_API size_t rk_kernel_fault_reason(rk_kernel kernel, char* buffer, size_t capacity);

/* ---------------------------------------------------------------------------------- */
/* Snapshots and migration (docs/runtime.md, "Snapshots and migration"). Since API 1.3.
 *
 * A snapshot is a Launched or Deactivated kernel's user state, HLC and every message it
 * has not finished with (input, K2K inbox, its own K2K sends waiting in its outbox, output
 * not yet received), as a versioned, checksummed image: write it to a file, launch it again
 * later or elsewhere with rk_kernel_options.snapshot. Kernels named by its K2K messages are
 * carried by name and found again by name where it is launched.
 *
 * rk_kernel_snapshot copies: the kernel keeps everything. buffer NULL: *size gets the bytes
 * needed, RK_SUCCESS. A buffer too small: RK_ERROR_INVALID_ARGUMENT with *size the bytes
 * needed (messages may arrive meanwhile; ask again). An Active kernel is refused
 * (deactivate it first: its state would change under the copy). */
RK_API rk_result rk_kernel_snapshot(rk_kernel kernel, void* buffer, size_t capacity, size_t* size);

/* Moves a Launched, Active or Deactivated kernel to another runtime (another device or
 * backend) while its peers keep sending to it by name: a kernel of the same options is
 * compiled and launched there; then every kernel of the source runtime stops at a message
 * boundary for a moment (never refusing a send), the state and every message move over,
 * and the old kernel's K2K address (and other runtimes' routes to it) lead to the new one.
 * *moved is the new kernel, in the old one's state; the old handle is Terminated (destroy
 * it) and refuses sends, saying where the kernel went. Output not yet received moves with
 * it. Do it with no request in flight: a reply moves along, but its request stays with the
 * old handle. RK_ERROR_TIMEOUT when a kernel of the source runtime does not reach a message
 * boundary within timeout_ns; nothing moved then. RK_ERROR_QUEUE_FULL, nothing moved, when
 * the K2K messages it sent and that still wait to be handed on do not fit where the move
 * must put them (the target runtime's egress queue; its own outbox there, ahead of its
 * own waiting sends, for those to kernels of the target runtime, so that nothing it sends
 * next overtakes them): try again once they are delivered. The target must not have a
 * kernel of that name. */
RK_API rk_result rk_kernel_migrate(rk_kernel kernel, rk_runtime target, uint64_t timeout_ns, rk_kernel* moved);

/* ---------------------------------------------------------------------------------- */
/* Process groups: K2K between processes (docs/distributed.md). Since API 1.6.
 *
 * A process joins one group at a time, through a transport plugin (librk_transport_*.so,
 * rk_registry_transport_status lists them). Once joined, a kernel's peer "R/name" is the
 * kernel `name` of rank R (kernel names therefore never contain '/'); the handler sends to
 * it as to any peer. A launch that names such a peer asks rank R for it and waits (up to
 * 10 s) until R has a kernel of that name. Messages keep their order per sender; a full
 * remote inbox holds the sender back (credits), nothing is dropped for lack of room. A peer
 * process that is gone makes sends to its kernels fail; messages in flight to it are counted
 * in messages_lost. */

typedef struct rk_group_options {
  uint32_t struct_size;
  uint32_t rank;                 /* this process (with addresses) */
  uint32_t size;                 /* ranks in the group: entries in addresses */
  uint32_t job_key_size;         /* 16 .. 64 bytes */
  const char* const* addresses;  /* "host:port" each rank listens on; NULL: rank, size and
                                    addresses from the environment (RINGKERNEL_RANK or the
                                    launcher's, RINGKERNEL_PEERS) */
  const uint8_t* job_key;        /* NULL: RINGKERNEL_JOB_KEY, else the launcher's per-job key */
  const char* transport;         /* NULL: RINGKERNEL_TRANSPORT, else "ucx" */
  const char* address_file;      /* NULL: RINGKERNEL_GROUP_ADDRESS_FILE; when set, the address this
                                    rank listens on is written there before it connects */
  uint64_t connect_timeout_ns;   /* for every rank to be there; 0: 30 s */
} rk_group_options;
#define RK_GROUP_OPTIONS_INIT RK_STRUCT_INIT(rk_group_options)

/* Opens the transport, listens, and connects to every other rank (authenticated by the job
 * key). RK_ERROR_INVALID_STATE when already joined; RK_ERROR_NOT_FOUND without a usable
 * transport (the reason says which and why); RK_ERROR_TIMEOUT naming the ranks missing.
 * options may be NULL (everything from the environment). */
RK_API rk_result rk_group_join(rk_registry registry, const rk_group_options* options);

/* Leaves the group: routes to other ranks close (sends to them fail in the handler),
 * messages still waiting for them are dropped and counted. Before it closes the transport
 * it tells every connected rank and waits for each one's answer, so what it acknowledged
 * arrives: up to 1 s to tell them and 5 s for the answers where a rank is alive but silent
 * (a rank whose connection drops is not waited for). RK_ERROR_INVALID_STATE when not
 * joined. */
RK_API rk_result rk_group_leave(void);

typedef struct rk_group_status {
  uint32_t struct_size;
  uint32_t joined;             /* 1 while joined */
  uint32_t rank, size;
  uint32_t peers_lost;
  uint32_t reserved0;
  uint64_t messages_sent;      /* K2K messages handed to the transport */
  uint64_t messages_received;  /* K2K messages that arrived (well framed; see messages_dropped) */
  uint64_t messages_acknowledged;  /* of those sent, the ones the receiver took */
  uint64_t messages_lost;      /* sent to a peer that went before it took them, or waiting for it */
  uint64_t messages_dropped;   /* arrived and dropped: target unknown or gone, malformed, too large */
  uint64_t messages_held;      /* arrived, waiting on the host for room in a full inbox (now) */
  uint64_t held_max;           /* the most ever held at once (bounded by credits) */
  char transport[32];
} rk_group_status;
#define RK_GROUP_STATUS_INIT RK_STRUCT_INIT(rk_group_status)

/* Fills status (joined 0 when not joined). */
RK_API rk_result rk_group_status_get(rk_group_status* status);

typedef enum rk_group_peer_state {
  RK_GROUP_PEER_SELF = 1,
  RK_GROUP_PEER_CONNECTED = 3,
  RK_GROUP_PEER_LOST = 4,
  RK_GROUP_PEER_STATE_FORCE32 = 0x7FFFFFFF
} rk_group_peer_state;

/* One rank, as this process sees it. RK_ERROR_NOT_FOUND for a rank outside the group. */
RK_API rk_result rk_group_peer_state_get(uint32_t rank, rk_group_peer_state* state, char* why, size_t capacity);

/* Waits until every message this process has sent to other ranks was taken by its receiver
 * (or counted lost), the host's rk_group_send messages still queued at the call included.
 * RK_ERROR_TIMEOUT at the deadline. rk_group_leave hands queued host messages on too (within
 * its bound; what gets no credit in time is dropped and counted). */
RK_API rk_result rk_group_flush(uint64_t timeout_ns);

/* The host's own messages to a kernel of another rank, peer "R/name" (its first use asks
 * rank R for it: R waits up to the timeout for the kernel to be created, and its answer is
 * waited for up to 5 s longer). They keep their order with everything else this
 * process sends to R, within the same credits. RK_ERROR_QUEUE_FULL when they could not be
 * queued in time (R takes nothing); RK_ERROR_PEER_LOST, RK_ERROR_NOT_FOUND,
 * RK_ERROR_MESSAGE_TOO_LARGE as for kernels. */
RK_API rk_result rk_group_send(const char* peer, uint32_t type_id, const void* payload, uint32_t size,
                               uint64_t timeout_ns);

/* Sends with a fresh correlation id and waits for the kernel's answer to its reply address:
 * rk_reply_later(ctx, rk_reply_address(ctx), ...) in the handler (a plain rk_reply answers
 * its own process's host). RK_ERROR_TIMEOUT when no reply came in time (a later one is
 * counted in messages_dropped); RK_ERROR_MESSAGE_TOO_LARGE when the reply does not fit
 * capacity (*reply_size says how much it had). */
RK_API rk_result rk_group_request(const char* peer, uint32_t type_id, const void* payload, uint32_t size,
                                  uint64_t timeout_ns, rk_msg_header* reply_header, void* reply_payload,
                                  uint32_t capacity, uint32_t* reply_size);

#ifdef __cplusplus
}
#endif

#endif /* RINGKERNEL_RINGKERNEL_H */
