/* ringkernel dialect — lock-free queue operations on rk_queue_header, written once for
 * the host runtime and every device (see docs/queues.md).
 *
 * Indices are 64-bit and only grow; slot i lives at slots_ptr + (i & mask) * slot_size.
 * SPSC (host <-> kernel): the producer owns `tail` and `cached_head`, the consumer owns
 * `head` and `cached_tail`; each side re-reads the other's index only when its cached copy
 * cannot satisfy the request (for want 1: says full / empty), so the other side's line is
 * touched once per batch, not once per message.
 * MPSC (K2K inbox): Vyukov's bounded queue. Producers claim an index with a CAS on `tail`
 * and publish through the slot's sequence number; no lock anywhere.
 *
 * Everything read from the other side is bounds-checked: indices more than one lap apart
 * (or a head past the tail) give count 0 with `corrupt` set, never a slot outside the ring.
 * The `_in` forms take the ring's geometry (capacity; MPSC: also the sequence array)
 * explicitly, so the host runs them on the values it validated and its own mapping; the
 * short forms, which kernels use, read them from the header. */
#ifndef RINGKERNEL_RK_QUEUE_OPS_H
#define RINGKERNEL_RK_QUEUE_OPS_H

/* Address space of block-shared memory (OpenCL: __local); empty where it is generic.
 * Here, in the first dialect header, because every later one may take shared words. */
#ifndef rk_shared
#define rk_shared
#endif

typedef struct rk_reservation {
  uint64_t index;   /* first index reserved (producer) or readable (consumer) */
  uint32_t count;   /* how many; 0 = full (producer) or empty (consumer) */
  uint32_t corrupt; /* 1: the other side's index is out of range; count is then 0 */
} rk_reservation;

/* Release stores in a group: where the prelude has a release fence (rk_fence_release, CUDA)
 * the group is one fence and relaxed stores after it, since on a GPU each system-scope
 * release store is a fence of its own. Elsewhere every store is a release store of its
 * own: the C++ memory model, and TSan on cpu_sim, cannot follow a fence. The stores of a
 * group are ordered after everything before the group, not among themselves. */
#ifdef rk_fence_release
#define rk_release_group_begin() rk_fence_release()
#define rk_store_released_u32(p, v) rk_store_relaxed_u32((p), (v))
#define rk_store_released_u64(p, v) rk_store_relaxed_u64((p), (v))
#else
#define rk_release_group_begin() ((void)0)
#define rk_store_released_u32(p, v) rk_store_release_u32((p), (v))
#define rk_store_released_u64(p, v) rk_store_release_u64((p), (v))
#endif

RK_INLINE rk_reservation rk_reservation_of(uint64_t index, uint32_t count, uint32_t corrupt) {
  rk_reservation r;
  r.index = index;
  r.count = count;
  r.corrupt = corrupt;
  return r;
}

/* ---- both kinds -------------------------------------------------------------------- */

RK_INLINE rk_global uint8_t* rk_queue_slot(rk_global rk_queue_header* q, uint64_t index) {
  return (rk_global uint8_t*)(uintptr_t)(q->slots_ptr + (index & q->mask) * (uint64_t)q->slot_size);
}

/* Messages in flight (MPSC: claimed, published or not), clamped to [0, capacity]. Head is
 * read first: both indices only grow, so a tail read after it is never behind it. */
RK_INLINE uint32_t rk_queue_depth(rk_global rk_queue_header* q) {
  uint64_t head = rk_load_acquire_u64(&q->head);
  uint64_t tail = rk_load_acquire_u64(&q->tail);
  uint64_t depth = tail > head ? tail - head : 0u;
  return depth > (uint64_t)q->capacity ? q->capacity : (uint32_t)depth;
}

/* A counter, nothing is ordered by it (the contract's fetch_add is acq_rel: stronger than
 * needed, and rare: only a caller that gives up on a full queue counts). */
