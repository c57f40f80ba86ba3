/* ringkernel dialect — the persistent ring loop, written once for every backend.
 *
 * One block runs the loop. Thread 0 (the leader) polls the control block, takes the next
 * message (host input first in a batch, then the K2K inbox, alternating), validates it,
 * and broadcasts it through block-shared memory; every thread runs rk_handler; the leader
 * then releases the slot and updates counters, HLC and telemetry. The loop exits once
 * should_terminate is set and both queues are drained: terminate never loses an accepted
 * message. Asked to park instead (RK_STOP_PARK), it exits at the next message boundary
 * with every queue, the outbox and the state as they are, and a relaunch goes on from
 * there. Idle waits spin, then yield, then park on the control block's doorbell. */
#ifndef RINGKERNEL_RK_RING_LOOP_H
#define RINGKERNEL_RK_RING_LOOP_H

#define RK_LOOP_IDLE 0u
#define RK_LOOP_MESSAGE 1u
#define RK_LOOP_EXIT 2u
#define RK_LOOP_PARK 3u /* exit relaunchable: RK_STOP_PARK */

#define RK_LOOP_FROM_INPUT 0u
#define RK_LOOP_FROM_INBOX 1u

/* Input slots peeked at once, released together. A prelude may set it lower: on a GPU,
 * where the slots sit across the bus, looking one slot past the last message costs a
 * round trip on the critical path, and releasing per message is a posted store. */
#ifndef RK_LOOP_INPUT_BATCH
#define RK_LOOP_INPUT_BATCH 32u
#endif
#define RK_LOOP_SPIN_ROUNDS 64u
/* Idle rounds before the loop parks (RK_CAN_PARK); a prelude whose rk_yield is a short
 * busy loop rather than a system call sets more (PoCL with RK_OPENCL_HOST_FUTEX). */
#ifndef RK_LOOP_YIELD_ROUNDS
#define RK_LOOP_YIELD_ROUNDS 256u
#endif
#define RK_LOOP_OUTBOX_SPIN_ROUNDS 32u /* with sends waiting in the outbox: see rk_loop_idle */
#define RK_LOOP_OUTBOX_SPIN_FLOOR 2u   /* the fewest it adapts down to (one retry) */
#define RK_LOOP_PARK_NS 50000000    /* 50 ms: doorbells wake us sooner; this bounds a missed wake */

/* Elastic kernels (docs/runtime.md, "Idle exit and time slices"): the runtime defines
 * RK_IDLE_EXIT_NS and/or RK_MAX_RUN_NS for a kernel created with idle_exit_ns/max_run_ns.
 * The loop then leaves by itself, relaunchable, as a parked one does: after that long
 * without a message (nothing waiting in its outbox), or after running that long (at a
 * message boundary). Never while asked to terminate: a draining loop runs to the end.
 * The host launches it again when work comes (core/runtime/elastic.hpp).
 *
 * RK_RELAUNCH_COPY (the relaunch-copy bridge mode, core/runtime/copy_mode.hpp): the
 * runtime's kernels run one launch at a time, so a peer this loop waits for runs only
 * after it leaves, and the host writes only between launches. So a launch leaves as soon
 * as it finds nothing to take (a drain too, then launched again, still draining), and
 * every launch ends within RK_MAX_RUN_NS whatever it waits for. */
#if defined(RK_RELAUNCH_COPY) && !(defined(RK_IDLE_EXIT_NS) && defined(RK_MAX_RUN_NS))
#error "RK_RELAUNCH_COPY needs RK_IDLE_EXIT_NS and RK_MAX_RUN_NS"
#endif
#ifdef RK_RELAUNCH_COPY
#define RK_LOOP_BOUNDED_LAUNCH 1
#else
#define RK_LOOP_BOUNDED_LAUNCH 0
#endif
#if defined(RK_IDLE_EXIT_NS) || defined(RK_MAX_RUN_NS)
#define RK_LOOP_ELASTIC 1
#endif
#ifdef RK_IDLE_EXIT_NS /* an idle park never sleeps past the idle exit */
#define RK_LOOP_IDLE_PARK_NS (RK_IDLE_EXIT_NS < RK_LOOP_PARK_NS ? RK_IDLE_EXIT_NS : RK_LOOP_PARK_NS)
#else
#define RK_LOOP_IDLE_PARK_NS RK_LOOP_PARK_NS
#endif

