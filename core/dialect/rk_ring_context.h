/* ringkernel dialect — the handler's view of its ring kernel (docs/runtime.md, "The
 * handler's context").
 *
 * A user source defines
 *     RK_INLINE int32_t rk_handler(rk_ctx* ctx, rk_global const rk_msg_header* msg,
 *                                  rk_global const uint8_t* payload);
 * which every thread of the kernel's block runs for each message; it returns RK_SUCCESS or
 * an rk_result (counted in errors_encountered and telemetry.error_code).
 *
 * Sending functions (output, reply, K2K) act for the calling thread: with more than one
 * thread per block, call them from one thread (rk_thread_idx(0) == 0). The payload is read
 * in place from the queue slot; it stays valid until the handler returns. */
#ifndef RINGKERNEL_RK_RING_CONTEXT_H
#define RINGKERNEL_RK_RING_CONTEXT_H

#define RK_PTR(type, address) ((rk_global type*)(uintptr_t)(address))

/* ---- payloads, wherever the caller has them ------------------------------------------ *
 * rk_any: the address space of a pointer that may point into private, global or shared
 * memory. Where it is generic (CPU, CUDA, HIP; OpenCL with the generic address space) one
 * pointer says it all. OpenCL devices without it (PoCL's CPU device) set RK_ANY_IS_GENERIC
 * 0: rk_any is private there, and rk_payload_of has one overload per address space
 * (RK_OVERLOADABLE), so rk_reply(ctx, t, payload, n) compiles wherever `payload` points. */
#ifndef rk_any
#define rk_any
#endif
#ifndef RK_ANY_IS_GENERIC
#define RK_ANY_IS_GENERIC 1
#endif
#ifndef RK_OVERLOADABLE
#define RK_OVERLOADABLE
#endif

/* A caller's payload: exactly one pointer set (all 0 for an empty one). */
typedef struct rk_payload {
  rk_any const void* anywhere; /* private memory, or any memory where rk_any is generic */
#if !RK_ANY_IS_GENERIC
  rk_global const void* in_global; /* set instead of `anywhere` for a global payload */
  rk_shared const void* in_shared; /* ... for a block-shared one */
#endif
} rk_payload;

#if RK_ANY_IS_GENERIC
RK_INLINE rk_payload rk_payload_of(rk_any const void* p) {
  rk_payload payload;
  payload.anywhere = p;
  return payload;
}
#else
RK_INLINE RK_OVERLOADABLE rk_payload rk_payload_of(const void* p) {
  rk_payload payload;
  payload.anywhere = p;
  payload.in_global = 0;
  payload.in_shared = 0;
  return payload;
}

RK_INLINE RK_OVERLOADABLE rk_payload rk_payload_of(rk_global const void* p) {
  rk_payload payload;
  payload.anywhere = 0;
  payload.in_global = p;
  payload.in_shared = 0;
  return payload;
}

RK_INLINE RK_OVERLOADABLE rk_payload rk_payload_of(rk_shared const void* p) {
  rk_payload payload;
  payload.anywhere = 0;
  payload.in_global = 0;
  payload.in_shared = p;
  return payload;
}
#endif

/* Block-shared scratch for handlers: OpenCL allows shared arrays only at kernel scope, so
 * the loop declares one and hands it over through the context. */
#define RK_RING_SCRATCH_WORDS 512

/* A queue's geometry as the kernel keeps it: read once when the loop starts (the host
 * sets it at creation and never changes it), so no message pays a read of the header
 * for it. On a GPU the header sits in host-mapped memory, where every read is a bus
 * round trip. */
typedef struct rk_queue_view {
  rk_global rk_queue_header* header; /* 0 when there is no such queue */
  rk_global uint8_t* slots;
  rk_global uint64_t* sequence; /* MPSC only */
  uint64_t mask;
  uint32_t capacity;
  uint32_t slot_size;
} rk_queue_view;

RK_INLINE rk_queue_view rk_queue_view_of(rk_global rk_queue_header* q) {
  rk_queue_view view;
  view.header = q;
  view.slots = 0;
  view.sequence = 0;
  view.mask = 0u;
  view.capacity = 0u;
  view.slot_size = 0u;
  if (q != 0) {
    view.slots = RK_PTR(uint8_t, q->slots_ptr);
    view.sequence = RK_PTR(uint64_t, q->sequence_ptr);
    view.capacity = q->capacity;
    view.mask = (uint64_t)q->mask;
    view.slot_size = q->slot_size;
  }
  return view;
}

RK_INLINE rk_global uint8_t* rk_view_slot(const rk_queue_view* view, uint64_t index) {
  return view->slots + (index & view->mask) * (uint64_t)view->slot_size;
}

/* Block-shared words of the loop (rk_ctx.loop). The first three are the K2K bookkeeping
 * (rk_k2k.h). The rest hold what only this kernel writes: its clock, message ids, output
 * tail, inbox head and processed counters. They are kept here and only ever *stored* to
 * the ring block (the host reads those copies), never read back from it: on a GPU each read
 * of host-mapped memory is a bus round trip on the message's critical path, a store is
 * posted. The loop loads them from the ring block when it starts, so a relaunch goes on
 * from what the last run stored. */
