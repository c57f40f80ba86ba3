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

/* Address space of block-shared memory (OpenCL: __local); empty where it is generic. */
#ifndef rk_shared
#define rk_shared
#endif

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

typedef struct rk_ctx {
  rk_global rk_ring_env* env;
  rk_global rk_control_block* control;
  rk_global rk_telemetry* telemetry;
  rk_global rk_queue_header* input;
  rk_global rk_queue_header* output;
  rk_global rk_queue_header* inbox; /* 0 when the kernel has no K2K inbox */
  rk_global rk_k2k_route* routes;
  rk_global rk_queue_header* outbox; /* sends waiting for a full inbox (rk_k2k.h) */
  rk_global const rk_msg_header* current; /* the message being handled */
  rk_shared uint64_t* scratch;            /* RK_RING_SCRATCH_WORDS words shared by the block */
  rk_shared uint64_t* loop;               /* RK_LOOP_WORDS block-shared words of the loop's (rk_k2k.h) */
} rk_ctx;

RK_INLINE rk_ctx rk_ctx_make(rk_global rk_ring_env* env) {
  rk_ctx ctx;
  ctx.env = env;
  ctx.control = RK_PTR(rk_control_block, env->control_ptr);
  ctx.telemetry = RK_PTR(rk_telemetry, env->telemetry_ptr);
  ctx.input = RK_PTR(rk_queue_header, env->input_ptr);
  ctx.output = RK_PTR(rk_queue_header, env->output_ptr);
  ctx.inbox = RK_PTR(rk_queue_header, env->inbox_ptr);
  ctx.routes = RK_PTR(rk_k2k_route, env->routes_ptr);
  ctx.outbox = RK_PTR(rk_queue_header, env->outbox_ptr);
  ctx.current = 0;
  ctx.scratch = 0;
  ctx.loop = 0;
  return ctx;
}

/* The block's shared scratch (RK_RING_SCRATCH_WORDS uint64_t), valid during the handler. */
RK_INLINE rk_shared uint64_t* rk_scratch(rk_ctx* ctx) { return ctx->scratch; }

/* ---- identity, state, time ---------------------------------------------------------- */

RK_INLINE uint32_t rk_self_id(rk_ctx* ctx) { return ctx->env->kernel_id; }

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

RK_INLINE rk_hlc rk_ctx_hlc(rk_ctx* ctx) { return ctx->env->hlc; }

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
  uint32_t count = ctx->env->accepted_type_count;
  if (count == 0u) return 1;
  rk_global const uint32_t* types = RK_PTR(const uint32_t, ctx->env->accepted_types_ptr);
  for (uint32_t i = 0; i < count; ++i)
    if (types[i] == type_id) return 1;
  return 0;
}

/* What the loop checks before any thread sees a message, and what a pull checks too: an
 * accepted type and a size that fits the slot. RK_SUCCESS or the reason to drop it. */
RK_INLINE int32_t rk_admission(rk_ctx* ctx, rk_global const rk_msg_header* message, uint32_t slot_size) {
  if (!rk_type_accepted(ctx, message->type_id)) return RK_ERROR_UNKNOWN_MESSAGE_TYPE;
  if (message->payload_size > slot_size - RK_MSG_HEADER_SIZE) return RK_ERROR_MESSAGE_TOO_LARGE;
  return RK_SUCCESS;
}

/* Merges the sender's HLC timestamp (receive rule); a skew beyond the limit drops it. */
RK_INLINE int32_t rk_merge_clock(rk_ctx* ctx, rk_global const rk_msg_header* message) {
  rk_hlc_result merged = rk_hlc_merge(ctx->env->hlc, message->timestamp, rk_clock_ns(), ctx->env->max_clock_skew_ns);
  if (merged.status != RK_SUCCESS) return merged.status;
  ctx->env->hlc = merged.clock;
  return RK_SUCCESS;
}

/* A message that will not reach the handler: counted as dropped and as an error. */
RK_INLINE void rk_count_refused_message(rk_ctx* ctx, int32_t reason) {
  rk_count_dropped(ctx, reason);
  rk_count_error(ctx, reason);
}

/* One handled message: activity, latency and the processed counters. */
RK_INLINE void rk_account_message(rk_ctx* ctx, rk_global const rk_msg_header* message, int32_t result) {
  int64_t now = rk_clock_ns();
  rk_global rk_telemetry* telemetry = ctx->telemetry;
  rk_store_relaxed_u64((rk_global uint64_t*)&ctx->control->last_activity_ticks, (uint64_t)now);
  rk_store_relaxed_u64((rk_global uint64_t*)&telemetry->last_processed_timestamp, (uint64_t)now);
  if (message->sent_ns > 0 && now >= message->sent_ns) {
    uint64_t latency = (uint64_t)(now - message->sent_ns);
    rk_add_u64_single_writer(&telemetry->total_latency_ns, latency);
    if (latency > rk_load_relaxed_u64(&telemetry->max_latency_ns)) rk_store_relaxed_u64(&telemetry->max_latency_ns, latency);
    if (latency < rk_load_relaxed_u64(&telemetry->min_latency_ns)) rk_store_relaxed_u64(&telemetry->min_latency_ns, latency);
  }
  if (result != RK_SUCCESS) rk_count_error(ctx, result);
  /* Published last, with release: a host that sees the count also sees the rest. */
  rk_global uint64_t* control_count = (rk_global uint64_t*)&ctx->control->messages_processed;
  rk_store_release_u64(control_count, rk_load_relaxed_u64(control_count) + 1u);
  rk_store_release_u64(&telemetry->messages_processed, rk_load_relaxed_u64(&telemetry->messages_processed) + 1u);
}