/* The leader's private cursor over the input batch it has peeked. */
typedef struct rk_loop_cursor {
  uint64_t batch_next;  /* next input index to hand out */
  uint64_t batch_end;   /* one past the last peeked index: the input head once the batch is released */
  uint32_t prefer_inbox;
  uint32_t idle_rounds;
  uint32_t outbox_spin; /* flush retries before a yield while sends wait (rk_loop_idle) */
  uint64_t outbox_seen; /* sends waiting at the last of those retries; 0: the last round did not retry */
#if RK_HAS_BUSY_ASSIST
  uint64_t output_offered; /* the output tail when the loop last offered it (rk_loop_offer_output) */
#endif
#ifdef RK_LOOP_ELASTIC
  int64_t run_started;  /* rk_clock_ns() when this launch began */
  int64_t idle_since;   /* when the loop last found nothing to do; 0 while busy */
  uint32_t took;        /* 1 once this launch took a message: a time slice always makes progress */
#endif
} rk_loop_cursor;

typedef struct rk_loop_step {
  uint32_t command;
  uint32_t source;
  uint64_t index;
  uint64_t slot;         /* device address of the message header */
  rk_msg_header header;  /* the leader's copy of it, read once (RK_LOOP_MESSAGE) */
  int64_t admitted_ns;   /* the clock when it was admitted: also its handler's start */
} rk_loop_step;

/* Checks a message before any thread sees it; merges its HLC timestamp. The one clock
 * reading serves the merge and, in *now, the handler's start, which follows within the
 * loop's own dispatch: on cpu_sim a reading costs about as much as the loop's other work
 * on a message (docs/benchmarks.md, "Where a round trip goes"). */
RK_INLINE int32_t rk_loop_admit(rk_ctx* ctx, const rk_msg_header* header, uint32_t slot_size, int64_t* now) {
  int32_t admitted = rk_admission(ctx, header->type_id, header->payload_size, slot_size);
  if (admitted != RK_SUCCESS) return admitted;
  *now = rk_clock_ns();
  return rk_merge_clock_at(ctx, header->timestamp, *now);
}

/* Where a handler's pulls start (rk_k2k.h): after the message being handled when it came
 * from the inbox (it sits at the head until released), else at the head. */
RK_INLINE void rk_loop_open_pulls(rk_ctx* ctx, uint32_t source, uint64_t index) {
  if (ctx->inbox == 0) return;
  uint64_t first = source == RK_LOOP_FROM_INBOX ? index : ctx->loop[RK_LOOP_INBOX_HEAD];
  ctx->loop[RK_LOOP_PULL_FIRST] = first;
  ctx->loop[RK_LOOP_PULL_NEXT] = source == RK_LOOP_FROM_INBOX ? index + 1u : first;
}

/* Frees inbox slot `index`, the one at the head (the loop's copy of it moves on). */
RK_INLINE void rk_loop_release_inbox(rk_ctx* ctx, uint64_t index) {
  rk_mpsc_release_in(ctx->inbox, ctx->inbox_view.sequence, ctx->inbox_view.capacity, index);
  ctx->loop[RK_LOOP_INBOX_HEAD] = index + 1u;
}

/* Releases the inbox slots the handler consumed, its own message and its pulls, in order.
 * The bounds are read once and the head word written once, after the loop: a loop that
 * stores to shared memory it also tests makes llvm-spirv 14 place its exit before its
 * body (spirv-val rejects it). */
RK_INLINE void rk_loop_close_pulls(rk_ctx* ctx) {
  if (ctx->inbox == 0) return;
  uint64_t first = ctx->loop[RK_LOOP_PULL_FIRST];
  uint64_t next = ctx->loop[RK_LOOP_PULL_NEXT];
  for (uint64_t i = first; i < next; ++i)
    rk_mpsc_release_in(ctx->inbox, ctx->inbox_view.sequence, ctx->inbox_view.capacity, i);
  if (next > first) ctx->loop[RK_LOOP_INBOX_HEAD] = next;
}

RK_INLINE void rk_loop_release(rk_ctx* ctx, rk_loop_cursor* cursor, uint32_t source, uint64_t index) {
  if (source == RK_LOOP_FROM_INBOX) {
    rk_loop_release_inbox(ctx, index);
  } else if (index + 1u == cursor->batch_end) {
    rk_spsc_release(ctx->input, cursor->batch_end); /* the whole batch at once */
  }
}