#define RK_LOOP_PULL_FIRST 0       /* first inbox index the current handler may consume */
#define RK_LOOP_PULL_NEXT 1        /* next inbox index a pull reads; the loop releases [first, next) */
#define RK_LOOP_OUTBOX 2           /* messages waiting in the outbox (mirrors its queue) */
#define RK_LOOP_HLC_PHYSICAL 3     /* env->hlc.physical_ns */
#define RK_LOOP_HLC_LOGICAL_NODE 4 /* env->hlc.logical | node_id << 32 */
#define RK_LOOP_NEXT_MESSAGE_ID 5  /* env->next_message_id */
#define RK_LOOP_OUTPUT_TAIL 6      /* output->tail: this kernel is the producer */
#define RK_LOOP_OUTPUT_HEAD_SEEN 7 /* the host's output head as last read (the producer's cache) */
#define RK_LOOP_INBOX_HEAD 8       /* inbox->head: this kernel is the consumer */
#define RK_LOOP_PROCESSED 9        /* control->messages_processed */
#define RK_LOOP_TELEMETRY_PROCESSED 10
#define RK_LOOP_TOTAL_LATENCY 11
#define RK_LOOP_MAX_LATENCY 12
#define RK_LOOP_MIN_LATENCY 13
#define RK_LOOP_CACHED_TYPES 8u /* accepted types kept in shared memory; more are read from the list */
#define RK_LOOP_TYPES 14        /* RK_LOOP_CACHED_TYPES uint32_t from here on, two per word */
#define RK_LOOP_REPLY_CORRELATION 18 /* the message being handled: rk_correlation_of its ids */
#define RK_LOOP_REPLY_SOURCE 19      /* ... and its source_kernel */
#define RK_LOOP_QUEUEING_SUM 20      /* rk_latency_histograms, word for word from here */
#define RK_LOOP_HANDLER_SUM 21
#define RK_LOOP_QUEUEING 22          /* RK_LATENCY_BUCKETS words */
#define RK_LOOP_HANDLER (RK_LOOP_QUEUEING + RK_LATENCY_BUCKETS)
/* The targets every waiting outbox send is for (rk_k2k.h): how many, or
 * RK_OUTBOX_TARGETS_UNKNOWN, then up to 4 uint32_t ids, two per word. */
#define RK_LOOP_OUTBOX_TARGET_COUNT (RK_LOOP_HANDLER + RK_LATENCY_BUCKETS)
#define RK_LOOP_OUTBOX_TARGETS (RK_LOOP_OUTBOX_TARGET_COUNT + 1)
#ifdef RK_TRACE
#define RK_LOOP_TRACE (RK_LOOP_OUTBOX_TARGETS + 2) /* RK_TRACE_WORDS (rk_trace.h) */
#define RK_LOOP_WORDS (RK_LOOP_TRACE + RK_TRACE_WORDS)
#else
#define RK_LOOP_WORDS (RK_LOOP_OUTBOX_TARGETS + 2)
#endif
#define RK_OUTBOX_TARGETS_UNKNOWN 0xFFu

typedef struct rk_ctx {
  rk_global rk_ring_env* env;
  rk_global rk_control_block* control;
  rk_global rk_telemetry* telemetry;
  rk_global rk_latency_histograms* histograms;
  rk_global rk_queue_header* input;
  rk_global rk_queue_header* output;
  rk_global rk_queue_header* inbox; /* 0 when the kernel has no K2K inbox */
  rk_global rk_k2k_route* routes;
  rk_global rk_queue_header* outbox; /* sends waiting for a full inbox (rk_k2k.h) */
#ifdef RK_TRACE
  rk_global rk_trace_ring* trace;    /* rk_trace.h */
#endif
  rk_global const rk_msg_header* current; /* the message being handled */
  rk_shared uint64_t* scratch;            /* RK_RING_SCRATCH_WORDS words shared by the block */
  rk_shared uint64_t* loop;               /* RK_LOOP_WORDS block-shared words of the loop's */
  /* Read once when the loop starts; the host never changes them while it runs. */
  rk_queue_view input_view;
  rk_queue_view output_view;
  rk_queue_view inbox_view;
  rk_global const uint32_t* accepted_types;
  uint32_t accepted_type_count;
  uint32_t kernel_id;
  uint32_t route_count;
  int64_t max_clock_skew_ns;
} rk_ctx;

