/* ringkernel dialect — the handler's view of its ring kernel (the seed's RingContext).
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
  rk_global const rk_msg_header* current; /* the message being handled */
  rk_shared uint64_t* scratch;            /* RK_RING_SCRATCH_WORDS words shared by the block */
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
  ctx.current = 0;
  ctx.scratch = 0;
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

/* ---- writing a message into a slot -------------------------------------------------- */

RK_INLINE void rk_copy_payload(rk_global uint8_t* dst, const void* src, uint32_t size) {
  const uint8_t* from = (const uint8_t*)src;
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

RK_INLINE int32_t rk_output_message(rk_ctx* ctx, uint32_t type_id, const void* payload, uint32_t size,
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

/* ---- the seed's RingContext operations ---------------------------------------------- */

/* Output to the host without waiting: RK_ERROR_QUEUE_FULL when the host is behind. */
RK_INLINE int32_t rk_try_enqueue_output(rk_ctx* ctx, uint32_t type_id, const void* payload, uint32_t size) {
  return rk_output_message(ctx, type_id, payload, size, 0u, 0u);
}

/* Output to the host, waiting for room (backpressure). The host drains the output queue
 * during terminate, so this cannot deadlock a terminating kernel. */
RK_INLINE int32_t rk_enqueue_output(rk_ctx* ctx, uint32_t type_id, const void* payload, uint32_t size) {
  uint32_t round = 0u;
  for (;;) {
    int32_t result = rk_output_message(ctx, type_id, payload, size, 0u, 0u);
    if (result != RK_ERROR_QUEUE_FULL) return result;
    if (++round < 64u) rk_pause(); else rk_yield();
  }
}

/* Answers the message being handled: correlation id = the request's correlation id
 * (or its message id when it had none), RK_MSG_FLAG_REPLY set. Waits for room. */
RK_INLINE int32_t rk_reply(rk_ctx* ctx, uint32_t type_id, const void* payload, uint32_t size) {
  uint64_t correlation = ctx->current->correlation_id != 0u ? ctx->current->correlation_id
                                                             : ctx->current->message_id;
  uint32_t round = 0u;
  for (;;) {
    int32_t result = rk_output_message(ctx, type_id, payload, size, correlation, RK_MSG_FLAG_REPLY);
    if (result != RK_ERROR_QUEUE_FULL) return result;
    if (++round < 64u) rk_pause(); else rk_yield();
  }
}

/* K2K: writes straight into the target kernel's inbox. Errors the handler sees:
 * RK_ERROR_UNKNOWN_KERNEL (no such id, not launched, or terminated),
 * RK_ERROR_QUEUE_FULL (inbox full: retry, or give up and count it), RK_ERROR_MESSAGE_TOO_LARGE,
 * RK_ERROR_UNKNOWN_MESSAGE_TYPE. The non-retryable refusals are counted in this kernel's
 * telemetry.messages_dropped; a full inbox is counted in the inbox's rejected_full. */
RK_INLINE int32_t rk_send_to_kernel(rk_ctx* ctx, uint32_t target, uint32_t type_id, const void* payload,
                                    uint32_t size) {
  if (target == RK_KERNEL_ID_HOST || target >= ctx->env->route_count) {
    rk_count_dropped(ctx, RK_ERROR_UNKNOWN_KERNEL);
    return RK_ERROR_UNKNOWN_KERNEL;
  }
  rk_global rk_k2k_route* route = &ctx->routes[target];
  if (rk_load_acquire_u32(&route->state) != RK_ROUTE_LIVE) {
    rk_count_dropped(ctx, RK_ERROR_UNKNOWN_KERNEL);
    return RK_ERROR_UNKNOWN_KERNEL;
  }
  rk_global rk_queue_header* inbox = RK_PTR(rk_queue_header, route->inbox_ptr);
  int32_t check = rk_check_outgoing(inbox, type_id, size);
  if (check != RK_SUCCESS) {
    rk_count_dropped(ctx, check);
    return check;
  }
  rk_reservation slot = rk_mpsc_try_claim(inbox);
  if (slot.count == 0u) {
    rk_queue_count_rejected(inbox);
    return RK_ERROR_QUEUE_FULL;
  }
  rk_global rk_msg_header* header = (rk_global rk_msg_header*)rk_queue_slot(inbox, slot.index);
  rk_stamp(ctx, header, type_id, size, target, 0u, RK_MSG_FLAG_K2K);
  header->publish_seq = 0u; /* MPSC slots publish through the sequence array */
  rk_copy_payload((rk_global uint8_t*)header + RK_MSG_HEADER_SIZE, payload, size);
  rk_mpsc_publish(inbox, slot.index);
  /* Wake the target if it parked (cpu_sim); GPU kernels poll. */
  rk_global rk_control_block* target_control = RK_PTR(rk_control_block, route->control_ptr);
  if (target_control != 0) rk_ring_doorbell(&target_control->kernel_doorbell, &target_control->kernel_parked);
  return RK_SUCCESS;
}

/* K2K send that waits while the target's inbox is full (backpressure along a pipeline).
 * Do not use it in a cycle of kernels that all wait on each other. A target that
 * terminates while we wait ends the wait with RK_ERROR_UNKNOWN_KERNEL. */
RK_INLINE int32_t rk_send_to_kernel_wait(rk_ctx* ctx, uint32_t target, uint32_t type_id, const void* payload,
                                         uint32_t size) {
  uint32_t round = 0u;
  for (;;) {
    int32_t result = rk_send_to_kernel(ctx, target, type_id, payload, size);
    if (result != RK_ERROR_QUEUE_FULL) return result;
    if (++round < 64u) rk_pause(); else rk_yield();
  }
}

/* Pulls the next K2K message from this kernel's own inbox into private memory, for
 * handlers that wait for a peer inside a message. RK_ERROR_QUEUE_EMPTY when none. The
 * message is consumed here and not delivered to rk_handler again. */
RK_INLINE int32_t rk_try_receive_from_kernel(rk_ctx* ctx, rk_msg_header* header, void* payload,
                                             uint32_t capacity) {
  if (ctx->inbox == 0) return RK_ERROR_UNSUPPORTED;
  rk_reservation slot = rk_mpsc_peek(ctx->inbox);
  if (slot.count == 0u) return RK_ERROR_QUEUE_EMPTY;
  rk_global rk_msg_header* message = (rk_global rk_msg_header*)rk_queue_slot(ctx->inbox, slot.index);
  if (message->payload_size > capacity) return RK_ERROR_MESSAGE_TOO_LARGE;
  *header = *message;
  uint8_t* out = (uint8_t*)payload;
  rk_global const uint8_t* in = (rk_global const uint8_t*)message + RK_MSG_HEADER_SIZE;
  for (uint32_t i = 0; i < message->payload_size; ++i) out[i] = in[i];
  rk_hlc_result merged = rk_hlc_merge(ctx->env->hlc, message->timestamp, rk_clock_ns(), ctx->env->max_clock_skew_ns);
  if (merged.status == RK_SUCCESS) ctx->env->hlc = merged.clock;
  rk_mpsc_release(ctx->inbox, slot.index);
  return merged.status;
}

#endif /* RINGKERNEL_RK_RING_CONTEXT_H */
