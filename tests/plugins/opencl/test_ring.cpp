// Ring kernels on OpenCL through the public API: the assembled ring loop builds as OpenCL
// C, and a persistent kernel answers requests while the host writes its queues in SVM.
#include <chrono>
#include <string>
#include <thread>

#include <catch2/catch_test_macros.hpp>
#include <ringkernel/ringkernel.hpp>

namespace {

struct Ping {
  static constexpr uint32_t type_id = 1;
  uint64_t value;
};

struct Pong {
  static constexpr uint32_t type_id = 2;
  uint64_t value;
  uint64_t seen;
};

const char* const kEchoSource = R"(
typedef struct echo_state { uint64_t handled; } echo_state;
typedef struct ping { uint64_t value; } ping;
typedef struct pong { uint64_t value; uint64_t seen; } pong;
RK_INLINE int32_t rk_handler(rk_ctx* ctx, rk_global const rk_msg_header* msg, rk_global const uint8_t* payload) {
  if (msg->type_id != 1u) return RK_ERROR_UNKNOWN_MESSAGE_TYPE;
  rk_global echo_state* state = (rk_global echo_state*)rk_state(ctx);
  pong out;
  out.value = ((rk_global const ping*)payload)->value + 1u;
  out.seen = state->handled;
  state->handled += 1u;
  return rk_reply(ctx, 2u, &out, (uint32_t)sizeof(out));
}
)";

// Forwards every Ping to its first peer over K2K, untouched.
const char* const kRelaySource = R"(
typedef struct ping { uint64_t value; } ping;
RK_INLINE int32_t rk_handler(rk_ctx* ctx, rk_global const rk_msg_header* msg, rk_global const uint8_t* payload) {
  ping copy;
  copy.value = ((rk_global const ping*)payload)->value;
  return rk_send_to_kernel_wait(ctx, rk_peer(ctx, 0), msg->type_id, &copy, (uint32_t)sizeof(copy));
}
)";

// Echo that answers the host with plain output (K2K messages carry no host correlation).
const char* const kK2kEchoSource = R"(
typedef struct ping { uint64_t value; } ping;
typedef struct pong { uint64_t value; uint64_t seen; } pong;
RK_INLINE int32_t rk_handler(rk_ctx* ctx, rk_global const rk_msg_header* msg, rk_global const uint8_t* payload) {
  pong out;
  out.value = ((rk_global const ping*)payload)->value * 2u;
  out.seen = msg->source_kernel;
  return rk_enqueue_output(ctx, 2u, &out, (uint32_t)sizeof(out));
}
)";

// Issue #15: replies with the incoming payload where it lives (global memory). PoCL has no
// generic address space, so this builds only once rk_ring_context.h defines its senders per
// address space (rk_any, RK_OVERLOADABLE: docs/dialect.md, "Portable subset").
const char* const kPayloadEchoSource = R"(
RK_INLINE int32_t rk_handler(rk_ctx* ctx, rk_global const rk_msg_header* msg, rk_global const uint8_t* payload) {
  return rk_reply(ctx, 2u, payload, msg->payload_size);
}
)";

// The opencl plugin is built with this test: absent is a failure; present without a
// device is a skip that says why.
void require_opencl_device() {
  rk_registry registry = nullptr;
  REQUIRE(rk_registry_default(&registry) == RK_SUCCESS);
  for (uint32_t i = 0; i < rk_registry_plugin_count(registry); ++i) {
    rk_plugin_status s{};
    s.struct_size = sizeof(s);
    REQUIRE(rk_registry_plugin_status(registry, i, &s) == RK_SUCCESS);
    if (std::string(s.name) != "opencl" || s.outcome != RK_PLUGIN_LOADED) continue;
    if (s.device_count == 0) SKIP("no OpenCL device: " << s.detail);
    return;
  }
  FAIL("the opencl plugin did not load (see rk-info)");
}

rk::Runtime& runtime() {
  require_opencl_device();
  static rk::Runtime instance("opencl");
  return instance;
}

void require_persistent(rk::Runtime& rt) {
  if ((rt.device().caps & RK_CAP_HOST_COHERENT) == 0)  // either bridge mode runs ring kernels in SVM
    SKIP("OpenCL device '" << rt.device().name << "' runs no ring kernels (no fine-grained SVM with atomics)");
}

rk::KernelSpec echo_spec(const std::string& name) {
  rk::KernelSpec spec;
  spec.name = name;
  spec.source = kEchoSource;
  spec.state_bytes = sizeof(uint64_t);
  spec.input_capacity = 64;
  spec.output_capacity = 64;
  return spec;
}

rk_kernel_options options_for(const char* name, const char* source) {
  rk_kernel_options options{};
  options.struct_size = sizeof(options);
  options.name = name;
  options.source = source;
  options.state_bytes = 8;
  return options;
}

}  // namespace

