/* ringkernel — the memory that host and device both read while a ring kernel runs.
 *
 * This header is the single source of truth for the ring layout. It is written in the
 * C subset that compiles as C99, C++, OpenCL C, CUDA C++ and HIP C++. Device code gets
 * its integer typedefs (int32_t, uint64_t, ...) and the RK_DEVICE_DIALECT macro from its
 * backend's prelude; host code gets them from <stdint.h>.
 *
 * Rules:
 *  - Fields that both sides change are plain integers; host code touches them through
 *    std::atomic_ref, device code through the dialect's rk_* atomics. Each field is read
 *    or written on its own: never copy a whole block back over fields the other side owns.
 *  - Pointers are device addresses stored as uint64_t.
 *  - Offsets are fixed. The host-side static asserts at the end check every one of them;
 *    changing one is an ABI major bump (see docs/abi.md).
 */
#ifndef RINGKERNEL_RK_RING_LAYOUT_H
#define RINGKERNEL_RK_RING_LAYOUT_H

#ifndef RK_DEVICE_DIALECT
#include <stddef.h>
#include <stdint.h>
#endif

#include "rk_result.h"

/* 2: rk_msg_header.publish_seq (was reserved0) publishes a message in an SPSC ring queue.
 * 3: rk_ring_env gains the K2K outbox and its counters (in what was padding).
 * 4: should_terminate gains RK_STOP_PARK, and the loop exits RK_TERMINATED_RELAUNCHABLE.
 * 5: rk_ring_env says which message the handler is running on, since when (hang dumps).
 * 6: rk_ring_env points at the kernel's latency histograms.
 * 7: rk_ring_env points at the kernel's trace ring (0 when the kernel is not traced). */
#define RK_RING_LAYOUT_VERSION 7
#define RK_ALIGNED(n) __attribute__((aligned(n)))

/* --------------------------------------------------------------------------------- */
/* Control block: 128 bytes, every offset fixed (docs/abi.md, "Ring layout rules").   */

/* has_terminated values */
#define RK_TERMINATED_RUNNING 0
#define RK_TERMINATED_DONE 1
#define RK_TERMINATED_RELAUNCHABLE 2 /* parked: queues, outbox and state kept; launch it again to resume */

/* should_terminate values (the host writes them) */
#define RK_STOP_NONE 0
#define RK_STOP_DRAIN 1 /* drain input, inbox and outbox, then exit RK_TERMINATED_DONE */
#define RK_STOP_PARK 2  /* exit at the next message boundary, RK_TERMINATED_RELAUNCHABLE */

typedef struct RK_ALIGNED(128) rk_control_block {
  int32_t is_active;          /* 0   host writes: 0 paused, 1 processing */
  int32_t should_terminate;   /* 4   host writes RK_STOP_DRAIN (drain and exit) or RK_STOP_PARK */
  int32_t has_terminated;     /* 8   device writes RK_TERMINATED_* */
  int32_t errors_encountered; /* 12  device adds: handler errors, rejected messages */
  int64_t messages_processed; /* 16  device adds */
  int64_t last_activity_ticks;/* 24  device writes rk_clock_ns() of its last message */
  uint64_t input_queue_head_ptr;    /* 32 device address of the input queue's head index */
  uint64_t input_queue_tail_ptr;    /* 40 */
  uint64_t input_queue_buffer_ptr;  /* 48 slot 0 */
  int32_t input_queue_capacity;     /* 56 */
  int32_t input_queue_message_size; /* 60 slot size in bytes */
  uint64_t output_queue_head_ptr;   /* 64 */
  uint64_t output_queue_tail_ptr;   /* 72 */
  uint64_t output_queue_buffer_ptr; /* 80 */
  int32_t output_queue_capacity;    /* 88 */
  int32_t output_queue_message_size;/* 92 */
  /* 96..127: reserved until ring layout 1 gave them to the doorbells and ring_env_ptr. */
  uint32_t kernel_doorbell; /* 96  host increments after publishing input or a control change */
  uint32_t kernel_parked;   /* 100 kernel sets 1 before it parks on kernel_doorbell */
  uint32_t host_doorbell;   /* 104 kernel increments after publishing output */
  uint32_t host_parked;     /* 108 host sets 1 before it parks on host_doorbell */
  uint64_t ring_env_ptr;    /* 112 device address of this kernel's rk_ring_env */
  uint64_t reserved0;       /* 120 */
} rk_control_block;