RK_INLINE rk_ctx rk_ctx_make(rk_global rk_ring_env* env) {
  rk_ctx ctx;
  ctx.env = env;
  ctx.control = RK_PTR(rk_control_block, env->control_ptr);
  ctx.telemetry = RK_PTR(rk_telemetry, env->telemetry_ptr);
  ctx.histograms = RK_PTR(rk_latency_histograms, env->histograms_ptr);
  ctx.input = RK_PTR(rk_queue_header, env->input_ptr);
  ctx.output = RK_PTR(rk_queue_header, env->output_ptr);
  ctx.inbox = RK_PTR(rk_queue_header, env->inbox_ptr);
  ctx.routes = RK_PTR(rk_k2k_route, env->routes_ptr);
  ctx.outbox = RK_PTR(rk_queue_header, env->outbox_ptr);
#ifdef RK_TRACE
  ctx.trace = RK_PTR(rk_trace_ring, env->trace_ptr);
#endif
  ctx.current = 0;
  ctx.scratch = 0;
  ctx.loop = 0;
  ctx.input_view = rk_queue_view_of(ctx.input);
  ctx.output_view = rk_queue_view_of(ctx.output);
  ctx.inbox_view = rk_queue_view_of(ctx.inbox);
  ctx.accepted_types = RK_PTR(const uint32_t, env->accepted_types_ptr);
  ctx.accepted_type_count = env->accepted_type_count;
  ctx.kernel_id = env->kernel_id;
  ctx.route_count = env->route_count;
  ctx.max_clock_skew_ns = env->max_clock_skew_ns;
  return ctx;
}

/* The leader fills the loop's words from the ring block before the first message (the
 * other threads see them after the loop's first barrier). */
RK_INLINE void rk_loop_words_load(rk_ctx* ctx) {
  rk_global rk_ring_env* env = ctx->env;
  rk_shared uint64_t* w = ctx->loop;
#ifdef RK_TRACE
  rk_trace_words_load(ctx->trace, w + RK_LOOP_TRACE);
#endif
  w[RK_LOOP_PULL_FIRST] = 0u;
  w[RK_LOOP_PULL_NEXT] = 0u;
  w[RK_LOOP_OUTBOX] = rk_load_relaxed_u32(&env->outbox_waiting);
  w[RK_LOOP_OUTBOX_TARGET_COUNT] = RK_OUTBOX_TARGETS_UNKNOWN; /* the first flush looks at them all */
  w[RK_LOOP_HLC_PHYSICAL] = (uint64_t)env->hlc.physical_ns;
  w[RK_LOOP_HLC_LOGICAL_NODE] = (uint64_t)env->hlc.logical | ((uint64_t)env->hlc.node_id << 32);
  w[RK_LOOP_NEXT_MESSAGE_ID] = env->next_message_id;
  w[RK_LOOP_OUTPUT_TAIL] = rk_load_relaxed_u64(&ctx->output->tail);
  w[RK_LOOP_OUTPUT_HEAD_SEEN] = rk_load_acquire_u64(&ctx->output->head);
  w[RK_LOOP_INBOX_HEAD] = ctx->inbox != 0 ? rk_load_relaxed_u64(&ctx->inbox->head) : 0u;
  w[RK_LOOP_PROCESSED] = rk_load_relaxed_u64((rk_global uint64_t*)&ctx->control->messages_processed);
  w[RK_LOOP_TELEMETRY_PROCESSED] = rk_load_relaxed_u64(&ctx->telemetry->messages_processed);
  w[RK_LOOP_TOTAL_LATENCY] = rk_load_relaxed_u64(&ctx->telemetry->total_latency_ns);
  w[RK_LOOP_MAX_LATENCY] = rk_load_relaxed_u64(&ctx->telemetry->max_latency_ns);
  w[RK_LOOP_MIN_LATENCY] = rk_load_relaxed_u64(&ctx->telemetry->min_latency_ns);
  rk_shared uint32_t* types = (rk_shared uint32_t*)(w + RK_LOOP_TYPES);
  for (uint32_t i = 0u; i < RK_LOOP_CACHED_TYPES; ++i)
    types[i] = i < ctx->accepted_type_count ? ctx->accepted_types[i] : RK_MSG_TYPE_INVALID;
  /* The histograms as one run of words: sums, then both bucket arrays. Last, so the loop
   * exits to the return: followed by the loop above, llvm-spirv 14 placed the block after
   * it before its dominator (spirv-val rejects that). */
  rk_global uint64_t* histogram_words = (rk_global uint64_t*)ctx->histograms;
  for (uint32_t i = 0u; i < 2u + 2u * RK_LATENCY_BUCKETS; ++i)
    w[RK_LOOP_QUEUEING_SUM + i] = rk_load_relaxed_u64(&histogram_words[i]);
}

RK_INLINE rk_hlc rk_loop_hlc(rk_ctx* ctx) {
  rk_hlc clock;
  clock.physical_ns = (int64_t)ctx->loop[RK_LOOP_HLC_PHYSICAL];
  clock.logical = (uint32_t)ctx->loop[RK_LOOP_HLC_LOGICAL_NODE];
  clock.node_id = (uint32_t)(ctx->loop[RK_LOOP_HLC_LOGICAL_NODE] >> 32);
  return clock;
}