/* ---- writing a message into a slot -------------------------------------------------- */

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
  rk_any const uint8_t* from = (rk_any const uint8_t*)src.anywhere;
  for (uint32_t i = 0; i < size; ++i) dst[i] = from[i];
}

/* Stamps the header of a message this kernel sends. The HLC ticks on every send. */
RK_INLINE void rk_stamp(rk_ctx* ctx, rk_global rk_msg_header* header, uint32_t type_id, uint32_t size,
                        uint32_t dest, uint64_t correlation_id, uint32_t flags) {
  int64_t now = rk_clock_ns(); /* one reading serves the HLC tick and sent_ns */
  rk_hlc_result tick = rk_hlc_tick(ctx->env->hlc, now);
  if (tick.status == RK_SUCCESS) ctx->env->hlc = tick.clock;
  header->type_id = type_id;
  header->payload_size = size;
  header->message_id = ++ctx->env->next_message_id;
  header->correlation_id = correlation_id;
  header->source_kernel = ctx->env->kernel_id;
  header->dest_kernel = dest;
  header->timestamp = ctx->env->hlc;
  header->flags = flags;
  header->sent_ns = now; /* publish_seq is the queue's to write (rk_spsc_publish_msg / K2K: 0) */
}

RK_INLINE int32_t rk_check_outgoing(rk_global rk_queue_header* q, uint32_t type_id, uint32_t size) {
  if (type_id == RK_MSG_TYPE_INVALID) return RK_ERROR_UNKNOWN_MESSAGE_TYPE;
  if (size > q->slot_size - RK_MSG_HEADER_SIZE) return RK_ERROR_MESSAGE_TOO_LARGE;
  return RK_SUCCESS;
}

/* Backends whose code can really sleep and be woken (cpu_sim: a futex) define RK_CAN_PARK 1
 * in their prelude. Elsewhere (GPUs, PoCL) nothing sleeps: an idle loop keeps polling its
 * queues, and the message path needs no doorbell, no fence and no shared flag per message. */
#ifndef RK_CAN_PARK
#define RK_CAN_PARK 0
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

RK_INLINE int32_t rk_output_message(rk_ctx* ctx, uint32_t type_id, rk_payload payload, uint32_t size,
                                    uint64_t correlation_id, uint32_t flags) {
  int32_t check = rk_check_outgoing(ctx->output, type_id, size);
  if (check != RK_SUCCESS) {
    rk_count_dropped(ctx, check);
    return check;
  }
  rk_reservation slot = rk_spsc_try_reserve(ctx->output, 1u);
  if (slot.count == 0u) {
    rk_queue_count_rejected(ctx->output);
    return RK_ERROR_QUEUE_FULL;
  }
  rk_global rk_msg_header* header = (rk_global rk_msg_header*)rk_queue_slot(ctx->output, slot.index);
  /* Payload first, then the header and its publish_seq back to back: the host polls the
   * header line, and writing it twice around the payload would pull it back once more. */
  rk_copy_payload((rk_global uint8_t*)header + RK_MSG_HEADER_SIZE, payload, size);
  rk_stamp(ctx, header, type_id, size, RK_KERNEL_ID_HOST, correlation_id, flags);
  rk_spsc_publish_msg(ctx->output, slot.index);
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
    rk_pause();
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
  rk_yield();
}

/* Output to the host with a correlation id and flags, waiting for room. */
RK_INLINE int32_t rk_output_message_wait(rk_ctx* ctx, uint32_t type_id, rk_payload payload, uint32_t size,
                                         uint64_t correlation_id, uint32_t flags) {
  uint32_t round = 0u;
  for (;;) {
    int32_t result = rk_output_message(ctx, type_id, payload, size, correlation_id, flags);
    if (result != RK_ERROR_QUEUE_FULL) return result;
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
  uint64_t correlation = rk_correlation_of(ctx->current->correlation_id, ctx->current->message_id);
  return rk_output_message_wait(ctx, type_id, payload, size, correlation, RK_MSG_FLAG_REPLY);
}
#define rk_reply(ctx, type_id, payload, size) rk_reply_payload((ctx), (type_id), rk_payload_of(payload), (size))

#endif /* RINGKERNEL_RK_RING_CONTEXT_H */