/* --------------------------------------------------------------------------------- */
/* Telemetry: 64 bytes, readable while the kernel runs.                              */

typedef struct RK_ALIGNED(64) rk_telemetry {
  uint64_t messages_processed;     /* 0 */
  uint64_t messages_dropped;       /* 8  rejected or undeliverable on the device side (rk_kernel_telemetry
                                          adds the host's own count: no host/device RMW on one word) */
  int64_t last_processed_timestamp;/* 16 rk_clock_ns() */
  int32_t queue_depth;             /* 24 input messages found ready at the last dequeue (<= batch) */
  uint32_t reserved0;              /* 28 */
  uint64_t total_latency_ns;       /* 32 sum of (handler done - message sent_ns) */
  uint64_t max_latency_ns;         /* 40 */
  uint64_t min_latency_ns;         /* 48 UINT64_MAX until the first message */
  int32_t error_code;              /* 56 last rk_result seen by the loop (0 = none) */
  uint32_t reserved1;              /* 60 */
} rk_telemetry;

/* --------------------------------------------------------------------------------- */
/* Latency histograms (layout 6): the device's own p50/p99, in a block of their own so */
/* the 64-byte telemetry stays as the specification has it. Log2 buckets of ns:        */
/* bucket 0 holds [0, 2), bucket i holds [2^i, 2^(i+1)), the last everything from      */
/* 2^(RK_LATENCY_BUCKETS-1) ns (~9 min) on. Written by the kernel's leader only.       */

#define RK_LATENCY_BUCKETS 40u

typedef struct RK_ALIGNED(64) rk_latency_histograms {
  uint64_t queueing_sum_ns;                 /* 0  sum of (handler start, or pull - sent_ns); 0 where the device clock is behind */
  uint64_t handler_sum_ns;                  /* 8  sum of (handler end - handler start) */
  uint64_t queueing[RK_LATENCY_BUCKETS];    /* 16 messages by queueing latency */
  uint64_t handler[RK_LATENCY_BUCKETS];     /* 336 handler runs by duration (pulled messages have none) */
  uint8_t pad0[48];                         /* 656 .. 704 */
} rk_latency_histograms;

/* --------------------------------------------------------------------------------- */
/* Hybrid logical clock timestamp (16 bytes).                                         */

typedef struct rk_hlc {
  int64_t physical_ns; /* 0 wall-clock nanoseconds */
  uint32_t logical;    /* 8 */
  uint32_t node_id;    /* 12 host = 0, kernel = its dense id */
} rk_hlc;

/* --------------------------------------------------------------------------------- */
/* Message header: 64 bytes at the start of every queue slot; the payload follows.   */

#define RK_KERNEL_ID_HOST 0u
#define RK_MSG_TYPE_INVALID 0u
#define RK_MSG_HEADER_SIZE 64u

/* flags */
#define RK_MSG_FLAG_REPLY 0x1u   /* correlation_id names the request this answers */
#define RK_MSG_FLAG_K2K 0x2u     /* sent by another kernel */

typedef struct rk_msg_header {
  uint32_t type_id;        /* 0  user type id, never 0 */
  uint32_t payload_size;   /* 4  bytes that follow the header */
  uint64_t message_id;     /* 8  unique per sender */
  uint64_t correlation_id; /* 16 request/reply pairing; 0 = none */
  uint32_t source_kernel;  /* 24 dense kernel id, RK_KERNEL_ID_HOST for the host */
  uint32_t dest_kernel;    /* 28 */
  rk_hlc timestamp;        /* 32 sender's HLC at send */
  uint32_t flags;          /* 48 RK_MSG_FLAG_* */
  uint32_t publish_seq;    /* 52 SPSC ring queues: low 32 bits of (slot index + 1), stored last
                                 with release, so the consumer finds the message ready on the
                                 line it reads anyway (rk_spsc_publish_msg); 0 elsewhere */
  int64_t sent_ns;         /* 56 rk_clock_ns() at send, for latency telemetry */
} rk_msg_header;

