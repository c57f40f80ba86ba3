// The C++ layer does the ordinary things without dropping to C: sends with a correlation
// id or fewer bytes than the struct, receives of any type, visitors over several types.
#include <string>
#include <type_traits>

#include "ring_test_support.hpp"

using namespace ringtest;

namespace {

// Echoes every message back with its type and payload as they came.
const char* const kMirrorSource = R"(
RK_INLINE int32_t rk_handler(rk_ctx* ctx, rk_global const rk_msg_header* msg, rk_global const uint8_t* payload) {
  return rk_reply(ctx, msg->type_id, payload, msg->payload_size);
}
)";

struct Small {
  static constexpr uint32_t type_id = 3;
  uint32_t value;
};

struct Wide {
  static constexpr uint32_t type_id = 4;
  uint64_t a;
  uint64_t b;
};

}  // namespace

TEST_CASE("C++ sends carry correlation ids and partial payloads; receive_any and receive_visit take any type",
          "[cpp]") {
  rk::Kernel k = runtime().launch({.name = "cpp_mirror", .source = kMirrorSource});

  k.send(Small{7}, rk::SendOptions{.correlation_id = 4242});
  auto first = k.receive_any(30'000'000'000ull);
  REQUIRE(first);
  CHECK(first->header.correlation_id == 4242);
  REQUIRE(first->is<Small>());
  CHECK(first->as<Small>()->value == 7);
  CHECK_FALSE(first->as<Wide>());

  Wide wide{1, 2};
  k.send_bytes(Wide::type_id, &wide, 8);  // only the first field
  auto partial = k.receive_any(30'000'000'000ull);
  REQUIRE(partial);
  CHECK(partial->type_id() == Wide::type_id);
  CHECK(partial->payload.size() == 8);

  k.send(Wide{3, 4});
  k.send(Small{5});
  uint64_t wide_sum = 0;
  uint32_t small_value = 0;
  auto visit = [&](const rk_msg_header&, const auto& message) {
    if constexpr (std::is_same_v<std::decay_t<decltype(message)>, Wide>) wide_sum = message.a + message.b;
    else small_value = message.value;
  };
  CHECK(k.receive_visit<Small, Wide>(visit, 30'000'000'000ull));
  CHECK(k.receive_visit<Small, Wide>(visit, 30'000'000'000ull));
  CHECK(wide_sum == 7);
  CHECK(small_value == 5);

  k.send(Ping{1});  // a type the visitor does not list
  auto visit_unlisted = [&] { return k.receive_visit<Small, Wide>(visit, 30'000'000'000ull); };
  CHECK_THROWS_AS(visit_unlisted(), rk::Error);
  CHECK_FALSE(k.receive_any(0));  // nothing left
}