/* Stored through to env->hlc, which stays the kernel's clock for the host and a relaunch. */
RK_INLINE void rk_loop_set_hlc(rk_ctx* ctx, rk_hlc clock) {
  ctx->loop[RK_LOOP_HLC_PHYSICAL] = (uint64_t)clock.physical_ns;
  ctx->loop[RK_LOOP_HLC_LOGICAL_NODE] = (uint64_t)clock.logical | ((uint64_t)clock.node_id << 32);
  ctx->env->hlc = clock;
}

/* The block's shared scratch (RK_RING_SCRATCH_WORDS uint64_t), valid during the handler. */
RK_INLINE rk_shared uint64_t* rk_scratch(rk_ctx* ctx) { return ctx->scratch; }

/* ---- identity, state, time ---------------------------------------------------------- */

RK_INLINE uint32_t rk_self_id(rk_ctx* ctx) { return ctx->kernel_id; }

/* Dense id of the i-th peer named at launch, 0 if there is no such peer. */
RK_INLINE uint32_t rk_peer(rk_ctx* ctx, uint32_t i) {
  return i < ctx->env->peer_count ? ctx->env->peer_ids[i] : 0u;
}

/* The kernel's device-resident state: state_bytes, zeroed at launch, kept across
 * deactivate/reactivate. */
RK_INLINE rk_global uint8_t* rk_state(rk_ctx* ctx) { return RK_PTR(uint8_t, ctx->env->state_ptr); }

RK_INLINE int64_t rk_now(rk_ctx* ctx) {
  (void)ctx;
  return rk_clock_ns();
}

RK_INLINE rk_hlc rk_ctx_hlc(rk_ctx* ctx) { return rk_loop_hlc(ctx); }

/* ---- counters (thread 0 of the loop and the senders below) -------------------------- */

RK_INLINE void rk_count_dropped(rk_ctx* ctx, int32_t reason) {
  rk_fetch_add_u64(&ctx->telemetry->messages_dropped, 1u);
  rk_store_relaxed_u32((rk_global uint32_t*)&ctx->telemetry->error_code, (uint32_t)reason);
}

RK_INLINE void rk_count_error(rk_ctx* ctx, int32_t reason) {
  rk_fetch_add_u32((rk_global uint32_t*)&ctx->control->errors_encountered, 1u);
  rk_store_relaxed_u32((rk_global uint32_t*)&ctx->telemetry->error_code, (uint32_t)reason);
}

/* Only the leader writes these counters, so plain relaxed stores do (no locked RMW per
 * message); the host reads each field on its own. messages_dropped and errors_encountered
 * are the exceptions: any handler thread may count one, so they stay atomic RMWs
 * (rk_count_*). The host never read-modify-writes them (it counts its own drops). */
RK_INLINE void rk_add_u64_single_writer(rk_global uint64_t* p, uint64_t v) {
  rk_store_relaxed_u64(p, rk_load_relaxed_u64(p) + v);
}

/* ---- taking a message in: admission and accounting ---------------------------------- */

RK_INLINE int rk_type_accepted(rk_ctx* ctx, uint32_t type_id) {
  if (type_id == RK_MSG_TYPE_INVALID) return 0;
  uint32_t count = ctx->accepted_type_count;
  if (count == 0u) return 1;
  /* From the loop's words when they hold them all, else from the list. */
  rk_shared const uint32_t* cached = (rk_shared const uint32_t*)(ctx->loop + RK_LOOP_TYPES);
  rk_global const uint32_t* listed = ctx->accepted_types;
  int all_cached = count <= RK_LOOP_CACHED_TYPES;
  for (uint32_t i = 0; i < count; ++i)
    if ((all_cached ? cached[i] : listed[i]) == type_id) return 1;
  return 0;
}

/* What the loop checks before any thread sees a message, and what a pull checks too: an
 * accepted type and a size that fits the slot. RK_SUCCESS or the reason to drop it. Takes
 * the header's fields, not the slot: the loop reads the header once, into registers. */
RK_INLINE int32_t rk_admission(rk_ctx* ctx, uint32_t type_id, uint32_t payload_size, uint32_t slot_size) {
  if (!rk_type_accepted(ctx, type_id)) return RK_ERROR_UNKNOWN_MESSAGE_TYPE;
  if (payload_size > slot_size - RK_MSG_HEADER_SIZE) return RK_ERROR_MESSAGE_TOO_LARGE;
  return RK_SUCCESS;
}

/* Merges the sender's HLC timestamp (receive rule) at clock reading `now`; a skew beyond
 * the limit drops it. */
RK_INLINE int32_t rk_merge_clock_at(rk_ctx* ctx, rk_hlc timestamp, int64_t now) {
  rk_hlc_result merged = rk_hlc_merge(rk_loop_hlc(ctx), timestamp, now, ctx->max_clock_skew_ns);
  if (merged.status != RK_SUCCESS) return merged.status;
  rk_loop_set_hlc(ctx, merged.clock);
  return RK_SUCCESS;
}

