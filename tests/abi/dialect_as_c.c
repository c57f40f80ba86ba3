/* The ring loop exactly as a backend receives it (layout + queue/HLC ops + context + a
 * handler + loop), compiled as C99. */
#include "c_prelude.h"
#include "rk_result.h"
#include "rk_ring_layout.h"
#include "rk_queue_ops.h"
#include "rk_hlc_ops.h"
#include "rk_trace.h"
#include "rk_ring_context.h"
#include "rk_k2k.h"

RK_INLINE int32_t rk_handler(rk_ctx* ctx, rk_global const rk_msg_header* msg, rk_global const uint8_t* payload) {
  uint64_t value = *(rk_global const uint64_t*)payload + 1u;
  if (msg->type_id == 2u) return rk_send_to_kernel(ctx, rk_peer(ctx, 0), 2u, &value, 8u);
  return rk_reply(ctx, 1u, &value, 8u);
}

#include "rk_ring_loop.h"
