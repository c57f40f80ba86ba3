/* ringkernel dialect — hybrid logical clock (physical ns + logical counter + node id).
 * Value-based so it works in every address space. Rules (Kulkarni et al., 2014):
 *   tick (local or send):  pt' = max(pt, now); l' = (pt' == pt) ? l + 1 : 0
 *   merge (receive):       pt' = max(pt, remote.pt, now);
 *                          l'  = 1 + the largest l among the clocks whose pt equals pt',
 *                                0 when only `now` reached pt'
 * A remote clock further ahead of `now` than max_skew, or a logical counter that would
 * wrap, is RK_ERROR_CLOCK_SKEW and leaves the clock unchanged: an error, never a wrap.
 * Results keep the clock's own node_id. */
#ifndef RINGKERNEL_RK_HLC_OPS_H
#define RINGKERNEL_RK_HLC_OPS_H

#define RK_HLC_LOGICAL_MAX 0xFFFFFFFFu

typedef struct rk_hlc_result {
  rk_hlc clock;   /* the new clock; the old one when status is not RK_SUCCESS */
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

RK_INLINE rk_hlc rk_hlc_make(int64_t physical_ns, uint32_t logical, uint32_t node_id) {
  rk_hlc clock;
  clock.physical_ns = physical_ns;
  clock.logical = logical;
  clock.node_id = node_id;
  return clock;
}

RK_INLINE rk_hlc_result rk_hlc_tick(rk_hlc clock, int64_t now_ns) {
  if (now_ns > clock.physical_ns) return rk_hlc_result_of(rk_hlc_make(now_ns, 0u, clock.node_id), RK_SUCCESS);
  /* The wall clock stood still or stepped back: order by the counter. */
  if (clock.logical == RK_HLC_LOGICAL_MAX) return rk_hlc_result_of(clock, RK_ERROR_CLOCK_SKEW);
  return rk_hlc_result_of(rk_hlc_make(clock.physical_ns, clock.logical + 1u, clock.node_id), RK_SUCCESS);
}

/* 1 when `remote` is further ahead of `now` than max_skew. The difference is taken in
 * unsigned arithmetic: a hostile remote time cannot overflow it. Negative skew means 0. */
RK_INLINE int rk_hlc_too_far_ahead(int64_t remote_ns, int64_t now_ns, int64_t max_skew_ns) {
  if (remote_ns <= now_ns) return 0;
  uint64_t ahead = (uint64_t)remote_ns - (uint64_t)now_ns;
  return ahead > (uint64_t)(max_skew_ns > 0 ? max_skew_ns : 0);
}

RK_INLINE rk_hlc_result rk_hlc_merge(rk_hlc clock, rk_hlc remote, int64_t now_ns, int64_t max_skew_ns) {
  if (rk_hlc_too_far_ahead(remote.physical_ns, now_ns, max_skew_ns)) return rk_hlc_result_of(clock, RK_ERROR_CLOCK_SKEW);
  int64_t physical = clock.physical_ns > remote.physical_ns ? clock.physical_ns : remote.physical_ns;
  if (now_ns > physical) return rk_hlc_result_of(rk_hlc_make(now_ns, 0u, clock.node_id), RK_SUCCESS);
  uint32_t base = 0u;
  if (clock.physical_ns == physical) base = clock.logical;
  if (remote.physical_ns == physical && remote.logical > base) base = remote.logical;
  if (base == RK_HLC_LOGICAL_MAX) return rk_hlc_result_of(clock, RK_ERROR_CLOCK_SKEW);
  return rk_hlc_result_of(rk_hlc_make(physical, base + 1u, clock.node_id), RK_SUCCESS);
}

/* -1, 0, 1: ordered by physical time, then logical counter, then node id (a total order). */
RK_INLINE int rk_hlc_compare(rk_hlc a, rk_hlc b) {
  if (a.physical_ns != b.physical_ns) return a.physical_ns < b.physical_ns ? -1 : 1;
  if (a.logical != b.logical) return a.logical < b.logical ? -1 : 1;
  if (a.node_id != b.node_id) return a.node_id < b.node_id ? -1 : 1;
  return 0;
}

#endif /* RINGKERNEL_RK_HLC_OPS_H */
