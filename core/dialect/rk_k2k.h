/* ringkernel dialect — kernel-to-kernel messaging: sends through the outbox, pulls from
 * the inbox, deferred replies (docs/runtime.md, "K2K").
 *
 * Why an outbox: a handler that waited on a full inbox could not drain its own, so two
 * kernels sending to each other could wait forever. Here a send that finds the target's
 * inbox full (or finds sends already waiting) goes into the sender's outbox (its own SPSC
 * queue, the leader on both ends) and returns. Order per (sender, target) holds. The loop flushes the outbox between messages, keeps draining its inbox
 * meanwhile, and takes no new host input while anything waits there. A send waits only
 * when the outbox itself is full, and then at most k2k_send_timeout_ns.
 *
 * Everything here acts for the calling thread: call it from one thread of the block. */
#ifndef RINGKERNEL_RK_K2K_H
#define RINGKERNEL_RK_K2K_H

/* The loop's block-shared words this uses (RK_LOOP_PULL_*, RK_LOOP_OUTBOX) are listed in
 * rk_ring_context.h with the rest. */

/* The live route to `target`, or 0 (no such id, not launched, or terminated). */
RK_INLINE rk_global rk_k2k_route* rk_k2k_live_route(rk_ctx* ctx, uint32_t target) {
  if (target == RK_KERNEL_ID_HOST || target >= ctx->route_count) return 0;
  rk_global rk_k2k_route* route = &ctx->routes[target];
  return rk_load_acquire_u32(&route->state) == RK_ROUTE_LIVE ? route : 0;
}

RK_INLINE rk_global rk_queue_header* rk_k2k_inbox(rk_global rk_k2k_route* route) {
  return RK_PTR(rk_queue_header, route->inbox_ptr);
}

/* Publishes a filled inbox slot and wakes the target if it parked (cpu_sim; GPUs poll). */
RK_INLINE void rk_k2k_publish(rk_global rk_k2k_route* route, rk_global rk_queue_header* inbox, uint64_t index) {
  rk_mpsc_publish(inbox, index);
  rk_global rk_control_block* target_control = RK_PTR(rk_control_block, route->control_ptr);
  if (target_control != 0) rk_ring_doorbell(&target_control->kernel_doorbell, &target_control->kernel_parked);
}

/* Straight into the target's inbox: RK_SUCCESS, or RK_ERROR_QUEUE_FULL (nothing counted).
 * The size is checked against the inbox written, read once here: a route can be rewritten
 * while live (a kernel that moved back into this runtime takes over the proxy route its
 * earlier move left, whose egress slots are larger), and a send that checked the old inbox
 * then waits in the outbox, where the flush drops it if it does not fit. */
RK_INLINE int32_t rk_k2k_deliver(rk_ctx* ctx, rk_global rk_k2k_route* route, uint32_t target, uint32_t type_id,
                                 rk_payload payload, uint32_t size, uint64_t correlation_id, uint32_t flags) {
  rk_global rk_queue_header* inbox = rk_k2k_inbox(route);
  if (size > inbox->slot_size - RK_MSG_HEADER_SIZE) return RK_ERROR_QUEUE_FULL;
  rk_reservation slot = rk_mpsc_try_claim(inbox);
  if (slot.count == 0u) return RK_ERROR_QUEUE_FULL;
  rk_global rk_msg_header* header = (rk_global rk_msg_header*)rk_queue_slot(inbox, slot.index);
  rk_stamp(ctx, header, type_id, size, target, correlation_id, flags);
  header->publish_seq = 0u; /* MPSC slots publish through the sequence array */
  rk_copy_payload((rk_global uint8_t*)header + RK_MSG_HEADER_SIZE, payload, size);
  rk_k2k_publish(route, inbox, slot.index);
  return RK_SUCCESS;
}

/* A message already stamped in the outbox, copied into the target's inbox as it is.
 * RK_ERROR_MESSAGE_TOO_LARGE: its route changed since it was sent (see rk_k2k_deliver) and
 * it does not fit the inbox it leads to now. */