RK_INLINE rk_loop_step rk_loop_take_input(rk_ctx* ctx, rk_loop_cursor* cursor) {
  rk_loop_step step;
  step.command = RK_LOOP_IDLE;
  step.admitted_ns = 0;
  if (cursor->batch_next == cursor->batch_end) {
    /* The head is the cursor's (the loop is the only consumer); publish_seq alone says
     * what is there, so neither the host's tail nor the queue header is read. */
    const rk_queue_view* in = &ctx->input_view;
    uint32_t count = rk_spsc_published_from(in->slots, in->capacity, in->slot_size, cursor->batch_end, RK_LOOP_INPUT_BATCH);
    if (count == 0u) return step;
    cursor->batch_end += count;
    /* The batch found is the depth seen: reading the host's tail here would cost a
     * cache-line (or PCIe) round trip on every message's critical path. */
    rk_store_relaxed_u32((rk_global uint32_t*)&ctx->telemetry->queue_depth, count);
  }
  step.command = RK_LOOP_MESSAGE;
  step.source = RK_LOOP_FROM_INPUT;
  step.index = cursor->batch_next++;
  step.slot = (uint64_t)(uintptr_t)rk_view_slot(&ctx->input_view, step.index);
  return step;
}

RK_INLINE rk_loop_step rk_loop_take_inbox(rk_ctx* ctx) {
  rk_loop_step step;
  step.command = RK_LOOP_IDLE;
  step.admitted_ns = 0;
  if (ctx->inbox == 0) return step;
  const rk_queue_view* inbox = &ctx->inbox_view;
  uint64_t head = ctx->loop[RK_LOOP_INBOX_HEAD];
  /* Acquire pairs with the producer's release in publish (rk_mpsc_peek, on the loop's head). */
  if (rk_load_acquire_u64(&inbox->sequence[head & inbox->mask]) != head + 1u) return step;
  step.command = RK_LOOP_MESSAGE;
  step.source = RK_LOOP_FROM_INBOX;
  step.index = head;
  step.slot = (uint64_t)(uintptr_t)rk_view_slot(inbox, head);
  return step;
}

/* Takes the next message, alternating sources so neither starves the other. While sends
 * wait in the outbox, only the inbox is read: draining it is what lets a peer make room,
 * and new host input could only add more sends (rk_k2k.h). */
#if RK_LOOP_BOUNDED_LAUNCH
/* Whether a copied launch may take a message now. Peers run in launches of their own and
 * the host reads the output between launches, so a message taken now must find room for
 * what it sends within this launch: nothing is taken while the output is full, nor while
 * the outbox is (its sends would be refused at once). Unless the outbox has stayed full
 * for k2k_send_timeout_ns: then the kernels' queues form a full cycle that no launch can
 * untie, and the loop drains its inbox, its sends refused, as a waiting send gives up
 * after that long with a shared block. */
RK_INLINE int rk_loop_copied_may_take(rk_ctx* ctx, uint64_t outbox_waiting) {
  if (rk_output_reserve(ctx).count == 0u) return 0;
  rk_global uint32_t* since = &ctx->env->outbox_full_since_ms;
  rk_global rk_queue_header* outbox = ctx->outbox;
  uint64_t used = rk_load_relaxed_u64(&outbox->tail) - rk_load_relaxed_u64(&outbox->head);
  if (outbox_waiting == 0u || used < (uint64_t)outbox->capacity) {
    rk_store_relaxed_u32(since, 0u);
    return 1;
  }
  uint32_t now_ms = (uint32_t)(rk_clock_ns() / 1000000) | 1u;
  uint32_t first = rk_load_relaxed_u32(since);
  if (first == 0u) {
    rk_store_relaxed_u32(since, now_ms);
    first = now_ms;
  }
  return (uint64_t)(uint32_t)(now_ms - first) * 1000000u >= (uint64_t)ctx->env->k2k_send_timeout_ns;
}
#endif

RK_INLINE rk_loop_step rk_loop_take(rk_ctx* ctx, rk_loop_cursor* cursor) {
#if RK_LOOP_BOUNDED_LAUNCH
  if (!rk_loop_copied_may_take(ctx, rk_outbox_flush(ctx))) {
    rk_loop_step none;
    none.command = RK_LOOP_IDLE;
    return none;
  }
#endif
  if (rk_outbox_flush(ctx) != 0u) return rk_loop_take_inbox(ctx);
  cursor->prefer_inbox ^= 1u;
  rk_loop_step step = cursor->prefer_inbox ? rk_loop_take_inbox(ctx) : rk_loop_take_input(ctx, cursor);
  if (step.command == RK_LOOP_IDLE)
    step = cursor->prefer_inbox ? rk_loop_take_input(ctx, cursor) : rk_loop_take_inbox(ctx);
  return step;
}