RK_INLINE void rk_queue_count_rejected(rk_global rk_queue_header* q) { rk_fetch_add_u64(&q->rejected_full, 1u); }

/* Free slots from `tail` when the consumer is at `head`. In unsigned arithmetic the result
 * exceeds capacity exactly when the indices are corrupt (more than a lap apart, or head
 * past tail). */
RK_INLINE rk_reservation rk_queue_free_span(uint64_t tail, uint64_t head, uint32_t capacity, uint32_t want) {
  uint64_t free_slots = (uint64_t)capacity - (tail - head);
  if (free_slots > (uint64_t)capacity) return rk_reservation_of(tail, 0u, 1u);
  return rk_reservation_of(tail, free_slots < (uint64_t)want ? (uint32_t)free_slots : want, 0u);
}

/* Filled slots from `head` when the producer is at `tail`; more than a lap is corrupt. */
RK_INLINE rk_reservation rk_queue_filled_span(uint64_t head, uint64_t tail, uint32_t capacity, uint32_t want) {
  uint64_t filled = tail - head;
  if (filled > (uint64_t)capacity) return rk_reservation_of(head, 0u, 1u);
  return rk_reservation_of(head, filled < (uint64_t)want ? (uint32_t)filled : want, 0u);
}

/* ---- SPSC ------------------------------------------------------------------------- */

/* Up to `want` free slots from the returned index. Fill them, then publish once. */
RK_INLINE rk_reservation rk_spsc_try_reserve_in(rk_global rk_queue_header* q, uint32_t capacity, uint32_t want) {
  /* Relaxed: tail and cached_head are written by this producer only. */
  uint64_t tail = rk_load_relaxed_u64(&q->tail);
  uint64_t cached_free = (uint64_t)capacity - (tail - rk_load_relaxed_u64(&q->cached_head));
  if (cached_free <= (uint64_t)capacity && cached_free >= (uint64_t)want) return rk_reservation_of(tail, want, 0u);
  /* The cache falls short: ask. Acquire pairs with the consumer's release of head, so it
   * has finished reading the slots we are about to overwrite. */
  uint64_t head = rk_load_acquire_u64(&q->head);
  rk_store_relaxed_u64(&q->cached_head, head);
  return rk_queue_free_span(tail, head, capacity, want);
}

/* Release: the slot contents become visible before the new tail does. Publishing once
 * after filling several slots is the batch publish: one store for the whole batch. */
RK_INLINE void rk_spsc_publish(rk_global rk_queue_header* q, uint64_t new_tail) {
  rk_store_release_u64(&q->tail, new_tail);
}

/* Up to `want` filled slots from the returned index. Read them, then release once. */
RK_INLINE rk_reservation rk_spsc_peek_in(rk_global rk_queue_header* q, uint32_t capacity, uint32_t want) {
  /* Relaxed: head and cached_tail are written by this consumer only. */
  uint64_t head = rk_load_relaxed_u64(&q->head);
  uint64_t cached_filled = rk_load_relaxed_u64(&q->cached_tail) - head;
  if (cached_filled <= (uint64_t)capacity && cached_filled >= (uint64_t)want) return rk_reservation_of(head, want, 0u);
  /* The cache falls short: ask. Acquire pairs with the producer's release of tail, so the
   * slots are filled. */
  uint64_t tail = rk_load_acquire_u64(&q->tail);
  rk_store_relaxed_u64(&q->cached_tail, tail);
  return rk_queue_filled_span(head, tail, capacity, want);
}

/* Release: our reads of the slots finish before the producer may overwrite them. */
RK_INLINE void rk_spsc_release(rk_global rk_queue_header* q, uint64_t new_head) {
  rk_store_release_u64(&q->head, new_head);
}

RK_INLINE rk_reservation rk_spsc_try_reserve(rk_global rk_queue_header* q, uint32_t want) {
  return rk_spsc_try_reserve_in(q, q->capacity, want);
}