RK_INLINE int32_t rk_k2k_deliver_waiting(rk_global rk_k2k_route* route, rk_global const rk_msg_header* waiting) {
  rk_global rk_queue_header* inbox = rk_k2k_inbox(route);
  if (waiting->payload_size > inbox->slot_size - RK_MSG_HEADER_SIZE) return RK_ERROR_MESSAGE_TOO_LARGE;
  rk_reservation slot = rk_mpsc_try_claim(inbox);
  if (slot.count == 0u) return RK_ERROR_QUEUE_FULL;
  /* By 8-byte words (slots are 64-byte multiples, so the rounded-up tail stays inside
   * both): a byte loop here, inlined into the ring loop, makes llvm-spirv 14 emit blocks
   * before their dominators (spirv-val rejects it). */
  rk_global uint64_t* to = (rk_global uint64_t*)rk_queue_slot(inbox, slot.index);
  rk_global const uint64_t* from = (rk_global const uint64_t*)waiting;
  uint32_t words = (RK_MSG_HEADER_SIZE + waiting->payload_size + 7u) / 8u;
  for (uint32_t i = 0; i < words; ++i) to[i] = from[i];
  rk_k2k_publish(route, inbox, slot.index);
  return RK_SUCCESS;
}

/* ---- the outbox ---------------------------------------------------------------------- */

#define RK_OUTBOX_DELIVERED 0u    /* dest_kernel of a slot already delivered (K2K never targets the host) */
#define RK_OUTBOX_MAX_BLOCKED 4u  /* full targets one flush pass steps around */

/* Mirrors the number of waiting sends into the env, where the host reads it (status). */
RK_INLINE void rk_outbox_set_waiting(rk_ctx* ctx, uint64_t waiting) {
  ctx->loop[RK_LOOP_OUTBOX] = waiting;
  rk_store_relaxed_u32(&ctx->env->outbox_waiting, (uint32_t)waiting);
}

/* 1 when `target` is one of the first `count` entries of `blocked`. */
RK_INLINE int rk_outbox_is_blocked(const uint32_t* blocked, uint32_t count, uint32_t target) {
  int found = 0;
  for (uint32_t b = 0u; b < count; ++b) found = found || blocked[b] == target;
  return found;
}

/* The set of targets the waiting sends are for (at most RK_OUTBOX_MAX_BLOCKED, else not
 * known) lets a flush pass stop once each of them has refused: what follows is for full
 * inboxes only. Without it, every send behind a full inbox re-read every waiting slot, and
 * a producer that outran its consumer spent its core scanning (a third of this 2-core
 * machine in the cross-process throughput bench). */
RK_INLINE void rk_outbox_note_target(rk_ctx* ctx, uint32_t target) {
  rk_shared uint64_t* w = ctx->loop;
  rk_shared uint32_t* targets = (rk_shared uint32_t*)(w + RK_LOOP_OUTBOX_TARGETS);
  uint64_t count = w[RK_LOOP_OUTBOX] == 0u ? 0u : w[RK_LOOP_OUTBOX_TARGET_COUNT];
  int known = count == RK_OUTBOX_TARGETS_UNKNOWN;
  for (uint32_t t = 0u; t < RK_OUTBOX_MAX_BLOCKED; ++t) known = known || (t < count && targets[t] == target);
  if (!known) {
    if (count < RK_OUTBOX_MAX_BLOCKED) targets[count] = target;
    w[RK_LOOP_OUTBOX_TARGET_COUNT] = count < RK_OUTBOX_MAX_BLOCKED ? count + 1u : RK_OUTBOX_TARGETS_UNKNOWN;
  }
}

/* Moves waiting sends into their targets' inboxes, oldest first. A target whose inbox is
 * full is stepped around: its later messages wait too (order per sender and target
 * holds), while messages to other targets go on, so one full inbox does not hold up the
 * rest. Delivered slots are marked and the head moves past the leading ones. A target
 * that went away meanwhile drops what waited for it (counted). Returns how many wait.
 * When the waiting sends' targets are known, the pass ends once all of them refused. */