/* --------------------------------------------------------------------------------- */
/* Queue header: producer and consumer indices on their own 128-byte lines.           */
/* Slot i lives at slots_ptr + (i & mask) * slot_size. Indices only grow (64-bit).    */

#define RK_QUEUE_SPSC 1u /* one producer, one consumer: host <-> kernel */
#define RK_QUEUE_MPSC 2u /* many producers (kernels, host), one consumer: K2K inbox */

typedef struct RK_ALIGNED(128) rk_queue_header {
  /* line 0: the consumer's */
  uint64_t head;        /* 0   next index to consume; written by the consumer only */
  uint64_t cached_tail; /* 8   consumer's private copy of the last tail it saw */
  uint8_t pad0[112];
  /* line 1: the producer's */
  uint64_t tail;        /* 128 SPSC: next index to publish. MPSC: next index to claim (CAS) */
  uint64_t cached_head; /* 136 SPSC producer's private copy of the last head it saw */
  uint8_t pad1[112];
  /* line 2: set once at creation, then read-only; plus the drop counter */
  uint32_t capacity;      /* 256 power of two */
  uint32_t slot_size;     /* 260 bytes per slot, multiple of 8 */
  uint32_t mask;          /* 264 capacity - 1 */
  uint32_t kind;          /* 268 RK_QUEUE_SPSC or RK_QUEUE_MPSC */
  uint64_t slots_ptr;     /* 272 device address of slot 0 */
  uint64_t sequence_ptr;  /* 280 MPSC: device address of uint64_t[capacity], per-slot sequence numbers */
  uint64_t rejected_full; /* 288 reserve attempts refused because the queue was full */
  uint8_t pad2[88];
} rk_queue_header;

/* --------------------------------------------------------------------------------- */
/* Message traces (layout 7, docs/observability.md): a kernel built with tracing on    */
/* writes one record per handler run, per message it sends and per message it pulls   */
/* into a ring of its own. The leader is the only writer and never waits: when the     */
/* host has not read far enough, the record is counted in `dropped` and lost. The host */
/* reads [head, tail) and then moves head. The host's own send and receive events use */
/* the same record (kinds HOST_*) in the runtime's collection, never in a kernel ring. */

#define RK_TRACE_HANDLED 1u  /* a handler run on this kernel: [start_ns, end_ns], the message's ids */
#define RK_TRACE_SENT 2u     /* a message this kernel sent, K2K or to the host: its own new ids */
#define RK_TRACE_PULLED 3u   /* a K2K message the handler took with rk_try_receive_from_kernel */
#define RK_TRACE_HOST_SENT 4u      /* host: a message published to a kernel's input queue */
#define RK_TRACE_HOST_RECEIVED 5u  /* host: a message taken off a kernel's output queue */

typedef struct RK_ALIGNED(64) rk_trace_record {
  uint64_t message_id;     /* 0  as the message's sender numbered it */
  uint64_t correlation_id; /* 8 */
  uint32_t source_kernel;  /* 16 the message's sender (RK_KERNEL_ID_HOST = 0 for the host) */
  uint32_t dest_kernel;    /* 20 its destination */
  uint32_t type_id;        /* 24 */
  int32_t result;          /* 28 what the handler returned (HANDLED); RK_SUCCESS otherwise */
  int64_t hlc_physical_ns; /* 32 the recorder's HLC: after merging the message (HANDLED, PULLED, */
  uint32_t hlc_logical;    /* 40   HOST_RECEIVED) or the message's stamp (SENT, HOST_SENT) */
  uint32_t kind;           /* 44 RK_TRACE_* */
  int64_t start_ns;        /* 48 the recorder's clock: handler start, or when it sent or took the message */
  int64_t end_ns;          /* 56 handler end (HANDLED); start_ns otherwise */
} rk_trace_record;

typedef struct RK_ALIGNED(128) rk_trace_ring {
  /* line 0: the kernel's (its leader's) */
  uint64_t tail;        /* 0   records written */
  uint64_t dropped;     /* 8   records lost because the ring was full */
  uint32_t capacity;    /* 16  power of two; set by the host before launch */
  uint32_t mask;        /* 20  capacity - 1 */
  uint64_t records_ptr; /* 24  device address of rk_trace_record[capacity] */
  uint8_t pad0[96];
  /* line 1: the host's */
  uint64_t head;        /* 128 records the host has read */
  uint8_t pad1[120];
} rk_trace_ring;