RK_INLINE int rk_loop_drained(rk_ctx* ctx, rk_loop_cursor* cursor) {
  if (cursor->batch_next != cursor->batch_end) return 0;
  if (rk_outbox_flush(ctx) != 0u) return 0;
  if (rk_queue_depth(ctx->input) != 0u) return 0;
  return ctx->inbox == 0 || rk_queue_depth(ctx->inbox) == 0u;
}

/* Spin, then yield, then park on the doorbell (where the backend can sleep, RK_CAN_PARK;
 * elsewhere keep yielding, which on a GPU is a short sleep between polls). The doorbell
 * value is read before the kernel_parked flag is raised and the queues rechecked, so a host
 * that publishes and then bumps the doorbell either is seen by the recheck or makes the
 * park return at once. */
RK_INLINE void rk_loop_idle(rk_ctx* ctx, rk_loop_cursor* cursor) {
  uint32_t round = ++cursor->idle_rounds;
#if RK_CAN_PARK
  if (ctx->loop[RK_LOOP_OUTBOX] != 0u) {
    /* Sends wait for peers to drain. A peer running on another core drains within a
     * microsecond or so: retry the flush for a few rounds first (all-to-all with 2-slot
     * inboxes on 2 cores: 0.71 -> 0.8-0.96 M msg/s, docs/benchmarks.md). Then give the
     * core to the peers (host input, paused meanwhile, must not keep us spinning), and
     * retry the flush soon rather than sleep. */
    uint64_t waiting = ctx->loop[RK_LOOP_OUTBOX];
    /* A flush went through between two retries (or a message came while the loop spun,
     * rk_loop_poll): a peer runs beside us, so the retries pay; all of them again. */
    if (waiting < cursor->outbox_seen) {
      cursor->outbox_spin = RK_LOOP_OUTBOX_SPIN_ROUNDS;
      cursor->idle_rounds = round = 1u; /* counted from the last progress: only retries that move nothing halve them */
    }
    if (round < cursor->outbox_spin) {
      cursor->outbox_seen = waiting;
      rk_pause();
      return;
    }
    /* The retries moved nothing: the peers are not running beside us (on one core they
     * cannot while we spin: 0.62 -> 0.98 M msg/s there, docs/benchmarks.md). Half as many
     * next time, down to a floor that still lets a retry see a peer that runs again. */
    if (round <= RK_LOOP_OUTBOX_SPIN_ROUNDS && cursor->outbox_spin > RK_LOOP_OUTBOX_SPIN_FLOOR) cursor->outbox_spin /= 2u;
    cursor->outbox_seen = 0u;
    cursor->idle_rounds = RK_LOOP_SPIN_ROUNDS;
    rk_yield();
    return;
  }
#endif
  if (round < RK_LOOP_SPIN_ROUNDS) {
    if (!rk_idle_assist(ctx)) rk_pause();
    return;
  }
#if RK_CAN_PARK
  if (round < RK_LOOP_YIELD_ROUNDS) {
    if (!rk_idle_assist(ctx)) rk_yield();
    return;
  }
  rk_global rk_control_block* control = ctx->control;
  uint32_t seen = rk_load_acquire_u32(&control->kernel_doorbell);
  rk_store_release_u32(&control->kernel_parked, 1u);
  rk_fence_seq_cst();
  int work = rk_queue_depth(ctx->input) != 0u || (ctx->inbox != 0 && rk_queue_depth(ctx->inbox) != 0u);
  if (!work && rk_load_acquire_u32((rk_global uint32_t*)&control->should_terminate) == 0u)
    rk_park_u32(&control->kernel_doorbell, seen, RK_LOOP_IDLE_PARK_NS);
  rk_store_release_u32(&control->kernel_parked, 0u);
#else
  (void)ctx;
  cursor->idle_rounds = RK_LOOP_SPIN_ROUNDS; /* stay in the yield phase; no counter overflow */
  rk_yield();
#endif
}