RK_INLINE uint64_t rk_outbox_flush(rk_ctx* ctx) {
  rk_global rk_queue_header* outbox = ctx->outbox;
  uint64_t waiting_count = ctx->loop[RK_LOOP_OUTBOX];
  if (waiting_count == 0u) return 0u;
  uint64_t head = rk_load_relaxed_u64(&outbox->head); /* ours: the leader is both ends */
  uint64_t tail = rk_load_relaxed_u64(&outbox->tail);
  uint32_t blocked[RK_OUTBOX_MAX_BLOCKED];
  uint32_t blocked_count = 0u;
  uint64_t oldest_waiting = tail;
  uint64_t index = head;
  uint64_t known_targets = ctx->loop[RK_LOOP_OUTBOX_TARGET_COUNT];
  uint32_t max_blocked = known_targets != 0u && known_targets < RK_OUTBOX_MAX_BLOCKED ? (uint32_t)known_targets
                                                                                     : RK_OUTBOX_MAX_BLOCKED;
  while (index < tail && blocked_count < max_blocked) {
    rk_global rk_msg_header* waiting = (rk_global rk_msg_header*)rk_queue_slot(outbox, index);
    uint32_t target = waiting->dest_kernel;
    if (target != RK_OUTBOX_DELIVERED && !rk_outbox_is_blocked(blocked, blocked_count, target)) {
      rk_global rk_k2k_route* route = rk_k2k_live_route(ctx, target);
      int delivered = 1;
      int32_t result = route == 0 ? RK_ERROR_UNKNOWN_KERNEL : rk_k2k_deliver_waiting(route, waiting);
      if (result == RK_ERROR_UNKNOWN_KERNEL || result == RK_ERROR_MESSAGE_TOO_LARGE) rk_count_dropped(ctx, result);
      else delivered = result == RK_SUCCESS;
      if (delivered) {
        waiting->dest_kernel = RK_OUTBOX_DELIVERED;
        waiting_count -= 1u;
      } else {
        blocked[blocked_count] = target;
        blocked_count += 1u;
      }
    }
    if (waiting->dest_kernel != RK_OUTBOX_DELIVERED && oldest_waiting == tail) oldest_waiting = index;
    index += 1u;
  }
  if (oldest_waiting == tail) oldest_waiting = index; /* a pass cut short leaves the rest unseen */
  if (oldest_waiting != head) rk_spsc_release(outbox, oldest_waiting);
  if (index == tail) { /* a whole pass: what still waits is for the targets that refused */
    rk_shared uint32_t* targets = (rk_shared uint32_t*)(ctx->loop + RK_LOOP_OUTBOX_TARGETS);
    for (uint32_t b = 0u; b < blocked_count; ++b) targets[b] = blocked[b];
    ctx->loop[RK_LOOP_OUTBOX_TARGET_COUNT] = blocked_count;
  }
  rk_outbox_set_waiting(ctx, waiting_count);
  return waiting_count;
}

/* Queues a send behind the others: RK_SUCCESS (counted as deferred) or RK_ERROR_QUEUE_FULL
 * when the outbox is full or its slots are too small for this payload. */
RK_INLINE int32_t rk_outbox_put(rk_ctx* ctx, uint32_t target, uint32_t type_id, rk_payload payload, uint32_t size,
                                uint64_t correlation_id, uint32_t flags) {
  rk_global rk_queue_header* outbox = ctx->outbox;
  if (size > outbox->slot_size - RK_MSG_HEADER_SIZE) return RK_ERROR_QUEUE_FULL;
  rk_reservation slot = rk_spsc_try_reserve(outbox, 1u);
  if (slot.count == 0u) return RK_ERROR_QUEUE_FULL;
  rk_global rk_msg_header* header = (rk_global rk_msg_header*)rk_queue_slot(outbox, slot.index);
  rk_copy_payload((rk_global uint8_t*)header + RK_MSG_HEADER_SIZE, payload, size);
  rk_stamp(ctx, header, type_id, size, target, correlation_id, flags);
  header->publish_seq = 0u;
  rk_spsc_publish(outbox, slot.index + 1u);
  rk_outbox_note_target(ctx, target);
  rk_outbox_set_waiting(ctx, ctx->loop[RK_LOOP_OUTBOX] + 1u);
  rk_add_u64_single_writer(&ctx->env->k2k_deferred, 1u);
  return RK_SUCCESS;
}