RK_INLINE int32_t rk_merge_clock(rk_ctx* ctx, rk_hlc timestamp) { return rk_merge_clock_at(ctx, timestamp, rk_clock_ns()); }

/* A message that will not reach the handler: counted as dropped and as an error. */
RK_INLINE void rk_count_refused_message(rk_ctx* ctx, int32_t reason) {
  rk_count_dropped(ctx, reason);
  rk_count_error(ctx, reason);
}

/* The log2 bucket of a latency (rk_latency_histograms): a binary search, no loop. */
RK_INLINE uint32_t rk_latency_bucket(uint64_t ns) {
  uint32_t bucket = 0u;
  if (ns >= ((uint64_t)1u << 32)) { ns >>= 32; bucket += 32u; }
  if (ns >= ((uint64_t)1u << 16)) { ns >>= 16; bucket += 16u; }
  if (ns >= ((uint64_t)1u << 8)) { ns >>= 8; bucket += 8u; }
  if (ns >= ((uint64_t)1u << 4)) { ns >>= 4; bucket += 4u; }
  if (ns >= ((uint64_t)1u << 2)) { ns >>= 2; bucket += 2u; }
  if (ns >= ((uint64_t)1u << 1)) bucket += 1u;
  return bucket < RK_LATENCY_BUCKETS - 1u ? bucket : RK_LATENCY_BUCKETS - 1u;
}

/* Counts one latency in a histogram of the loop's words and stores it through: `sum` is
 * the word index of its sum, `buckets` of its first bucket, `field` its sum in the block. */
RK_INLINE void rk_count_latency(rk_ctx* ctx, uint32_t sum, uint32_t buckets, uint64_t ns) {
  rk_shared uint64_t* w = ctx->loop;
  rk_global uint64_t* block = (rk_global uint64_t*)ctx->histograms; /* same order as the words */
  uint32_t bucket = buckets + rk_latency_bucket(ns);
  w[sum] += ns;
  w[bucket] += 1u;
  rk_store_relaxed_u64(&block[sum - RK_LOOP_QUEUEING_SUM], w[sum]);
  rk_store_relaxed_u64(&block[bucket - RK_LOOP_QUEUEING_SUM], w[bucket]);
}

/* One handled message: activity, latency and the processed counters, from the loop's
 * words (stored, never read back from the ring block). started_ns is when its handler
 * started; 0 for a message pulled inside another handler (queueing counted, no handler
 * run of its own). now: the clock when it was done with (the handler ended, or the pull
 * took it), read by the caller, who may need it too (a trace record). */
RK_INLINE void rk_account_message(rk_ctx* ctx, int64_t sent_ns, int64_t started_ns, int64_t now, int32_t result) {
  int64_t dequeued = started_ns > 0 ? started_ns : now;
  /* A device clock behind the sender's (OpenCL's host-refreshed word, a GPU timer between
   * resyncs) makes a short wait look negative: it counts as 0, so every message with a
   * send time is in the histogram. */
  if (sent_ns > 0)
    rk_count_latency(ctx, RK_LOOP_QUEUEING_SUM, RK_LOOP_QUEUEING, dequeued > sent_ns ? (uint64_t)(dequeued - sent_ns) : 0u);
  if (started_ns > 0)
    rk_count_latency(ctx, RK_LOOP_HANDLER_SUM, RK_LOOP_HANDLER, now > started_ns ? (uint64_t)(now - started_ns) : 0u);
  rk_global rk_telemetry* telemetry = ctx->telemetry;
  rk_shared uint64_t* w = ctx->loop;
  rk_store_relaxed_u64((rk_global uint64_t*)&ctx->control->last_activity_ticks, (uint64_t)now);
  rk_store_relaxed_u64((rk_global uint64_t*)&telemetry->last_processed_timestamp, (uint64_t)now);
  if (sent_ns > 0 && now >= sent_ns) {
    uint64_t latency = (uint64_t)(now - sent_ns);
    w[RK_LOOP_TOTAL_LATENCY] += latency;
    rk_store_relaxed_u64(&telemetry->total_latency_ns, w[RK_LOOP_TOTAL_LATENCY]);
    if (latency > w[RK_LOOP_MAX_LATENCY]) {
      w[RK_LOOP_MAX_LATENCY] = latency;
      rk_store_relaxed_u64(&telemetry->max_latency_ns, latency);
    }
    if (latency < w[RK_LOOP_MIN_LATENCY]) {
      w[RK_LOOP_MIN_LATENCY] = latency;
      rk_store_relaxed_u64(&telemetry->min_latency_ns, latency);
    }
  }
  if (result != RK_SUCCESS) rk_count_error(ctx, result);
  /* Published last, with release: a host that sees a count also sees the rest. */
  w[RK_LOOP_PROCESSED] += 1u;
  w[RK_LOOP_TELEMETRY_PROCESSED] += 1u;
  rk_release_group_begin();
  rk_store_released_u64((rk_global uint64_t*)&ctx->control->messages_processed, w[RK_LOOP_PROCESSED]);
  rk_store_released_u64(&telemetry->messages_processed, w[RK_LOOP_TELEMETRY_PROCESSED]);
}

