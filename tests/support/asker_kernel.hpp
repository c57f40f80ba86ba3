// A ring kernel that asks its peer 0 questions and checks the answers, for the tests that
// move it between runtimes while answers are on their way (tests/core/runtime/test_migrate,
// tests/distributed/test_group). Message types:
//   1  {count, first}: send questions first .. first+count-1 (type 4, a uint64_t) to peer 0
//   5  an answer: its first uint64_t is the question + 1; counted, and checked to follow
//      the one before
//   9  a report request: answered with type 10 {answers, answers out of order}
// State: 24 bytes.
#pragma once

namespace rk::test {

inline const char* const kAskerSource = R"(
typedef struct { uint64_t answers; uint64_t last; uint64_t out_of_order; } asker_state;
RK_INLINE int32_t rk_handler(rk_ctx* ctx, rk_global const rk_msg_header* msg, rk_global const uint8_t* payload) {
  rk_global asker_state* s = (rk_global asker_state*)rk_state(ctx);
  if (msg->type_id == 9u) {
    uint64_t got[2] = {s->answers, s->out_of_order};
    return rk_reply(ctx, 10u, got, 16u);
  }
  if (msg->type_id == 5u) {
    uint64_t value = ((rk_global const uint64_t*)payload)[0];  /* the question + 1 */
    if (value != s->last + 1u) s->out_of_order += 1u;
    s->last = value;
    s->answers += 1u;
    return 0;
  }
  uint64_t count = ((rk_global const uint64_t*)payload)[0];
  uint64_t first = ((rk_global const uint64_t*)payload)[1];
  for (uint64_t i = 0u; i < count; ++i) {
    uint64_t value = first + i;
    int32_t sent = rk_send_to_kernel_wait(ctx, rk_peer(ctx, 0), 4u, &value, 8u);
    if (sent != RK_SUCCESS) return sent;
  }
  return 0;
}
)";

}  // namespace rk::test