/* ---- sending -------------------------------------------------------------------------- */

/* One attempt: RK_SUCCESS (delivered, or queued in the outbox), RK_ERROR_QUEUE_FULL (the
 * outbox is full too; nothing counted), or a refusal that retrying cannot fix (counted). */
RK_INLINE int32_t rk_k2k_send(rk_ctx* ctx, uint32_t target, uint32_t type_id, rk_payload payload, uint32_t size,
                              uint64_t correlation_id, uint32_t flags) {
  rk_global rk_k2k_route* route = rk_k2k_live_route(ctx, target);
  if (route == 0) {
    rk_count_dropped(ctx, RK_ERROR_UNKNOWN_KERNEL);
    return RK_ERROR_UNKNOWN_KERNEL;
  }
  int32_t check = rk_check_outgoing(rk_k2k_inbox(route)->slot_size, type_id, size);
  if (check != RK_SUCCESS) {
    rk_count_dropped(ctx, check);
    return check;
  }
  if (rk_outbox_flush(ctx) == 0u &&
      rk_k2k_deliver(ctx, route, target, type_id, payload, size, correlation_id, flags) == RK_SUCCESS)
    return RK_SUCCESS;
  return rk_outbox_put(ctx, target, type_id, payload, size, correlation_id, flags);
}

/* The sender gave up: counted once, on both sides (docs/queues.md). */
RK_INLINE void rk_k2k_count_refused(rk_ctx* ctx, uint32_t target) {
  rk_add_u64_single_writer(&ctx->env->k2k_refused, 1u);
  rk_count_dropped(ctx, RK_ERROR_QUEUE_FULL);
  rk_global rk_k2k_route* route = rk_k2k_live_route(ctx, target);
  if (route != 0) rk_queue_count_rejected(rk_k2k_inbox(route));
}

/* Retries while the outbox is full, flushing it, for up to timeout_ns. With a copied ring
 * block (RK_RELAUNCH_COPY) a peer runs only in a launch of its own, after this one, so
 * waiting cannot make room: the send gives up at once (counted as refused). */
RK_INLINE int32_t rk_k2k_send_within(rk_ctx* ctx, uint32_t target, uint32_t type_id, rk_payload payload,
                                     uint32_t size, uint64_t correlation_id, uint32_t flags, int64_t timeout_ns) {
#ifdef RK_RELAUNCH_COPY
  timeout_ns = 0;
#endif
  int64_t deadline = 0;
  uint32_t round = 0u;
  for (;;) {
    int32_t result = rk_k2k_send(ctx, target, type_id, payload, size, correlation_id, flags);
    if (result != RK_ERROR_QUEUE_FULL) return result;
    int64_t now = rk_clock_ns();
    if (deadline == 0) {
      deadline = timeout_ns > 0x3FFFFFFFFFFFFFFF - now ? 0x3FFFFFFFFFFFFFFF : now + timeout_ns;
    } else if (now >= deadline) {
      rk_k2k_count_refused(ctx, target);
      return RK_ERROR_TIMEOUT;
    }
    rk_wait_for_room(ctx, &round);
  }
}

