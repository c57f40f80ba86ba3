// A ring kernel that checks numbered values arrive once and in order, for the tests that
// send to a kernel while something moves (tests/core/runtime/test_migrate,
// tests/distributed). Message types:
//   any but 9  a uint64_t value: counted, and checked to be the one after the last (from 0)
//   9          a report request: answered with type 10 {values received, out of order}
// State: 24 bytes.
#pragma once

namespace rk::test {

inline const char* const kOrderSinkSource = R"(
typedef struct { uint64_t next; uint64_t received; uint64_t out_of_order; } sink_state;
RK_INLINE int32_t rk_handler(rk_ctx* ctx, rk_global const rk_msg_header* msg, rk_global const uint8_t* payload) {
  rk_global sink_state* s = (rk_global sink_state*)rk_state(ctx);
  if (msg->type_id == 9u) {
    uint64_t got[2] = {s->received, s->out_of_order};
    return rk_reply(ctx, 10u, got, 16u);
  }
  uint64_t value = *(rk_global const uint64_t*)payload;
  if (value != s->next) s->out_of_order += 1u;
  s->next = value + 1u;
  s->received += 1u;
  return 0;
}
)";

}  // namespace rk::test
