/* ringkernel dialect — hybrid logical clock (physical ns + logical counter + node id).
 * Value-based so it works in every address space. Rules (Kulkarni et al.):
 *   tick (local or send):  pt' = max(pt, now); l' = (pt' == pt) ? l + 1 : 0
 *   merge (receive):       pt' = max(pt, remote.pt, now); l' from whichever is largest
 * A remote clock further ahead of `now` than max_skew, or a logical counter that would
 * wrap, is RK_ERROR_CLOCK_SKEW and leaves the clock unchanged: an error, never a wrap. */
#ifndef RINGKERNEL_RK_HLC_OPS_H
#define RINGKERNEL_RK_HLC_OPS_H

typedef struct rk_hlc_result {
  rk_hlc clock;
  int32_t status; /* RK_SUCCESS or RK_ERROR_CLOCK_SKEW */
  uint32_t reserved0;
} rk_hlc_result;

RK_INLINE rk_hlc_result rk_hlc_result_of(rk_hlc clock, int32_t status) {
  rk_hlc_result r;
  r.clock = clock;
  r.status = status;
  r.reserved0 = 0u;
  return r;
}

RK_INLINE rk_hlc_result rk_hlc_tick(rk_hlc clock, int64_t now_ns) {
  rk_hlc next = clock;
  if (now_ns > clock.physical_ns) {
    next.physical_ns = now_ns;
    next.logical = 0u;
  } else {
    if (clock.logical == 0xFFFFFFFFu) return rk_hlc_result_of(clock, RK_ERROR_CLOCK_SKEW);
    next.logical = clock.logical + 1u;
  }
  return rk_hlc_result_of(next, RK_SUCCESS);
}

RK_INLINE rk_hlc_result rk_hlc_merge(rk_hlc clock, rk_hlc remote, int64_t now_ns, int64_t max_skew_ns) {
  if (remote.physical_ns - now_ns > max_skew_ns) return rk_hlc_result_of(clock, RK_ERROR_CLOCK_SKEW);
  int64_t physical = clock.physical_ns;
  if (remote.physical_ns > physical) physical = remote.physical_ns;
  if (now_ns > physical) physical = now_ns;
  uint32_t logical = 0u;
  uint32_t base = 0u;
  int from_clock = physical == clock.physical_ns;
  int from_remote = physical == remote.physical_ns;
  if (from_clock && from_remote) base = clock.logical > remote.logical ? clock.logical : remote.logical;
  else if (from_clock) base = clock.logical;
  else if (from_remote) base = remote.logical;
  if (from_clock || from_remote) {
    if (base == 0xFFFFFFFFu) return rk_hlc_result_of(clock, RK_ERROR_CLOCK_SKEW);
    logical = base + 1u;
  }
  rk_hlc next;
  next.physical_ns = physical;
  next.logical = logical;
  next.node_id = clock.node_id;
  return rk_hlc_result_of(next, RK_SUCCESS);
}

/* -1, 0, 1 ordering by physical time, then logical counter, then node id. */
RK_INLINE int rk_hlc_compare(rk_hlc a, rk_hlc b) {
  if (a.physical_ns != b.physical_ns) return a.physical_ns < b.physical_ns ? -1 : 1;
  if (a.logical != b.logical) return a.logical < b.logical ? -1 : 1;
  if (a.node_id != b.node_id) return a.node_id < b.node_id ? -1 : 1;
  return 0;
}

#endif /* RINGKERNEL_RK_HLC_OPS_H */