#if RK_HAS_BUSY_ASSIST
#define RK_LOOP_OFFER_OUTPUT_EVERY 16u
/* Between messages, once RK_LOOP_OFFER_OUTPUT_EVERY messages of output were written since
 * the last offer, the loop offers its time for that output (cpu_sim: the kernel delivers
 * its replies to async consumers itself, docs/bridge.md). Offered only by an idle loop (or
 * a handler waiting for room), replies waited until the input ran dry: a submitter keeping
 * requests in flight then got its window back in one burst per drained input queue, and
 * both sides waited in turn. The host side decides whether a pass is worth it (a batch
 * waiting, no lock busy).
 * Not offered where a callback here is likelier to block what this loop must do next:
 * - more than half the input queue taken: a callback that sends to this kernel cannot
 *   wait for room (this thread makes it) and is refused at once (half free when the pass
 *   begins makes room likelier, not certain: the submitter goes on, and a pass may run
 *   many callbacks);
 * - K2K messages waiting in the inbox or sends in the outbox: a callback blocked on a
 *   peer's full input would wait for a peer that may itself wait for this kernel's inbox
 *   (the idle loop offers nothing while its outbox waits, either). */
RK_INLINE void rk_loop_offer_output(rk_ctx* ctx, rk_loop_cursor* cursor) {
  uint64_t written = ctx->loop[RK_LOOP_OUTPUT_TAIL];
  if (written - cursor->output_offered < RK_LOOP_OFFER_OUTPUT_EVERY) return;
  cursor->output_offered = written; /* offered or not, the next look is 16 messages on */
  if (ctx->loop[RK_LOOP_OUTBOX] != 0u || (ctx->inbox != 0 && rk_queue_depth(ctx->inbox) != 0u)) return;
  /* Is the slot half a queue past the head published? Then more than half is taken. The
   * host's tail is not read: that line is the host's on every send, and reading it here
   * cost 64 requests in flight 12 %; the slot's line moves to this core later anyway. */
  const rk_queue_view* in = &ctx->input_view;
  uint64_t head = rk_load_relaxed_u64(&ctx->input->head); /* ours: the loop is the consumer */
  if (rk_spsc_published_from(in->slots, in->capacity, in->slot_size, head + in->capacity / 2u, 1u) != 0u) return;
  (void)rk_busy_assist(ctx);
}
#endif

/* Leaving relaunchable (parked, or an elastic kernel's own exit): the handled part of an
 * input batch is given back; the rest stays queued for the relaunch, which starts a fresh
 * batch at the head. */
RK_INLINE rk_loop_step rk_loop_leave_relaunchable(rk_ctx* ctx, rk_loop_cursor* cursor) {
  rk_loop_step step;
  if (cursor->batch_next != cursor->batch_end) rk_spsc_release(ctx->input, cursor->batch_next);
  step.command = RK_LOOP_PARK;
  return step;
}

#ifdef RK_IDLE_EXIT_NS
/* Whether an idle loop has been idle long enough to leave (nothing waits in its outbox).
 * `idle`: this poll found nothing to do; a message starts the idle time over. */
RK_INLINE int rk_loop_idle_exit(rk_ctx* ctx, rk_loop_cursor* cursor, int idle) {
  if (!idle) {
    cursor->idle_since = 0;
    return 0;
  }
  /* The spin phase reads no clock: between the messages of a busy exchange the loop is
   * idle only briefly, and a clock read there would delay the next message. The idle time
   * counts from the end of the spin phase (microseconds late). */
  if (cursor->idle_rounds < RK_LOOP_SPIN_ROUNDS) return 0;
  int64_t now = rk_clock_ns();
  if (cursor->idle_since == 0) cursor->idle_since = now;
  return now - cursor->idle_since >= RK_IDLE_EXIT_NS && (RK_LOOP_BOUNDED_LAUNCH || ctx->loop[RK_LOOP_OUTBOX] == 0u);
}
#endif

/* The leader's poll: the next valid message, idle, or exit. Invalid messages are counted
 * and released here; no thread ever runs the handler on them. */