/* K2K send. RK_SUCCESS when delivered into the target's inbox, or queued in this kernel's
 * outbox because the inbox was full (delivered later, in order). Refusals the handler sees:
 * RK_ERROR_QUEUE_FULL (the outbox is full as well: counted as refused and dropped),
 * RK_ERROR_UNKNOWN_KERNEL (no such id, not launched, or terminated), RK_ERROR_MESSAGE_TOO_LARGE,
 * RK_ERROR_UNKNOWN_MESSAGE_TYPE (counted in messages_dropped). Never waits. */
RK_INLINE int32_t rk_send_to_kernel_payload(rk_ctx* ctx, uint32_t target, uint32_t type_id, rk_payload payload,
                                            uint32_t size) {
  int32_t result = rk_k2k_send(ctx, target, type_id, payload, size, 0u, RK_MSG_FLAG_K2K);
  if (result == RK_ERROR_QUEUE_FULL) rk_k2k_count_refused(ctx, target);
  return result;
}
#define rk_send_to_kernel(ctx, target, type_id, payload, size) \
  rk_send_to_kernel_payload((ctx), (target), (type_id), rk_payload_of(payload), (size))

/* As rk_send_to_kernel, but while the outbox is full it keeps flushing it for up to
 * timeout_ns, then gives up with RK_ERROR_TIMEOUT (counted once as refused). */
#define rk_send_to_kernel_timeout(ctx, target, type_id, payload, size, timeout_ns) \
  rk_k2k_send_within((ctx), (target), (type_id), rk_payload_of(payload), (size), 0u, RK_MSG_FLAG_K2K, (timeout_ns))

/* rk_send_to_kernel_timeout with the kernel's k2k_send_timeout_ns (default 10 s). */
RK_INLINE int32_t rk_send_to_kernel_wait_payload(rk_ctx* ctx, uint32_t target, uint32_t type_id, rk_payload payload,
                                                 uint32_t size) {
  return rk_k2k_send_within(ctx, target, type_id, payload, size, 0u, RK_MSG_FLAG_K2K, ctx->env->k2k_send_timeout_ns);
}
#define rk_send_to_kernel_wait(ctx, target, type_id, payload, size) \
  rk_send_to_kernel_wait_payload((ctx), (target), (type_id), rk_payload_of(payload), (size))

/* ---- pulling from the inbox inside a handler ----------------------------------------- */

/* The next K2K message after the ones this handler already has (never the message being
 * handled), copied into private memory, or RK_ERROR_QUEUE_EMPTY. A pulled message is
 * admitted like any other (types the kernel does not accept are dropped and counted,
 * and the pull moves on), counted as processed, and never handed to rk_handler again.
 * RK_ERROR_MESSAGE_TOO_LARGE when it does not fit `capacity`: it stays for the next pull
 * or the loop. */
RK_INLINE int32_t rk_try_receive_from_kernel(rk_ctx* ctx, rk_msg_header* header, void* payload,
                                             uint32_t capacity) {
  if (ctx->inbox == 0 || ctx->loop == 0) return RK_ERROR_UNSUPPORTED;
  const rk_queue_view* inbox = &ctx->inbox_view;
  int32_t result = RK_ERROR_QUEUE_EMPTY;
  int searching = 1;
  while (searching) {
    uint64_t index = ctx->loop[RK_LOOP_PULL_NEXT];
    rk_global const rk_msg_header* message = (rk_global const rk_msg_header*)rk_view_slot(inbox, index);
    /* Acquire pairs with the producer's publish: the slot is filled before we read it. */
    int ready = rk_load_acquire_u64(&inbox->sequence[index & inbox->mask]) == index + 1u;
    int32_t admitted =
        ready ? rk_admission(ctx, message->type_id, message->payload_size, inbox->slot_size) : RK_ERROR_QUEUE_EMPTY;
    if (!ready) {
      searching = 0;
    } else if (admitted == RK_SUCCESS && message->payload_size > capacity) {
      result = RK_ERROR_MESSAGE_TOO_LARGE;
      searching = 0;
    } else {
      if (admitted == RK_SUCCESS) admitted = rk_merge_clock(ctx, message->timestamp);
      ctx->loop[RK_LOOP_PULL_NEXT] = index + 1u; /* consumed; the loop releases it after the handler */
      if (admitted != RK_SUCCESS) {
        rk_count_refused_message(ctx, admitted);
      } else {
        *header = *message;
        uint8_t* out = (uint8_t*)payload;
        rk_global const uint8_t* in = (rk_global const uint8_t*)message + RK_MSG_HEADER_SIZE;
#ifdef rk_copy_generic_bytes
        rk_copy_generic_bytes(out, in, message->payload_size);
#else
        for (uint32_t i = 0; i < message->payload_size; ++i) out[i] = in[i];
#endif
        int64_t pulled_ns = rk_clock_ns();
#ifdef RK_TRACE
        rk_trace_put(ctx->trace, ctx->loop + RK_LOOP_TRACE, RK_TRACE_PULLED, header->message_id, header->correlation_id,
                     header->source_kernel, header->dest_kernel, header->type_id, RK_SUCCESS, rk_loop_hlc(ctx),
                     pulled_ns, pulled_ns);
#endif
        rk_account_message(ctx, message->sent_ns, 0, pulled_ns, RK_SUCCESS);
        result = RK_SUCCESS;
        searching = 0;
      }
    }
  }
  return result;
}