RK_INLINE rk_reservation rk_spsc_peek(rk_global rk_queue_header* q, uint32_t want) {
  return rk_spsc_peek_in(q, q->capacity, want);
}

/* ---- SPSC message queues (ring input and output) ----------------------------------- */
/* Slots that hold an rk_msg_header are also published through the header's publish_seq,
 * stored last with release. The consumer then learns that a message is there from the
 * line it has to read anyway, instead of first fetching the producer's tail line and
 * then the header: one cache-line transfer (over PCIe, one round trip) fewer per message.
 * The tail is still published after it, for depth and drain checks. A stale publish_seq
 * is from a lap earlier and never equals the expected value (capacity < 2^32). The
 * consumer never reads the tail here, so a corrupt tail cannot point it anywhere. */

RK_INLINE uint32_t rk_msg_publish_seq(uint64_t index) { return (uint32_t)(index + 1u); }

/* Publishes the message in slot `index`, whose header is at `header` (filled, header and
 * payload), and the tail after it. The host passes the slot it computed from its own copy
 * of the geometry. */
RK_INLINE void rk_spsc_publish_msg_at(rk_global rk_queue_header* q, rk_global rk_msg_header* header, uint64_t index) {
  /* In one release group: the tail may then be seen before publish_seq, never before the
   * message; whoever goes by the tail alone (depth, drain checks) reads no slot on it
   * without its publish_seq. */
  rk_release_group_begin();
  rk_store_released_u32(&header->publish_seq, rk_msg_publish_seq(index));
  rk_store_released_u64(&q->tail, index + 1u);
}

RK_INLINE void rk_spsc_publish_msg(rk_global rk_queue_header* q, uint64_t index) {
  rk_spsc_publish_msg_at(q, (rk_global rk_msg_header*)rk_queue_slot(q, index), index);
}

/* Up to `want` consecutive published messages from head (as rk_spsc_peek), on geometry
 * the caller vouches for: the host passes its own copy of capacity, slot size and the
 * slots' address, so a device that scribbles over the header cannot point it elsewhere.
 * head and cached_tail are the consumer's own words. */
/* How many consecutive messages from `head` on (up to `want`) are published, by their
 * publish_seq alone. */
RK_INLINE uint32_t rk_spsc_published_from(rk_global uint8_t* slots, uint32_t capacity, uint32_t slot_size,
                                          uint64_t head, uint32_t want) {
  uint32_t count = 0u;
  while (count < want) {
    /* Acquire pairs with the producer's release of publish_seq: the message is complete. */
    uint64_t index = head + count;
    rk_global rk_msg_header* header =
        (rk_global rk_msg_header*)(slots + (index & ((uint64_t)capacity - 1u)) * (uint64_t)slot_size);
    if (rk_load_acquire_u32(&header->publish_seq) != rk_msg_publish_seq(index)) break;
    ++count;
  }
  return count;
}

RK_INLINE rk_reservation rk_spsc_peek_msg_in(rk_global rk_queue_header* q, uint32_t capacity,
                                             rk_global uint8_t* slots, uint32_t slot_size, uint32_t want) {
  uint64_t head = rk_load_relaxed_u64(&q->head);
  uint64_t cached_filled = rk_load_relaxed_u64(&q->cached_tail) - head;
  if (cached_filled <= (uint64_t)capacity && cached_filled >= (uint64_t)want) return rk_reservation_of(head, want, 0u);
  uint32_t count = rk_spsc_published_from(slots, capacity, slot_size, head, want);
  if (count != 0u) rk_store_relaxed_u64(&q->cached_tail, head + count);
  return rk_reservation_of(head, count, 0u);
}

/* The kernel's form: geometry from the header. */
RK_INLINE rk_reservation rk_spsc_peek_msg(rk_global rk_queue_header* q, uint32_t want) {
  return rk_spsc_peek_msg_in(q, q->capacity, (rk_global uint8_t*)(uintptr_t)q->slots_ptr, q->slot_size, want);
}

