/* ringkernel dialect — lock-free queue operations on rk_queue_header, written once for
 * the host runtime and every device.
 *
 * Indices are 64-bit and only grow; slot i lives at slots_ptr + (i & mask) * slot_size.
 * SPSC (host <-> kernel): the producer owns `tail` and `cached_head`, the consumer owns
 * `head` and `cached_tail`; each side re-reads the other's index only when its cached copy
 * says full / empty, so the shared lines are touched once per batch, not per message.
 * MPSC (K2K inbox): Vyukov's bounded queue. Producers claim an index with a CAS on `tail`
 * and publish through the slot's sequence number; no lock anywhere. */
#ifndef RINGKERNEL_RK_QUEUE_OPS_H
#define RINGKERNEL_RK_QUEUE_OPS_H

typedef struct rk_reservation {
  uint64_t index; /* first index reserved / available */
  uint32_t count; /* how many (0 = full, or empty) */
  uint32_t reserved0;
} rk_reservation;

RK_INLINE rk_global uint8_t* rk_queue_slot(rk_global rk_queue_header* q, uint64_t index) {
  return (rk_global uint8_t*)(uintptr_t)(q->slots_ptr + (index & q->mask) * (uint64_t)q->slot_size);
}

/* Messages in flight, clamped to [0, capacity] so a torn read never reports nonsense. */
RK_INLINE uint32_t rk_queue_depth(rk_global rk_queue_header* q) {
  uint64_t head = rk_load_acquire_u64(&q->head);
  uint64_t tail = rk_load_acquire_u64(&q->tail);
  if (tail <= head) return 0u;
  uint64_t depth = tail - head;
  return depth > q->capacity ? q->capacity : (uint32_t)depth;
}

RK_INLINE void rk_queue_count_rejected(rk_global rk_queue_header* q) { rk_fetch_add_u64(&q->rejected_full, 1u); }

RK_INLINE rk_reservation rk_make_reservation(uint64_t index, uint64_t available, uint32_t want) {
  rk_reservation r;
  r.index = index;
  r.count = available < (uint64_t)want ? (uint32_t)available : want;
  r.reserved0 = 0u;
  return r;
}

/* ---- SPSC ------------------------------------------------------------------------- */

RK_INLINE rk_reservation rk_spsc_try_reserve(rk_global rk_queue_header* q, uint32_t want) {
  uint64_t tail = rk_load_relaxed_u64(&q->tail); /* our own index */
  uint64_t head = rk_load_relaxed_u64(&q->cached_head);
  if (tail - head >= (uint64_t)q->capacity) {
    /* Acquire: slots the consumer released are free for us to overwrite. */
    head = rk_load_acquire_u64(&q->head);
    rk_store_relaxed_u64(&q->cached_head, head);
  }
  return rk_make_reservation(tail, (uint64_t)q->capacity - (tail - head), want);
}

/* Release: the slot contents become visible before the new tail. Publishing once after
 * filling several slots is the batch publish. */
RK_INLINE void rk_spsc_publish(rk_global rk_queue_header* q, uint64_t new_tail) {
  rk_store_release_u64(&q->tail, new_tail);
}

RK_INLINE rk_reservation rk_spsc_peek(rk_global rk_queue_header* q, uint32_t want) {
  uint64_t head = rk_load_relaxed_u64(&q->head); /* our own index */
  uint64_t tail = rk_load_relaxed_u64(&q->cached_tail);
  if (tail <= head) {
    /* Acquire: pairs with the producer's release of tail, so the slots are filled. */
    tail = rk_load_acquire_u64(&q->tail);
    rk_store_relaxed_u64(&q->cached_tail, tail);
  }
  uint64_t available = tail > head ? tail - head : 0u;
  if (available > (uint64_t)q->capacity) available = q->capacity; /* never trust the other side past a lap */
  return rk_make_reservation(head, available, want);
}

/* Release: we are done reading the slots before the producer may reuse them. */
RK_INLINE void rk_spsc_release(rk_global rk_queue_header* q, uint64_t new_head) {
  rk_store_release_u64(&q->head, new_head);
}

/* ---- MPSC ------------------------------------------------------------------------- */

RK_INLINE rk_global uint64_t* rk_mpsc_sequence(rk_global rk_queue_header* q, uint64_t index) {
  return (rk_global uint64_t*)(uintptr_t)(q->sequence_ptr + (index & q->mask) * 8u);
}

RK_INLINE rk_reservation rk_mpsc_try_claim(rk_global rk_queue_header* q) {
  uint64_t pos = rk_load_relaxed_u64(&q->tail);
  for (;;) {
    /* Acquire: the consumer's release of this slot (sequence = pos) happened before. */
    uint64_t seq = rk_load_acquire_u64(rk_mpsc_sequence(q, pos));
    int64_t diff = (int64_t)(seq - pos);
    if (diff == 0) {
      if (rk_cas_u64(&q->tail, pos, pos + 1u)) return rk_make_reservation(pos, 1u, 1u);
      pos = rk_load_relaxed_u64(&q->tail);
    } else if (diff < 0) {
      return rk_make_reservation(pos, 0u, 1u); /* full: the consumer has not freed this slot */
    } else {
      pos = rk_load_relaxed_u64(&q->tail); /* another producer took it; try the next */
    }
  }
}

/* Release: the slot's contents before its sequence number says "ready". */
RK_INLINE void rk_mpsc_publish(rk_global rk_queue_header* q, uint64_t index) {
  rk_store_release_u64(rk_mpsc_sequence(q, index), index + 1u);
}

RK_INLINE rk_reservation rk_mpsc_peek(rk_global rk_queue_header* q) {
  uint64_t head = rk_load_relaxed_u64(&q->head);
  uint64_t seq = rk_load_acquire_u64(rk_mpsc_sequence(q, head));
  return rk_make_reservation(head, seq == head + 1u ? 1u : 0u, 1u);
}

RK_INLINE void rk_mpsc_release(rk_global rk_queue_header* q, uint64_t index) {
  rk_store_release_u64(rk_mpsc_sequence(q, index), index + (uint64_t)q->capacity);
  rk_store_release_u64(&q->head, index + 1u);
}

#endif /* RINGKERNEL_RK_QUEUE_OPS_H */