/* --------------------------------------------------------------------------------- */
/* K2K routing table entry (32 bytes). The table is indexed by dense kernel id.      */

#define RK_ROUTE_EMPTY 0u
#define RK_ROUTE_LIVE 1u
#define RK_ROUTE_CLOSED 2u /* target terminated: sends fail with RK_ERROR_UNKNOWN_KERNEL */

typedef struct rk_k2k_route {
  uint64_t inbox_ptr;   /* 0  device address of the target's MPSC rk_queue_header */
  uint32_t kernel_id;   /* 8 */
  uint32_t state;       /* 12 RK_ROUTE_*; host publishes with release after inbox_ptr */
  uint32_t name_hash;   /* 16 FNV-1a 32 of the kernel name (diagnostics) */
  uint32_t max_payload; /* 20 largest payload the inbox slot holds */
  uint64_t control_ptr; /* 24 target's rk_control_block: senders ring its kernel_doorbell */
} rk_k2k_route;

/* --------------------------------------------------------------------------------- */
/* Per-kernel environment: everything the ring loop needs, written by the host before  */
/* launch. Afterwards only the kernel's leader writes, and only `hlc`,                 */
/* `next_message_id` and the K2K counters (which the host reads, relaxed).            */

#define RK_MAX_PEERS 16

typedef struct RK_ALIGNED(128) rk_ring_env {
  uint64_t control_ptr;        /* 0   rk_control_block */
  uint64_t telemetry_ptr;      /* 8   rk_telemetry */
  uint64_t input_ptr;          /* 16  rk_queue_header, SPSC host -> kernel */
  uint64_t output_ptr;         /* 24  rk_queue_header, SPSC kernel -> host */
  uint64_t inbox_ptr;          /* 32  rk_queue_header, MPSC K2K inbox; 0 = none */
  uint64_t routes_ptr;         /* 40  rk_k2k_route[route_count] */
  uint64_t state_ptr;          /* 48  user state, state_bytes, zeroed at launch */
  uint64_t accepted_types_ptr; /* 56  uint32_t[accepted_type_count]; count 0 = any type */
  uint32_t kernel_id;          /* 64 */
  uint32_t route_count;        /* 68 */
  uint32_t state_bytes;        /* 72 */
  uint32_t accepted_type_count;/* 76 */
  int64_t max_clock_skew_ns;   /* 80  HLC merge rejects remote time further ahead than this */
  uint32_t peer_count;         /* 88 */
  uint32_t reserved0;          /* 92 */
  uint32_t peer_ids[RK_MAX_PEERS]; /* 96 dense ids of the peers named at launch, in order */
  rk_hlc hlc;                  /* 160 the kernel's clock; kernel thread 0 only */
  uint64_t next_message_id;    /* 176 kernel thread 0 only */
  /* layout 3: the K2K outbox (docs/runtime.md, "K2K sends never deadlock the loop") */
  uint64_t outbox_ptr;         /* 184 rk_queue_header, SPSC, the leader on both ends: sends
                                      waiting for a full inbox, flushed between messages */
  int64_t k2k_send_timeout_ns; /* 192 how long rk_send_to_kernel_wait waits for outbox room */
  uint64_t k2k_deferred;       /* 200 sends that found the target inbox full and were queued */
  uint64_t k2k_refused;        /* 208 sends given up on (counted once, when the sender gives up) */
  uint32_t outbox_waiting;     /* 216 sends waiting in the outbox now */
  uint32_t outbox_full_since_ms; /* 220 relaunch-copy mode: when the outbox was found full (rk_clock_ns() in ms,
                                        low 32 bits, never 0); 0 while it has room (rk_ring_loop.h). Was reserved1 */
  /* layout 5: what the handler is doing (rk_runtime_dump, docs/observability.md) */
  uint64_t handling_message_id;/* 224 message_id of the message the handler runs on */
  int64_t handling_since_ns;   /* 232 rk_clock_ns() when it started; 0 between messages */
  /* layout 6: latency histograms (docs/observability.md) */
  uint64_t histograms_ptr;     /* 240 rk_latency_histograms */
  /* layout 7: message traces (docs/observability.md) */
  uint64_t trace_ptr;          /* 248 rk_trace_ring; 0 = the kernel is not traced */
} rk_ring_env;