/* ---- MPSC ------------------------------------------------------------------------- */
/* sequence[i & (capacity - 1)] == i: free for index i; == i + 1: index i published;
 * == i + capacity: index i consumed, free for index i + capacity. */

RK_INLINE rk_global uint64_t* rk_mpsc_sequences(rk_global rk_queue_header* q) {
  return (rk_global uint64_t*)(uintptr_t)q->sequence_ptr;
}

/* count 1: `index` is ours to fill, then rk_mpsc_publish it. count 0: full (or corrupt). */
RK_INLINE rk_reservation rk_mpsc_try_claim_in(rk_global rk_queue_header* q, rk_global uint64_t* sequence,
                                              uint32_t capacity) {
  uint64_t mask = (uint64_t)capacity - 1u;
  uint64_t pos = rk_load_relaxed_u64(&q->tail); /* a hint: the CAS decides */
  for (;;) {
    /* Acquire: the consumer's reads of this slot (its release of sequence) are done. */
    int64_t lag = (int64_t)(rk_load_acquire_u64(&sequence[pos & mask]) - pos);
    if (lag < 0) return rk_reservation_of(pos, 0u, 0u); /* a lap behind: full */
    if (lag == 0 && rk_cas_u64(&q->tail, pos, pos + 1u)) return rk_reservation_of(pos, 1u, 0u);
    uint64_t tail = rk_load_relaxed_u64(&q->tail);
    /* lag > 0 means pos was claimed, so the tail has moved past it; if not, the sequence
     * array is corrupt and retrying would spin forever. */
    if (lag > 0 && tail <= pos) return rk_reservation_of(pos, 0u, 1u);
    pos = tail; /* another producer won pos; try where the tail is now */
  }
}

/* Release: the slot's contents before its sequence number says "published". */
RK_INLINE void rk_mpsc_publish_in(rk_global uint64_t* sequence, uint32_t capacity, uint64_t index) {
  rk_store_release_u64(&sequence[index & ((uint64_t)capacity - 1u)], index + 1u);
}

/* count 1: the slot at head is published and may be read. */
RK_INLINE rk_reservation rk_mpsc_peek_in(rk_global rk_queue_header* q, rk_global uint64_t* sequence,
                                         uint32_t capacity) {
  uint64_t head = rk_load_relaxed_u64(&q->head); /* ours */
  /* Acquire: pairs with the producer's release in publish, so the slot is filled. */
  uint64_t seq = rk_load_acquire_u64(&sequence[head & ((uint64_t)capacity - 1u)]);
  return rk_reservation_of(head, seq == head + 1u ? 1u : 0u, 0u);
}

/* Release (both stores): our reads of the slot finish before a producer a lap ahead claims
 * it; head only feeds rk_queue_depth. */
RK_INLINE void rk_mpsc_release_in(rk_global rk_queue_header* q, rk_global uint64_t* sequence, uint32_t capacity,
                                  uint64_t index) {
  rk_store_release_u64(&sequence[index & ((uint64_t)capacity - 1u)], index + (uint64_t)capacity);
  rk_store_release_u64(&q->head, index + 1u);
}

RK_INLINE rk_reservation rk_mpsc_try_claim(rk_global rk_queue_header* q) {
  return rk_mpsc_try_claim_in(q, rk_mpsc_sequences(q), q->capacity);
}

RK_INLINE void rk_mpsc_publish(rk_global rk_queue_header* q, uint64_t index) {
  rk_mpsc_publish_in(rk_mpsc_sequences(q), q->capacity, index);
}

RK_INLINE rk_reservation rk_mpsc_peek(rk_global rk_queue_header* q) {
  return rk_mpsc_peek_in(q, rk_mpsc_sequences(q), q->capacity);
}

RK_INLINE void rk_mpsc_release(rk_global rk_queue_header* q, uint64_t index) {
  rk_mpsc_release_in(q, rk_mpsc_sequences(q), q->capacity, index);
}

#endif /* RINGKERNEL_RK_QUEUE_OPS_H */
