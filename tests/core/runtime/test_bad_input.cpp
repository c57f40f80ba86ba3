// Bad input gets a clear error, is counted, and corrupts nothing.
#include <cstring>
#include <string>
#include <vector>

#include "ring_test_support.hpp"

using namespace ringtest;

namespace {

bool mentions(const char* needle) { return std::string(rk_last_error()).find(needle) != std::string::npos; }

rk_kernel_options options_for(const rk::KernelSpec& spec) {
  rk_kernel_options o{};
  o.struct_size = sizeof(o);
  o.name = spec.name.c_str();
  o.source = spec.source.c_str();
  return o;
}

}  // namespace

TEST_CASE("oversize and unknown-type messages are rejected and counted", "[bad-input]") {
  rk::KernelSpec spec = echo_spec("bad_types");
  spec.accepted_types = {Ping::type_id};
  spec.max_payload_size = 16;
  rk::Kernel k = runtime().launch(spec);
  std::vector<uint8_t> big(17, 0);
  CHECK(rk_kernel_send(k.get(), Ping::type_id, big.data(), 17, nullptr, nullptr) == RK_ERROR_MESSAGE_TOO_LARGE);
  CHECK(mentions("max_payload_size"));
  CHECK(rk_kernel_send(k.get(), 77, big.data(), 8, nullptr, nullptr) == RK_ERROR_UNKNOWN_MESSAGE_TYPE);
  CHECK(mentions("77"));
  CHECK(rk_kernel_send(k.get(), 0, big.data(), 8, nullptr, nullptr) == RK_ERROR_UNKNOWN_MESSAGE_TYPE);
  CHECK(k.telemetry().messages_dropped == 3);
  CHECK(k.request<Pong>(Ping{1}).value == 2);  // the queue is intact
}

TEST_CASE("a kernel rejects K2K messages of types it does not accept", "[bad-input]") {
  rk::KernelSpec target = echo_spec("bad_k2k_target");
  target.accepted_types = {Ping::type_id};
  rk::Kernel t = runtime().launch(target);
  rk::KernelSpec sender;
  sender.name = "bad_k2k_sender";
  sender.peers = {"bad_k2k_target"};
  sender.source = R"(
RK_INLINE int32_t rk_handler(rk_ctx* ctx, rk_global const rk_msg_header* msg, rk_global const uint8_t* payload) {
  (void)msg; (void)payload;
  uint64_t v = 0u;
  return rk_send_to_kernel(ctx, rk_peer(ctx, 0), 99u, &v, 8u);  /* type 99: not accepted */
})";
  rk::Kernel s = runtime().launch(sender);
  s.send(Ping{0});
  s.terminate();
  t.terminate();
  rk_telemetry tt = t.telemetry();
  CHECK(tt.messages_processed == 0);
  CHECK(tt.messages_dropped == 1);
  CHECK(tt.error_code == RK_ERROR_UNKNOWN_MESSAGE_TYPE);
  CHECK(t.status().errors_encountered == 1);
}

TEST_CASE("a handler that does not compile returns the compiler's log", "[bad-input]") {
  rk::KernelSpec spec;
  spec.name = "bad_compile";
  spec.source = "RK_INLINE int32_t rk_handler(rk_ctx* ctx) { return this_is_not_defined; }";
  rk_kernel_options o = options_for(spec);
  rk_kernel k = nullptr;
  CHECK(rk_kernel_create(runtime().get(), &o, &k) == RK_ERROR_COMPILE_FAILED);
  CHECK(mentions("this_is_not_defined"));
  CHECK(k == nullptr);
}

TEST_CASE("invalid kernel options are refused with a reason", "[bad-input]") {
  rk::KernelSpec spec = echo_spec("bad_options");
  rk_kernel k = nullptr;
  rk_kernel_options o = options_for(spec);
  o.input_capacity = 100;
  CHECK(rk_kernel_create(runtime().get(), &o, &k) == RK_ERROR_INVALID_ARGUMENT);
  CHECK(mentions("power of two"));
  o = options_for(spec);
  o.grid_size = 4;
  CHECK(rk_kernel_create(runtime().get(), &o, &k) == RK_ERROR_UNSUPPORTED);
  CHECK(mentions("one block"));
  o = options_for(spec);
  o.name = "";
  CHECK(rk_kernel_create(runtime().get(), &o, &k) == RK_ERROR_INVALID_ARGUMENT);
  rk::Kernel first = runtime().launch(spec);
  o = options_for(spec);
  CHECK(rk_kernel_create(runtime().get(), &o, &k) == RK_ERROR_INVALID_ARGUMENT);
  CHECK(mentions("already exists"));
}

TEST_CASE("sending to a kernel that is not launched is an error", "[bad-input]") {
  rk::KernelSpec spec = echo_spec("bad_not_launched");
  rk_kernel_options o = options_for(spec);
  rk_kernel handle = nullptr;
  REQUIRE(rk_kernel_create(runtime().get(), &o, &handle) == RK_SUCCESS);
  rk::Kernel k(handle);
  CHECK(k.try_send(Ping{0}) == RK_ERROR_INVALID_STATE);
  CHECK(mentions("launch it"));
  CHECK(rk_kernel_send(nullptr, 1, nullptr, 0, nullptr, nullptr) == RK_ERROR_INVALID_ARGUMENT);
}

TEST_CASE("a timestamp beyond the allowed clock skew is refused by the kernel and counted", "[bad-input][hlc]") {
  rk::Kernel k = runtime().launch(echo_spec("bad_skew"));
  rk_slot slot{};
  REQUIRE(rk_kernel_reserve(k.get(), Ping::type_id, sizeof(Ping), RK_WAIT_FOREVER, &slot) == RK_SUCCESS);
  Ping ping{5};
  std::memcpy(slot.payload, &ping, sizeof(ping));
  slot.header->timestamp.physical_ns += int64_t{3600} * 1'000'000'000;  // an hour ahead: forged or broken clock
  const int64_t forged = slot.header->timestamp.physical_ns;  // the slot is the kernel's after commit
  REQUIRE(rk_kernel_commit(k.get(), &slot, nullptr) == RK_SUCCESS);
  CHECK(k.request<Pong>(Ping{1}).value == 2);  // the next, honest message still goes through
  rk_telemetry t = telemetry_after(k, 1);
  CHECK(t.messages_processed == 1);
  CHECK(t.messages_dropped == 1);
  CHECK(k.status().errors_encountered == 1);
  rk_hlc kernel_clock_bound{};
  REQUIRE(rk_runtime_hlc_now(runtime().get(), &kernel_clock_bound) == RK_SUCCESS);
  CHECK(kernel_clock_bound.physical_ns < forged);  // the forged time did not leak into the clocks
}
