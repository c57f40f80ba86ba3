// rk_runtime_dump (docs/observability.md): a handler that does not return shows up as such,
// with the message it runs on; RINGKERNEL_DUMP_SIGNAL writes the same to stderr.
#include <string>

#include "ring_test_support.hpp"

using namespace ringtest;

namespace {

// Type 1: returns at once. Type 2: stays in the handler until a second message waits in
// the input queue (the test's way of holding a handler "hung" and letting it go again).
const char* const kHoldSource = R"(
RK_INLINE int32_t rk_handler(rk_ctx* ctx, rk_global const rk_msg_header* msg, rk_global const uint8_t* payload) {
  (void)payload;
  if (msg->type_id == 2u)
    while (rk_queue_depth(ctx->input) < 2u) rk_pause();
  return RK_SUCCESS;
}
)";

struct Hold {
  static constexpr uint32_t type_id = 2;
  uint64_t value;
};

}  // namespace

TEST_CASE("dump: a handler that does not return is shown with its message and for how long", "[coherent][dump]") {
  auto rt = own_runtime("cpu_sim");
  rk::KernelSpec spec;
  spec.name = "dump_hold";
  spec.source = kHoldSource;
  rk::Kernel k = rt->launch(spec);
  k.send(Ping{1});
  REQUIRE(wait_until([&] { return k.telemetry().messages_processed == 1; }));
  CHECK(rt->dump().find("between messages") != std::string::npos);

  uint64_t held_id = 0;
  REQUIRE(k.try_send(Hold{7}, 1'000'000'000, &held_id) == RK_SUCCESS);
  REQUIRE(wait_until([&] { return rt->dump().find("HANDLING message") != std::string::npos; }));
  const std::string dump = rt->dump();
  INFO(dump);
  CHECK(dump.find("kernel 'dump_hold'") != std::string::npos);
  CHECK(dump.find("HANDLING message " + std::to_string(held_id) + " for") != std::string::npos);
  CHECK(dump.find("loop running (resident)") != std::string::npos);
  CHECK(dump.find("input   head 1 tail 2 depth 1") != std::string::npos);  // its slot is held until it returns

  k.send(Ping{2});  // lets the handler go
  REQUIRE(wait_until([&] { return k.telemetry().messages_processed == 3; }));
  CHECK(rt->dump().find("between messages") != std::string::npos);
}

TEST_CASE("dump: the buffer protocol is the metrics one", "[dump]") {
  auto rt = own_runtime("cpu_sim");
  size_t size = 0;
  REQUIRE(rk_runtime_dump(rt->get(), nullptr, 0, &size) == RK_SUCCESS);
  CHECK(size > 20);
  CHECK(rk_runtime_dump(rt->get(), nullptr, 0, nullptr) == RK_ERROR_INVALID_ARGUMENT);
}