RK_INLINE rk_loop_step rk_loop_poll(rk_ctx* ctx, rk_loop_cursor* cursor) {
  for (;;) {
    rk_loop_step step;
    step.command = RK_LOOP_IDLE;
    step.admitted_ns = 0;
    /* Relaxed: on a GPU these are reads across PCIe, and acquire loads would each wait for
     * the one before, then hold up the queue poll after them. Only terminate orders
     * anything (the drain check must see every message published before it), so the
     * rare path that sees it reads it again with acquire (it never goes back to 0). */
    uint32_t terminate = rk_load_relaxed_u32((rk_global uint32_t*)&ctx->control->should_terminate);
    uint32_t active = rk_load_relaxed_u32((rk_global uint32_t*)&ctx->control->is_active);
    if (terminate != 0u) terminate = rk_load_acquire_u32((rk_global uint32_t*)&ctx->control->should_terminate);
    if (terminate == (uint32_t)RK_STOP_PARK) return rk_loop_leave_relaunchable(ctx, cursor);
#ifdef RK_MAX_RUN_NS /* a time slice ends between messages, before the next is taken */
    /* Bounded: once it has looked for work at least once (it took some, or found none). */
    if ((RK_LOOP_BOUNDED_LAUNCH ? (cursor->took != 0u || cursor->idle_rounds != 0u)
                                : (terminate == 0u && cursor->took != 0u)) &&
        rk_clock_ns() - cursor->run_started >= RK_MAX_RUN_NS)
      return rk_loop_leave_relaunchable(ctx, cursor);
#endif
    if (active != 0u || terminate != 0u) step = rk_loop_take(ctx, cursor);
#ifdef RK_IDLE_EXIT_NS
    if (terminate == 0u && rk_loop_idle_exit(ctx, cursor, step.command == RK_LOOP_IDLE))
      return rk_loop_leave_relaunchable(ctx, cursor);
#endif
    if (step.command == RK_LOOP_IDLE) {
      if (terminate != 0u && rk_loop_drained(ctx, cursor)) {
        step.command = RK_LOOP_EXIT;
      } else if (RK_LOOP_BOUNDED_LAUNCH) {
        /* Nothing arrives during a copied launch (the host writes between launches, peers
         * run in launches of their own): idle now is idle for the rest of it. */
        return rk_loop_leave_relaunchable(ctx, cursor);
      }
      return step;
    }
    if (cursor->idle_rounds != 0u && cursor->idle_rounds < RK_LOOP_SPIN_ROUNDS)
      cursor->outbox_spin = RK_LOOP_OUTBOX_SPIN_ROUNDS; /* it came while we spun: spinning pays */
    cursor->idle_rounds = 0u;
    cursor->outbox_seen = 0u;
#ifdef RK_LOOP_ELASTIC
    cursor->took = 1u;
#endif
    const rk_queue_view* queue_view = step.source == RK_LOOP_FROM_INBOX ? &ctx->inbox_view : &ctx->input_view;
    /* The header, read once: its fields are then in registers for admission, the clock,
     * the reply address and the accounting, instead of one bus read each on a GPU. */
    step.header = *RK_PTR(const rk_msg_header, step.slot);
    int32_t admitted = rk_loop_admit(ctx, &step.header, queue_view->slot_size, &step.admitted_ns);
    if (admitted == RK_SUCCESS) return step;
    rk_count_refused_message(ctx, admitted);
    rk_loop_release(ctx, cursor, step.source, step.index);
  }
}

RK_INLINE void rk_loop_finish(rk_ctx* ctx, uint32_t how) {
  rk_store_release_u32((rk_global uint32_t*)&ctx->control->has_terminated, how);
  rk_ring_host_doorbell(ctx);
}