/* ---- deferred replies ------------------------------------------------------------------ */

/* Where a reply to a message goes: keep it (in rk_state, say) and answer later. */
typedef struct rk_reply_to {
  uint64_t correlation_id; /* rk_correlation_of the request */
  uint32_t kernel_id;      /* RK_KERNEL_ID_HOST: the host's output queue; else the requesting kernel */
  uint32_t valid;          /* 1 once filled */
} rk_reply_to;

RK_INLINE rk_reply_to rk_reply_to_make(uint64_t correlation_id, uint64_t message_id, uint32_t source) {
  rk_reply_to to;
  to.correlation_id = rk_correlation_of(correlation_id, message_id);
  to.kernel_id = source;
  to.valid = 1u;
  return to;
}

/* The reply address of the message being handled (from the loop's words: the loop read
 * its header once). */
RK_INLINE rk_reply_to rk_reply_address(rk_ctx* ctx) {
  rk_reply_to to;
  to.correlation_id = ctx->loop[RK_LOOP_REPLY_CORRELATION];
  to.kernel_id = (uint32_t)ctx->loop[RK_LOOP_REPLY_SOURCE];
  to.valid = 1u;
  return to;
}

/* The reply address of a message rk_try_receive_from_kernel handed over. */
RK_INLINE rk_reply_to rk_reply_address_of(const rk_msg_header* pulled) {
  return rk_reply_to_make(pulled->correlation_id, pulled->message_id, pulled->source_kernel);
}

/* Answers a kept address, from any later handler: to the host's output queue (waiting for
 * room), or to the requesting kernel's inbox (as rk_send_to_kernel_wait), with the
 * request's correlation id and RK_MSG_FLAG_REPLY. RK_ERROR_INVALID_ARGUMENT for an
 * address never filled. */
RK_INLINE int32_t rk_reply_later_payload(rk_ctx* ctx, rk_reply_to to, uint32_t type_id, rk_payload payload,
                                         uint32_t size) {
  if (to.valid != 1u) return RK_ERROR_INVALID_ARGUMENT;
  if (to.kernel_id == RK_KERNEL_ID_HOST)
    return rk_output_message_wait(ctx, type_id, payload, size, to.correlation_id, RK_MSG_FLAG_REPLY);
  return rk_k2k_send_within(ctx, to.kernel_id, type_id, payload, size, to.correlation_id,
                            RK_MSG_FLAG_K2K | RK_MSG_FLAG_REPLY, ctx->env->k2k_send_timeout_ns);
}
#define rk_reply_later(ctx, to, type_id, payload, size) \
  rk_reply_later_payload((ctx), (to), (type_id), rk_payload_of(payload), (size))

#endif /* RINGKERNEL_RK_K2K_H */