/* ---- writing a message into a slot -------------------------------------------------- */

/* Payload copies between generic pointers in 16-byte words where both ends allow it, for
 * preludes that set RK_COPY_IN_WORDS (CUDA, HIP): their slots are in host-mapped memory,
 * and the byte loop below made one bus access per byte, each store ordered after the load
 * before it (the two might alias). A reply straight from the request's slot,
 * `rk_reply(ctx, t, payload, 64u)`, cost 2 us more per message on an H200 that way
 * (docs/benchmarks.md). A slot's payload is 64-byte aligned; a pull's destination is the
 * handler's buffer, aligned as it happens to be (8 or 4 bytes, or bytes, then). The word
 * types are may_alias, as char is: a handler that keeps floats where a pull writes reads
 * them back after the copy, never from before it. */
#if RK_ANY_IS_GENERIC && defined(RK_COPY_IN_WORDS) && !defined(rk_copy_generic_bytes)
typedef struct __attribute__((aligned(16), may_alias)) rk_word16 {
  uint64_t low, high;
} rk_word16;
typedef uint64_t __attribute__((may_alias)) rk_word8;
typedef uint32_t __attribute__((may_alias)) rk_word4;

RK_INLINE void rk_copy_in_words(rk_any void* dst, rk_any const void* src, uint32_t size) {
  rk_any uint8_t* d = (rk_any uint8_t*)dst;
  rk_any const uint8_t* s = (rk_any const uint8_t*)src;
  uint32_t i = 0u;
  uintptr_t both = (uintptr_t)d | (uintptr_t)s;
  if ((both & 15u) == 0u) {
    for (; i + 64u <= size; i += 64u) { /* four loads out before the first store */
      rk_any const rk_word16* from = (rk_any const rk_word16*)(s + i);
      rk_any rk_word16* to = (rk_any rk_word16*)(d + i);
      rk_word16 w0 = from[0], w1 = from[1], w2 = from[2], w3 = from[3];
      to[0] = w0;
      to[1] = w1;
      to[2] = w2;
      to[3] = w3;
    }
    for (; i + 16u <= size; i += 16u) *(rk_any rk_word16*)(d + i) = *(rk_any const rk_word16*)(s + i);
  } else if ((both & 7u) == 0u) {
    for (; i + 8u <= size; i += 8u) *(rk_any rk_word8*)(d + i) = *(rk_any const rk_word8*)(s + i);
  } else if ((both & 3u) == 0u) {
    for (; i + 4u <= size; i += 4u) *(rk_any rk_word4*)(d + i) = *(rk_any const rk_word4*)(s + i);
  }
  for (; i < size; ++i) d[i] = s[i];
}
#define rk_copy_generic_bytes(dst, src, size) rk_copy_in_words((dst), (src), (size))
#endif

RK_INLINE void rk_copy_payload(rk_global uint8_t* dst, rk_payload src, uint32_t size) {
#if !RK_ANY_IS_GENERIC
  if (src.in_global != 0) {
    rk_global const uint8_t* from = (rk_global const uint8_t*)src.in_global;
    for (uint32_t i = 0; i < size; ++i) dst[i] = from[i];
    return;
  }
  if (src.in_shared != 0) {
    rk_shared const uint8_t* from = (rk_shared const uint8_t*)src.in_shared;
    for (uint32_t i = 0; i < size; ++i) dst[i] = from[i];
    return;
  }
#endif
#ifdef rk_copy_generic_bytes
  rk_copy_generic_bytes(dst, src.anywhere, size);
#else
  rk_any const uint8_t* from = (rk_any const uint8_t*)src.anywhere;
  for (uint32_t i = 0; i < size; ++i) dst[i] = from[i];
#endif
}

/* Stamps the header of a message this kernel sends. The HLC ticks on every send. */
RK_INLINE void rk_stamp(rk_ctx* ctx, rk_global rk_msg_header* header, uint32_t type_id, uint32_t size,
                        uint32_t dest, uint64_t correlation_id, uint32_t flags) {
  int64_t now = rk_clock_ns(); /* one reading serves the HLC tick and sent_ns */
  rk_hlc clock = rk_loop_hlc(ctx);
  rk_hlc_result tick = rk_hlc_tick(clock, now);
  if (tick.status == RK_SUCCESS) {
    clock = tick.clock;
    rk_loop_set_hlc(ctx, clock);
  }
  uint64_t message_id = ctx->loop[RK_LOOP_NEXT_MESSAGE_ID] + 1u;
  ctx->loop[RK_LOOP_NEXT_MESSAGE_ID] = message_id;
  ctx->env->next_message_id = message_id; /* stored through, as the clock */
  header->type_id = type_id;
  header->payload_size = size;
  header->message_id = message_id;
  header->correlation_id = correlation_id;
  header->source_kernel = ctx->kernel_id;
  header->dest_kernel = dest;
  header->timestamp = clock;
  header->flags = flags;
  header->sent_ns = now; /* publish_seq is the queue's to write (rk_spsc_publish_msg / K2K: 0) */
#ifdef RK_TRACE
  rk_trace_put(ctx->trace, ctx->loop + RK_LOOP_TRACE, RK_TRACE_SENT, message_id, correlation_id, ctx->kernel_id, dest,
               type_id, RK_SUCCESS, clock, now, now);
#endif
}