RK_KERNEL void rk_ring_main(rk_global rk_ring_env* env) {
  RK_SHARED_ARRAY(uint64_t, rk_broadcast, 3);
  RK_SHARED_ARRAY(uint64_t, rk_scratch_words, RK_RING_SCRATCH_WORDS);
  RK_SHARED_ARRAY(uint64_t, rk_loop_words, RK_LOOP_WORDS);
  rk_ctx ctx = rk_ctx_make(env);
  ctx.scratch = rk_scratch_words;
  ctx.loop = rk_loop_words;
  rk_loop_cursor cursor;
  cursor.batch_next = 0u;
  cursor.batch_end = 0u;
  cursor.prefer_inbox = 0u;
  cursor.idle_rounds = 0u;
  cursor.outbox_spin = RK_LOOP_OUTBOX_SPIN_ROUNDS;
  cursor.outbox_seen = 0u;
#if RK_HAS_BUSY_ASSIST
  cursor.output_offered = 0u;
#endif
#ifdef RK_LOOP_ELASTIC
  cursor.run_started = rk_clock_ns();
  cursor.idle_since = 0;
  cursor.took = 0u;
#endif
  uint32_t exit_as = (uint32_t)RK_TERMINATED_DONE;
  int leader = rk_thread_idx(0) == 0u && rk_thread_idx(1) == 0u && rk_thread_idx(2) == 0u;
  /* A relaunch goes on from the queues, outbox and counters the last run left. */
  if (leader) {
    rk_loop_words_load(&ctx);
    cursor.batch_end = rk_load_relaxed_u64(&ctx.input->head);
    cursor.batch_next = cursor.batch_end;
#if RK_HAS_BUSY_ASSIST
    cursor.output_offered = rk_loop_words[RK_LOOP_OUTPUT_TAIL];
#endif
  }
  for (;;) {
    rk_loop_step step;
    if (leader) {
      step = rk_loop_poll(&ctx, &cursor);
      if (step.command == RK_LOOP_MESSAGE) {
        rk_loop_open_pulls(&ctx, step.source, step.index);
        rk_loop_words[RK_LOOP_REPLY_CORRELATION] = rk_correlation_of(step.header.correlation_id, step.header.message_id);
        rk_loop_words[RK_LOOP_REPLY_SOURCE] = step.header.source_kernel;
      }
      rk_broadcast[0] = step.command;
      rk_broadcast[1] = step.slot;
      rk_broadcast[2] = ((uint64_t)step.source << 63) | step.index;
    }
    rk_sync_threads();
    uint64_t command = rk_broadcast[0];
    rk_global const rk_msg_header* message = RK_PTR(const rk_msg_header, rk_broadcast[1]);
    uint64_t where = rk_broadcast[2];
    rk_sync_threads(); /* everyone has read the broadcast before the leader writes again */
    if (command == RK_LOOP_EXIT || command == RK_LOOP_PARK) {
      exit_as = command == RK_LOOP_PARK ? (uint32_t)RK_TERMINATED_RELAUNCHABLE : (uint32_t)RK_TERMINATED_DONE;
      break;
    }
    if (command == RK_LOOP_IDLE) {
      if (leader) rk_loop_idle(&ctx, &cursor);
      continue;
    }
    ctx.current = message;
    int64_t started_ns = 0;
#ifdef RK_TRACE
    rk_hlc admitted_clock = rk_hlc_make(0, 0u, 0u); /* the leader's: its HLC with the message merged */
#endif
    if (leader) { /* for hang dumps: which message, since when (plain stores, no fence) */
#ifdef RK_TRACE
      admitted_clock = rk_loop_hlc(&ctx);
#endif
      started_ns = step.admitted_ns;
      rk_store_relaxed_u64(&env->handling_message_id, step.header.message_id);
      rk_store_relaxed_u64((rk_global uint64_t*)&env->handling_since_ns, (uint64_t)started_ns);
    }
    int32_t result = rk_handler(&ctx, message, (rk_global const uint8_t*)message + RK_MSG_HEADER_SIZE);
    rk_sync_threads(); /* the slot stays ours until every thread is done with it */
    if (leader) {
      rk_store_relaxed_u64((rk_global uint64_t*)&env->handling_since_ns, 0u);
      int64_t ended_ns = rk_clock_ns();
#ifdef RK_TRACE /* before the processed count: a host that sees the count finds the record */
      rk_trace_put(ctx.trace, ctx.loop + RK_LOOP_TRACE, RK_TRACE_HANDLED, step.header.message_id,
                   step.header.correlation_id, step.header.source_kernel, step.header.dest_kernel, step.header.type_id,
                   result, admitted_clock, started_ns, ended_ns);
#endif
      rk_account_message(&ctx, step.header.sent_ns, started_ns, ended_ns, result);
      if ((uint32_t)(where >> 63) == RK_LOOP_FROM_INPUT)
        rk_loop_release(&ctx, &cursor, RK_LOOP_FROM_INPUT, where & 0x7FFFFFFFFFFFFFFFull);
      rk_loop_close_pulls(&ctx); /* an inbox message is released here, with the handler's pulls */
#if RK_HAS_BUSY_ASSIST
      rk_loop_offer_output(&ctx, &cursor);
#endif
    }
  }
  if (leader) rk_loop_finish(&ctx, exit_as);
}

#endif /* RINGKERNEL_RK_RING_LOOP_H */
