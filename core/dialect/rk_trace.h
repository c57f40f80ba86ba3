/* ringkernel dialect — message traces (docs/observability.md, "Message traces").
 *
 * Compiled in only where the runtime puts `#define RK_TRACE 1` in front of the source: a
 * kernel created with RK_KERNEL_TRACE, or every kernel under RINGKERNEL_TRACE=FILE.
 * Without it this header is empty and the ring loop is what it is untraced.
 *
 * The loop's leader writes a record per handler run (rk_ring_loop.h), per message sent
 * (rk_stamp) and per message pulled (rk_try_receive_from_kernel) into the kernel's
 * rk_trace_ring. It never waits for the host: a full ring counts the record as dropped.
 * As with the loop's other words, what only the kernel writes (tail, dropped) lives in
 * block-shared words and is stored through, never read back across the bus; the host's
 * head is read again only when the copy last seen says the ring is full. */
#ifndef RINGKERNEL_RK_TRACE_H
#define RINGKERNEL_RK_TRACE_H

#ifdef RK_TRACE

/* The writer's words, at RK_LOOP_TRACE among the loop's block-shared words. */
#define RK_TRACE_TAIL 0
#define RK_TRACE_HEAD_SEEN 1
#define RK_TRACE_DROPPED 2
#define RK_TRACE_MASK 3
#define RK_TRACE_RECORDS 4
#define RK_TRACE_WORDS 5

/* At loop start (and after a relaunch): the ring as the last run left it. No loop here:
 * rk_loop_words_load calls it first, before its own loops (llvm-spirv 14, see there). */
RK_INLINE void rk_trace_words_load(rk_global rk_trace_ring* ring, rk_shared uint64_t* words) {
  words[RK_TRACE_TAIL] = rk_load_relaxed_u64(&ring->tail);
  words[RK_TRACE_HEAD_SEEN] = rk_load_acquire_u64(&ring->head);
  words[RK_TRACE_DROPPED] = rk_load_relaxed_u64(&ring->dropped);
  words[RK_TRACE_MASK] = ring->mask;
  words[RK_TRACE_RECORDS] = ring->records_ptr;
}

/* One record, or one more dropped. The fields come as values: the caller has them in
 * registers (a header read once, or one it is writing), and reading them back from the
 * slot would cost a bus round trip each on a GPU. */
RK_INLINE void rk_trace_put(rk_global rk_trace_ring* ring, rk_shared uint64_t* words, uint32_t kind,
                            uint64_t message_id, uint64_t correlation_id, uint32_t source, uint32_t dest,
                            uint32_t type_id, int32_t result, rk_hlc clock, int64_t start_ns, int64_t end_ns) {
  uint64_t tail = words[RK_TRACE_TAIL];
  uint64_t mask = words[RK_TRACE_MASK];
  if (tail - words[RK_TRACE_HEAD_SEEN] > mask) {
    /* Acquire pairs with the host's release of head: it has copied those records out. */
    words[RK_TRACE_HEAD_SEEN] = rk_load_acquire_u64(&ring->head);
  }
  if (tail - words[RK_TRACE_HEAD_SEEN] > mask) {
    words[RK_TRACE_DROPPED] = words[RK_TRACE_DROPPED] + 1u;
    rk_store_relaxed_u64(&ring->dropped, words[RK_TRACE_DROPPED]);
    return;
  }
  rk_global rk_trace_record* record = (rk_global rk_trace_record*)(uintptr_t)words[RK_TRACE_RECORDS] + (tail & mask);
  record->message_id = message_id;
  record->correlation_id = correlation_id;
  record->source_kernel = source;
  record->dest_kernel = dest;
  record->type_id = type_id;
  record->result = result;
  record->hlc_physical_ns = clock.physical_ns;
  record->hlc_logical = clock.logical;
  record->kind = kind;
  record->start_ns = start_ns;
  record->end_ns = end_ns;
  words[RK_TRACE_TAIL] = tail + 1u;
  rk_store_release_u64(&ring->tail, tail + 1u); /* the record is complete before the host sees it */
}

#endif /* RK_TRACE */

#endif /* RINGKERNEL_RK_TRACE_H */