RK_INLINE int32_t rk_check_outgoing(uint32_t slot_size, uint32_t type_id, uint32_t size) {
  if (type_id == RK_MSG_TYPE_INVALID) return RK_ERROR_UNKNOWN_MESSAGE_TYPE;
  if (size > slot_size - RK_MSG_HEADER_SIZE) return RK_ERROR_MESSAGE_TOO_LARGE;
  return RK_SUCCESS;
}

/* Backends whose code can really sleep and be woken (cpu_sim: a futex) define RK_CAN_PARK 1
 * in their prelude. Elsewhere (GPUs, PoCL) nothing sleeps: an idle loop keeps polling its
 * queues, and the message path needs no doorbell, no fence and no shared flag per message. */
#ifndef RK_CAN_PARK
#define RK_CAN_PARK 0
#endif

/* Where the device's threads are host threads (cpu_sim), an idle or waiting loop offers its
 * time to the host first: delivering its own kernel's output to async consumers (the
 * bridge's work), and the forwarding work (K2K between runtimes and processes). It yields
 * only when it ran none: nonzero when it ran some. Elsewhere: always 0. */
#ifndef rk_idle_assist
#define rk_idle_assist(ctx) 0
#endif

/* The same offer from a loop that is still busy, for its own kernel's output only: where
 * a prelude defines it (cpu_sim), the loop makes it every RK_LOOP_OFFER_OUTPUT_EVERY
 * messages of output (rk_ring_loop.h). Elsewhere the loop makes none. */
#ifdef rk_busy_assist
#define RK_HAS_BUSY_ASSIST 1
#else
#define RK_HAS_BUSY_ASSIST 0
#endif

/* Wakes a sleeper parked on `doorbell` after this side published work. Dekker pairing
 * with rk_park's caller, which raises `parked`, fences, and re-checks the queue before it
 * sleeps: either it sees our publish, or we see its flag. So the shared doorbell line is
 * written only when somebody actually sleeps. */
RK_INLINE void rk_ring_doorbell(rk_global uint32_t* doorbell, rk_global uint32_t* parked) {
#if RK_CAN_PARK
  rk_fence_seq_cst();
  if (rk_load_relaxed_u32(parked) != 0u) {
    rk_fetch_add_u32(doorbell, 1u);
    rk_unpark_u32(doorbell);
  }
#else
  (void)doorbell;
  (void)parked;
#endif
}

/* Wakes the host if it parked waiting for output. */
RK_INLINE void rk_ring_host_doorbell(rk_ctx* ctx) {
  rk_ring_doorbell(&ctx->control->host_doorbell, &ctx->control->host_parked);
}

/* A free output slot, from the loop's words: the tail is ours, and the host's head is
 * read again only when the copy last seen says the queue is full. */
RK_INLINE rk_reservation rk_output_reserve(rk_ctx* ctx) {
  rk_shared uint64_t* w = ctx->loop;
  uint64_t tail = w[RK_LOOP_OUTPUT_TAIL];
  uint64_t head = w[RK_LOOP_OUTPUT_HEAD_SEEN];
  uint32_t capacity = ctx->output_view.capacity;
  /* One exit, no early return: inlined into a retry loop, an early return here makes
   * llvm-spirv 14 emit a block before its dominator (spirv-val rejects it). */
  if (tail - head >= (uint64_t)capacity) {
    /* Acquire pairs with the host's release of head: it has read the slot we overwrite. */
    head = rk_load_acquire_u64(&ctx->output->head);
    w[RK_LOOP_OUTPUT_HEAD_SEEN] = head;
  }
  return rk_queue_free_span(tail, head, capacity, 1u);
}

RK_INLINE int32_t rk_output_message(rk_ctx* ctx, uint32_t type_id, rk_payload payload, uint32_t size,
                                    uint64_t correlation_id, uint32_t flags) {
  int32_t check = rk_check_outgoing(ctx->output_view.slot_size, type_id, size);
  if (check != RK_SUCCESS) {
    rk_count_dropped(ctx, check);
    return check;
  }
  rk_reservation slot = rk_output_reserve(ctx);
  if (slot.count == 0u) {
    rk_queue_count_rejected(ctx->output);
    return RK_ERROR_QUEUE_FULL;
  }
  rk_global rk_msg_header* header = (rk_global rk_msg_header*)rk_view_slot(&ctx->output_view, slot.index);
  /* Payload first, then the header and its publish_seq back to back: the host polls the
   * header line, and writing it twice around the payload would pull it back once more. */
  rk_copy_payload((rk_global uint8_t*)header + RK_MSG_HEADER_SIZE, payload, size);
  rk_stamp(ctx, header, type_id, size, RK_KERNEL_ID_HOST, correlation_id, flags);
  rk_spsc_publish_msg_at(ctx->output, header, slot.index);
  ctx->loop[RK_LOOP_OUTPUT_TAIL] = slot.index + 1u;
  rk_ring_host_doorbell(ctx);
  return RK_SUCCESS;
}