/* --------------------------------------------------------------------------------- */
/* Host-side layout checks. C99 has no _Static_assert: a negative array size fails.   */
#ifndef RK_DEVICE_DIALECT
#define RK_LAYOUT_CHECK(name, cond) typedef char rk_layout_check_##name[(cond) ? 1 : -1]
RK_LAYOUT_CHECK(cb_size, sizeof(rk_control_block) == 128);
RK_LAYOUT_CHECK(cb_is_active, offsetof(rk_control_block, is_active) == 0);
RK_LAYOUT_CHECK(cb_should_terminate, offsetof(rk_control_block, should_terminate) == 4);
RK_LAYOUT_CHECK(cb_has_terminated, offsetof(rk_control_block, has_terminated) == 8);
RK_LAYOUT_CHECK(cb_errors, offsetof(rk_control_block, errors_encountered) == 12);
RK_LAYOUT_CHECK(cb_processed, offsetof(rk_control_block, messages_processed) == 16);
RK_LAYOUT_CHECK(cb_activity, offsetof(rk_control_block, last_activity_ticks) == 24);
RK_LAYOUT_CHECK(cb_in_head, offsetof(rk_control_block, input_queue_head_ptr) == 32);
RK_LAYOUT_CHECK(cb_in_tail, offsetof(rk_control_block, input_queue_tail_ptr) == 40);
RK_LAYOUT_CHECK(cb_in_buf, offsetof(rk_control_block, input_queue_buffer_ptr) == 48);
RK_LAYOUT_CHECK(cb_in_cap, offsetof(rk_control_block, input_queue_capacity) == 56);
RK_LAYOUT_CHECK(cb_in_size, offsetof(rk_control_block, input_queue_message_size) == 60);
RK_LAYOUT_CHECK(cb_out_head, offsetof(rk_control_block, output_queue_head_ptr) == 64);
RK_LAYOUT_CHECK(cb_out_tail, offsetof(rk_control_block, output_queue_tail_ptr) == 72);
RK_LAYOUT_CHECK(cb_out_buf, offsetof(rk_control_block, output_queue_buffer_ptr) == 80);
RK_LAYOUT_CHECK(cb_out_cap, offsetof(rk_control_block, output_queue_capacity) == 88);
RK_LAYOUT_CHECK(cb_out_size, offsetof(rk_control_block, output_queue_message_size) == 92);
RK_LAYOUT_CHECK(cb_doorbell, offsetof(rk_control_block, kernel_doorbell) == 96);
RK_LAYOUT_CHECK(cb_host_doorbell, offsetof(rk_control_block, host_doorbell) == 104);
RK_LAYOUT_CHECK(cb_env, offsetof(rk_control_block, ring_env_ptr) == 112);
RK_LAYOUT_CHECK(tm_size, sizeof(rk_telemetry) == 64);
RK_LAYOUT_CHECK(tm_dropped, offsetof(rk_telemetry, messages_dropped) == 8);
RK_LAYOUT_CHECK(tm_last, offsetof(rk_telemetry, last_processed_timestamp) == 16);
RK_LAYOUT_CHECK(tm_depth, offsetof(rk_telemetry, queue_depth) == 24);
RK_LAYOUT_CHECK(tm_total, offsetof(rk_telemetry, total_latency_ns) == 32);
RK_LAYOUT_CHECK(tm_max, offsetof(rk_telemetry, max_latency_ns) == 40);
RK_LAYOUT_CHECK(tm_min, offsetof(rk_telemetry, min_latency_ns) == 48);
RK_LAYOUT_CHECK(tm_error, offsetof(rk_telemetry, error_code) == 56);
RK_LAYOUT_CHECK(hlc_size, sizeof(rk_hlc) == 16);
RK_LAYOUT_CHECK(msg_size, sizeof(rk_msg_header) == RK_MSG_HEADER_SIZE);
RK_LAYOUT_CHECK(msg_corr, offsetof(rk_msg_header, correlation_id) == 16);
RK_LAYOUT_CHECK(msg_src, offsetof(rk_msg_header, source_kernel) == 24);
RK_LAYOUT_CHECK(msg_hlc, offsetof(rk_msg_header, timestamp) == 32);
RK_LAYOUT_CHECK(msg_flags, offsetof(rk_msg_header, flags) == 48);
RK_LAYOUT_CHECK(msg_sent, offsetof(rk_msg_header, sent_ns) == 56);
RK_LAYOUT_CHECK(q_size, sizeof(rk_queue_header) == 384);
RK_LAYOUT_CHECK(q_tail, offsetof(rk_queue_header, tail) == 128);
RK_LAYOUT_CHECK(q_capacity, offsetof(rk_queue_header, capacity) == 256);
RK_LAYOUT_CHECK(q_slots, offsetof(rk_queue_header, slots_ptr) == 272);
RK_LAYOUT_CHECK(q_rejected, offsetof(rk_queue_header, rejected_full) == 288);
RK_LAYOUT_CHECK(route_size, sizeof(rk_k2k_route) == 32);
RK_LAYOUT_CHECK(env_size, sizeof(rk_ring_env) == 256);
RK_LAYOUT_CHECK(env_kernel_id, offsetof(rk_ring_env, kernel_id) == 64);
RK_LAYOUT_CHECK(env_skew, offsetof(rk_ring_env, max_clock_skew_ns) == 80);
RK_LAYOUT_CHECK(env_peers, offsetof(rk_ring_env, peer_ids) == 96);
RK_LAYOUT_CHECK(env_hlc, offsetof(rk_ring_env, hlc) == 160);
RK_LAYOUT_CHECK(env_next_id, offsetof(rk_ring_env, next_message_id) == 176);
RK_LAYOUT_CHECK(env_outbox, offsetof(rk_ring_env, outbox_ptr) == 184);
RK_LAYOUT_CHECK(env_send_timeout, offsetof(rk_ring_env, k2k_send_timeout_ns) == 192);
RK_LAYOUT_CHECK(env_deferred, offsetof(rk_ring_env, k2k_deferred) == 200);
RK_LAYOUT_CHECK(env_refused, offsetof(rk_ring_env, k2k_refused) == 208);
RK_LAYOUT_CHECK(env_outbox_waiting, offsetof(rk_ring_env, outbox_waiting) == 216);
RK_LAYOUT_CHECK(env_handling_id, offsetof(rk_ring_env, handling_message_id) == 224);
RK_LAYOUT_CHECK(env_handling_since, offsetof(rk_ring_env, handling_since_ns) == 232);
RK_LAYOUT_CHECK(env_histograms, offsetof(rk_ring_env, histograms_ptr) == 240);
RK_LAYOUT_CHECK(env_trace, offsetof(rk_ring_env, trace_ptr) == 248);
RK_LAYOUT_CHECK(trace_record_size, sizeof(rk_trace_record) == 64);
RK_LAYOUT_CHECK(trace_record_hlc, offsetof(rk_trace_record, hlc_physical_ns) == 32);
RK_LAYOUT_CHECK(trace_record_kind, offsetof(rk_trace_record, kind) == 44);
RK_LAYOUT_CHECK(trace_record_end, offsetof(rk_trace_record, end_ns) == 56);
RK_LAYOUT_CHECK(trace_ring_size, sizeof(rk_trace_ring) == 256);
RK_LAYOUT_CHECK(trace_ring_records, offsetof(rk_trace_ring, records_ptr) == 24);
RK_LAYOUT_CHECK(trace_ring_head, offsetof(rk_trace_ring, head) == 128);
RK_LAYOUT_CHECK(hist_size, sizeof(rk_latency_histograms) == 704);
RK_LAYOUT_CHECK(hist_queueing, offsetof(rk_latency_histograms, queueing) == 16);
RK_LAYOUT_CHECK(hist_handler, offsetof(rk_latency_histograms, handler) == 336);
#undef RK_LAYOUT_CHECK
#endif

#endif /* RINGKERNEL_RK_RING_LAYOUT_H */