TEST_CASE("the ring loop compiles as OpenCL C", "[opencl][ring]") {
  rk::Runtime& rt = runtime();
  CHECK(rt.backend() == "opencl");
  rk_kernel_options options = options_for("compile_only", kEchoSource);
  rk_kernel kernel = nullptr;
  INFO(rk_last_error());
  REQUIRE(rk_kernel_create(rt.get(), &options, &kernel) == RK_SUCCESS);  // compiles the whole ring source
  CHECK(rk_kernel_get_state(kernel) == RK_KERNEL_CREATED);
  CHECK(rk_kernel_destroy(kernel) == RK_SUCCESS);
}

TEST_CASE("a handler replies with the payload where it lives", "[opencl][ring][any_space]") {
  rk::Runtime& rt = runtime();
  rk_kernel_options options = options_for("payload_echo", kPayloadEchoSource);
  rk_kernel kernel = nullptr;
  rk_result created = rk_kernel_create(rt.get(), &options, &kernel);
  INFO(rk_last_error());
  REQUIRE(created == RK_SUCCESS);
  CHECK(rk_kernel_destroy(kernel) == RK_SUCCESS);
}

TEST_CASE("a handler that does not compile gives OpenCL's build log", "[opencl][ring]") {
  rk::Runtime& rt = runtime();
  std::string broken = std::string(kEchoSource) + "\nRK_INLINE int32_t oops(void) { return not_declared_anywhere; }\n";
  rk_kernel_options options = options_for("broken_handler", broken.c_str());
  rk_kernel kernel = nullptr;
  CHECK(rk_kernel_create(rt.get(), &options, &kernel) == RK_ERROR_COMPILE_FAILED);
  std::string error = rk_last_error();
  INFO(error);
  CHECK(error.find("not_declared_anywhere") != std::string::npos);
  CHECK(kernel == nullptr);
}

TEST_CASE("a persistent echo kernel answers requests on the device", "[opencl][ring][persistent]") {
  rk::Runtime& rt = runtime();
  require_persistent(rt);
  rk::Kernel k = rt.launch(echo_spec("echo"));
  CHECK(k.state() == RK_KERNEL_ACTIVE);
  for (uint64_t i = 0; i < 100; ++i) {
    Pong pong = k.request<Pong>(Ping{i * 10});
    REQUIRE(pong.value == i * 10 + 1);
    CHECK(pong.seen == i);  // state kept on the device across messages
  }
  // The loop counts a message after its handler returns: the last reply can come first.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (k.telemetry().messages_processed < 100 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  rk_telemetry t = k.telemetry();
  CHECK(t.messages_processed == 100);
  CHECK(t.messages_dropped == 0);
  CHECK(t.error_code == 0);
  CHECK(k.status().messages_processed == 100);
  k.terminate();
  CHECK(k.state() == RK_KERNEL_TERMINATED);
}

TEST_CASE("a stream of messages comes back in order", "[opencl][ring][persistent]") {
  rk::Runtime& rt = runtime();
  require_persistent(rt);
  rk::Kernel k = rt.launch(echo_spec("echo_stream"));
  const uint64_t n = 2000;
  uint64_t received = 0;
  for (uint64_t sent = 0; sent < n; ++sent) {
    k.send(Ping{sent});
    while (auto pong = k.receive<Pong>(0)) REQUIRE(pong->message.value == ++received);
  }
  while (received < n) {
    auto pong = k.receive<Pong>(10'000'000'000ull);
    REQUIRE(pong.has_value());
    REQUIRE(pong->message.value == ++received);
    CHECK(pong->header.flags & RK_MSG_FLAG_REPLY);
  }
  k.terminate();
  CHECK(k.telemetry().messages_processed == n);
}

TEST_CASE("deactivated kernels keep their messages until reactivated", "[opencl][ring][persistent]") {
  rk::Runtime& rt = runtime();
  require_persistent(rt);
  rk::Kernel k = rt.launch(echo_spec("echo_pause"));
  k.deactivate();
  k.send(Ping{5});
  CHECK_FALSE(k.receive<Pong>(50'000'000).has_value());
  k.reactivate();
  auto pong = k.receive<Pong>(10'000'000'000ull);
  REQUIRE(pong.has_value());
  CHECK(pong->message.value == 6);
}

TEST_CASE("two ring kernels talk over K2K in SVM", "[opencl][ring][persistent]") {
  rk::Runtime& rt = runtime();
  require_persistent(rt);
  if (rt.device().compute_units < 2) SKIP("two ring kernels need two compute units");
  rk::KernelSpec echo;
  echo.name = "k2k_echo";
  echo.source = kK2kEchoSource;
  rk::Kernel target = rt.launch(echo);  // the target first: no send meets an unlaunched peer
  rk::KernelSpec relay;
  relay.name = "k2k_relay";
  relay.source = kRelaySource;
  relay.peers = {"k2k_echo"};
  rk::Kernel source = rt.launch(relay);
  for (uint64_t i = 1; i <= 50; ++i) {
    source.send(Ping{i});
    auto pong = target.receive<Pong>(10'000'000'000ull);
    REQUIRE(pong.has_value());
    CHECK(pong->message.value == 2 * i);
    CHECK(pong->message.seen == source.id());
    CHECK(pong->header.source_kernel == target.id());
  }
  source.terminate();
  target.terminate();
  CHECK(target.telemetry().messages_processed == 50);
}