/* One round of waiting for room that the host or a peer will make: spin, then yield, then,
 * where kernels can sleep (RK_CAN_PARK), nap in growing slices of 50 us up to 1 ms. No
 * flag is raised, so nobody has to ring for us and a consumer pays nothing per message;
 * a kernel whose output nobody drains costs almost no CPU instead of a whole core. */
RK_INLINE void rk_wait_for_room(rk_ctx* ctx, uint32_t* round) {
  uint32_t r = ++*round;
  if (r < 64u) {
    if (!rk_idle_assist(ctx)) rk_pause();
    return;
  }
#if RK_CAN_PARK
  if (r >= 256u) {
    uint32_t step = r - 256u;
    int64_t nap_ns = step < 5u ? (int64_t)50000 << step : (int64_t)1000000;
    if (r > 4096u) *round = 4096u; /* stay at the longest nap; no overflow */
    rk_global uint32_t* doorbell = &ctx->control->kernel_doorbell;
    rk_park_u32(doorbell, rk_load_relaxed_u32(doorbell), nap_ns); /* host sends wake it early */
    return;
  }
#else
  (void)ctx;
#endif
  if (!rk_idle_assist(ctx)) rk_yield();
}

/* Output to the host with a correlation id and flags, waiting for room. With a copied ring
 * block (RK_RELAUNCH_COPY) the host drains the output only between launches, so waiting
 * cannot make room: RK_ERROR_QUEUE_FULL at once, counted as dropped. The loop takes a
 * message only while the output has room, so this happens only to a handler that writes
 * more than one message into a queue it found with one free slot. */
RK_INLINE int32_t rk_output_message_wait(rk_ctx* ctx, uint32_t type_id, rk_payload payload, uint32_t size,
                                         uint64_t correlation_id, uint32_t flags) {
  uint32_t round = 0u;
  for (;;) {
    int32_t result = rk_output_message(ctx, type_id, payload, size, correlation_id, flags);
    if (result != RK_ERROR_QUEUE_FULL) return result;
#ifdef RK_RELAUNCH_COPY
    rk_count_dropped(ctx, RK_ERROR_QUEUE_FULL);
    return RK_ERROR_QUEUE_FULL;
#endif
    rk_wait_for_room(ctx, &round);
  }
}

/* ---- what a handler calls: output and reply (K2K sends are in rk_k2k.h) ------------- */

/* Output to the host without waiting: RK_ERROR_QUEUE_FULL when the host is behind. */
RK_INLINE int32_t rk_try_enqueue_output_payload(rk_ctx* ctx, uint32_t type_id, rk_payload payload, uint32_t size) {
  return rk_output_message(ctx, type_id, payload, size, 0u, 0u);
}
#define rk_try_enqueue_output(ctx, type_id, payload, size) \
  rk_try_enqueue_output_payload((ctx), (type_id), rk_payload_of(payload), (size))

/* Output to the host, waiting for room (backpressure). The host drains the output queue
 * during terminate, so this cannot deadlock a terminating kernel. */
RK_INLINE int32_t rk_enqueue_output_payload(rk_ctx* ctx, uint32_t type_id, rk_payload payload, uint32_t size) {
  return rk_output_message_wait(ctx, type_id, payload, size, 0u, 0u);
}
#define rk_enqueue_output(ctx, type_id, payload, size) \
  rk_enqueue_output_payload((ctx), (type_id), rk_payload_of(payload), (size))

/* The correlation rule of every reply: the request's correlation id, or its message id
 * when it had none. */
RK_INLINE uint64_t rk_correlation_of(uint64_t correlation_id, uint64_t message_id) {
  return correlation_id != 0u ? correlation_id : message_id;
}

/* Answers the message being handled, to the host's output queue: correlation id per
 * rk_correlation_of, RK_MSG_FLAG_REPLY set. Waits for room. To answer later, or to answer
 * a kernel, keep rk_reply_address(ctx) and use rk_reply_later (rk_k2k.h). */
RK_INLINE int32_t rk_reply_payload(rk_ctx* ctx, uint32_t type_id, rk_payload payload, uint32_t size) {
  return rk_output_message_wait(ctx, type_id, payload, size, ctx->loop[RK_LOOP_REPLY_CORRELATION], RK_MSG_FLAG_REPLY);
}
#define rk_reply(ctx, type_id, payload, size) rk_reply_payload((ctx), (type_id), rk_payload_of(payload), (size))

#endif /* RINGKERNEL_RK_RING_CONTEXT_H */
