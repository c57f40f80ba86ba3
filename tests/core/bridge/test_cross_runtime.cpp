// K2K between runtimes (bridge/remote_k2k.hpp): a kernel names a kernel of another runtime
// as its peer, and the handler sends to it as to any peer. Two cpu_sim runtimes always;
// cpu_sim -> OpenCL -> host where OpenCL runs persistent kernels.
#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <catch2/matchers/catch_matchers_string.hpp>

#include "order_sink_kernel.hpp"
#include "ring_test_support.hpp"

using namespace ringtest;

namespace {

// Type 3 from the host: ask peer 0 by K2K (type 4). Type 4 (a K2K request): answer it with
// rk_reply_later to its reply address (a kernel of the other runtime), value * 2. Type 5 (the answer): hand it to the host.
const char* const kAskSource = R"(
RK_INLINE int32_t rk_handler(rk_ctx* ctx, rk_global const rk_msg_header* msg, rk_global const uint8_t* payload) {
  uint64_t value = *(rk_global const uint64_t*)payload;
  if (msg->type_id == 3u) return rk_send_to_kernel_wait(ctx, rk_peer(ctx, 0), 4u, &value, 8u);
  if (msg->type_id == 4u) { value *= 2u; return rk_reply_later(ctx, rk_reply_address(ctx), 5u, &value, 8u); }
  return rk_enqueue_output(ctx, 5u, &value, 8u);
}
)";

struct Answer {
  static constexpr uint32_t type_id = 5;
  uint64_t value;
};

rk::KernelSpec spec_of(const std::string& name, const char* source, std::vector<std::string> peers,
                       uint32_t inbox = 16) {
  rk::KernelSpec spec;
  spec.name = name;
  spec.source = source;
  spec.peers = std::move(peers);
  spec.input_capacity = 64;
  spec.output_capacity = 64;
  spec.inbox_capacity = inbox;
  return spec;
}

// host -> A (first runtime) -> B (second runtime) -> host, n values pipelined, in order.
// B's inbox holds 2 messages: the egress queue and A's outbox take the backpressure.
void chain_delivers_in_order(const std::string& first, const std::string& second, const std::string& tag) {
  auto one = own_runtime(first);
  auto two = own_runtime(second);
  rk::Kernel b = two->launch(spec_of("xr_b_" + tag, kForwardSource, {}, 2));
  rk::Kernel a = one->launch(spec_of("xr_a_" + tag, kForwardSource, {"xr_b_" + tag}));
  const uint64_t n = 3000;
  std::thread sender([&] {
    for (uint64_t i = 0; i < n; ++i) a.send(Value{i * 10});
  });
  uint64_t in_order = 0;
  for (uint64_t i = 0; i < n; ++i) {
    auto out = b.receive<Value>(30'000'000'000ull);
    if (!out || out->message.value != i * 10 + 2) break;
    ++in_order;
  }
  sender.join();
  CHECK(in_order == n);
  CHECK(a.telemetry().messages_dropped == 0);
  CHECK(b.telemetry().messages_processed == n);
}

}  // namespace

TEST_CASE("K2K between two cpu_sim runtimes keeps order with a 2-slot inbox", "[bridge][cross]") {
  chain_delivers_in_order("cpu_sim", "cpu_sim", "cc");
}

TEST_CASE("K2K from cpu_sim to opencl keeps order with a 2-slot inbox", "[bridge][cross][opencl]") {
  chain_delivers_in_order("cpu_sim", "opencl", "co");
}

TEST_CASE("K2K replies find their way back to the other runtime", "[bridge][cross]") {
  auto one = own_runtime("cpu_sim");
  auto two = own_runtime("cpu_sim");
  rk::Kernel b = two->launch(spec_of("xr_answer_b", kAskSource, {}));
  rk::Kernel a = one->launch(spec_of("xr_ask_a", kAskSource, {"xr_answer_b"}));
  for (uint64_t i = 1; i <= 200; ++i) {
    a.send(Value{i});
    auto out = a.receive<Answer>(30'000'000'000ull);
    REQUIRE(out.has_value());
    REQUIRE(out->message.value == i * 2);
    CHECK(out->header.source_kernel != RK_KERNEL_ID_HOST);  // came by K2K, through the bridge
  }
  CHECK(a.telemetry().messages_dropped == 0);
  CHECK(b.telemetry().messages_dropped == 0);
}

TEST_CASE("terminating the sender under load loses nothing it accepted", "[bridge][cross]") {
  auto one = own_runtime("cpu_sim");
  auto two = own_runtime("cpu_sim");
  rk::Kernel b = two->launch(spec_of("xr_sink_b", kForwardSource, {}, 4));
  rk::Kernel a = one->launch(spec_of("xr_src_a", kForwardSource, {"xr_sink_b"}));
  std::atomic<uint64_t> accepted{0};
  std::atomic<uint64_t> received{0};
  std::atomic<bool> sending{true};
  std::thread sender([&] {
    for (uint64_t i = 0;; ++i) {
      rk_result r = a.try_send(Value{i}, 100'000'000);
      if (r == RK_ERROR_TERMINATED) break;
      if (r == RK_SUCCESS) accepted.fetch_add(1);
    }
    sending.store(false);
  });
  std::thread receiver([&] {  // until the sender stopped and every accepted value came out
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(120);  // a lost message only
    while (sending.load() || received.load() < accepted.load()) {
      if (b.receive<Value>(100'000'000ull)) received.fetch_add(1);
      else if (std::chrono::steady_clock::now() > give_up) break;
    }
  });
  REQUIRE(wait_until([&] { return accepted.load() >= 500; }));
  a.terminate();  // drains A: everything it accepted went into the egress queue
  sender.join();
  receiver.join();
  const uint64_t sent = accepted.load();
  CHECK(received.load() == sent);
  CHECK(b.telemetry().messages_dropped == 0);
}

TEST_CASE("a terminated remote target is counted as dropped, then refused in the handler", "[bridge][cross]") {
  auto one = own_runtime("cpu_sim");
  auto two = own_runtime("cpu_sim");
  rk::Kernel b = two->launch(spec_of("xr_gone_b", kForwardSource, {}));
  rk::Kernel a = one->launch(spec_of("xr_to_gone_a", kForwardSource, {"xr_gone_b"}));
  a.send(Value{1});
  REQUIRE(b.receive<Value>(30'000'000'000ull).has_value());
  b.terminate();
  a.send(Value{2});  // reaches the bridge, which finds B terminated: dropped, counted at A
  REQUIRE(wait_until([&] { return a.telemetry().messages_dropped >= 1; }));
  a.send(Value{3});  // the route is closed now: the handler's send fails, counted as an error
  REQUIRE(wait_until([&] { return a.telemetry().messages_processed >= 3; }));
  CHECK(a.status().errors_encountered >= 1);
}

TEST_CASE("a peer name held by kernels of two other runtimes is refused at launch", "[bridge][cross]") {
  auto one = own_runtime("cpu_sim");
  auto two = own_runtime("cpu_sim");
  auto three = own_runtime("cpu_sim");
  rk::Kernel x2 = two->launch(spec_of("xr_twice", kForwardSource, {}));
  rk::Kernel x3 = three->launch(spec_of("xr_twice", kForwardSource, {}));
  rk::KernelSpec spec = spec_of("xr_ambiguous", kForwardSource, {"xr_twice"});
  CHECK_THROWS_WITH(one->launch(spec), Catch::Matchers::ContainsSubstring("2 other runtimes"));
}

// Destroying a runtime stops its forwarding first: K2K messages still waiting in its egress
// queue for a full inbox of another runtime are dropped and counted, not waited for. They
// used to be waited for by every kernel's terminate until its time ran out (no pass drains
// the egress of a runtime that left), and each kernel was then leaked as hung.
TEST_CASE("destroying a runtime whose K2K messages wait for another runtime's full inbox stops every kernel",
          "[bridge][cross]") {
  auto two = own_runtime("cpu_sim");
  rk::KernelSpec sink = spec_of("xr_full_sink", kForwardSource, {}, 2);
  sink.auto_activate = false;  // takes nothing from its 2-slot inbox until activated
  rk::Kernel b = two->launch(sink);
  rk_runtime_options options = RK_RUNTIME_OPTIONS_INIT;
  options.backend = "cpu_sim";
  rk_runtime one = nullptr;
  REQUIRE(rk_runtime_create(&options, &one) == RK_SUCCESS);
  const char* peers[] = {"xr_full_sink"};
  rk_kernel_options a_options = RK_KERNEL_OPTIONS_INIT;
  a_options.name = "xr_full_src";
  a_options.source = kForwardSource;
  a_options.flags = RK_KERNEL_AUTO_ACTIVATE;
  a_options.peer_count = 1;
  a_options.peers = peers;
  rk_kernel a = nullptr;
  REQUIRE(rk_kernel_create(one, &a_options, &a) == RK_SUCCESS);
  REQUIRE(rk_kernel_launch(a) == RK_SUCCESS);
  constexpr uint64_t kSent = 10;  // at most 2 fit the sink's inbox; the rest wait in the egress
  for (uint64_t i = 0; i < kSent; ++i) {
    Value v{i};
    REQUIRE(rk_kernel_send(a, Value::type_id, &v, sizeof v, nullptr, nullptr) == RK_SUCCESS);
  }
  rk_kernel_status status = RK_KERNEL_STATUS_INIT;
  REQUIRE(wait_until([&] { return rk_kernel_get_status(a, &status) == RK_SUCCESS && status.messages_processed == kSent; }));
  REQUIRE(rk_runtime_destroy(one) == RK_SUCCESS);
  CHECK(std::string(rk_last_error()).empty());  // else it names a kernel that did not stop, leaked
  // The sink has what reached its inbox before the destroy (how much depends on when the
  // forwarding ran), in order and none twice.
  b.activate();
  uint64_t received = 0;
  while (auto out = b.receive<Value>(200'000'000ull)) {
    CHECK(out->message.value == received + 2);  // each kernel adds one: in order, none twice
    ++received;
  }
  CHECK(received <= 2);  // its inbox's 2 slots: the rest never left the egress
}

// A route to a kernel of a destroyed runtime stays dead even when a later runtime gets the
// same address (the allocator hands it back at once, usually) and a kernel of the same name,
// hence the same id: its messages are dropped and counted, never delivered to the newcomer.
TEST_CASE("a route into a destroyed runtime never leads into a later runtime at its address", "[bridge][cross]") {
  auto one = own_runtime("cpu_sim");
  auto two = std::make_unique<rk::Runtime>("cpu_sim");
  const rk_runtime old_address = two->get();
  std::optional<rk::Kernel> b(two->launch(spec_of("xr_reborn_b", kForwardSource, {})));
  rk::Kernel a = one->launch(spec_of("xr_to_reborn_a", kForwardSource, {"xr_reborn_b"}));
  a.send(Value{1});
  REQUIRE(b->receive<Value>(30'000'000'000ull).has_value());
  b.reset();
  two.reset();
  auto three = std::make_unique<rk::Runtime>("cpu_sim");
  rk::Kernel reborn = three->launch(spec_of("xr_reborn_b", kForwardSource, {}));
  INFO("the new runtime " << (three->get() == old_address ? "got" : "did not get") << " the old one's address");
  a.send(Value{2});
  REQUIRE(wait_until([&] { return a.telemetry().messages_dropped >= 1; }));
  CHECK_FALSE(reborn.receive<Value>(100'000'000ull).has_value());
}

// A route to a kernel of another runtime closes when that kernel ends, and opens again when
// a kernel of the same name is launched there, as a route within one runtime does.
TEST_CASE("a route to a terminated remote kernel opens again when a kernel of that name comes back", "[bridge][cross]") {
  auto one = own_runtime("cpu_sim");
  auto two = own_runtime("cpu_sim");
  std::optional<rk::Kernel> b(two->launch(spec_of("xr_back_b", kForwardSource, {})));
  rk::Kernel a = one->launch(spec_of("xr_to_back_a", kForwardSource, {"xr_back_b"}));
  a.send(Value{1});
  REQUIRE(b->receive<Value>(30'000'000'000ull).has_value());
  b->terminate();
  b.reset();
  a.send(Value{2});  // the bridge finds it terminated: dropped, counted, the route closed
  REQUIRE(wait_until([&] { return a.telemetry().messages_dropped >= 1; }));
  b.emplace(two->launch(spec_of("xr_back_b", kForwardSource, {})));
  a.send(Value{10});
  auto out = b->receive<Value>(30'000'000'000ull);
  REQUIRE(out.has_value());
  CHECK(out->message.value == 12);  // each kernel adds one
}

namespace {

// Type 1 {peer, count, first}: sends values first .. first+count-1 (type 4) to that peer.
const char* const kSprayerSource = R"(
RK_INLINE int32_t rk_handler(rk_ctx* ctx, rk_global const rk_msg_header* msg, rk_global const uint8_t* payload) {
  (void)msg;
  rk_global const uint64_t* words = (rk_global const uint64_t*)payload;
  for (uint64_t i = 0u; i < words[1]; ++i) {
    uint64_t value = words[2] + i;
    int32_t sent = rk_send_to_kernel_wait(ctx, rk_peer(ctx, (uint32_t)words[0]), 4u, &value, 8u);
    if (sent != RK_SUCCESS) return sent;
  }
  return RK_SUCCESS;
}
)";

struct Spray {
  static constexpr uint32_t type_id = 1;
  uint64_t peer, count, first;
};
struct SinkReport {
  static constexpr uint32_t type_id = 9;
  uint64_t unused;
};
struct SinkCounts {
  static constexpr uint32_t type_id = 10;
  uint64_t received, out_of_order;
};

}  // namespace

// One runtime's messages to kernels of another pass through one egress queue. The first
// full target stopped it for everyone: a kernel that did not take its messages held up
// every other kernel's K2K traffic out of the runtime. Now the forwarding steps around it.
TEST_CASE("a full inbox in another runtime holds up only the messages for that kernel", "[bridge][cross]") {
  auto one = own_runtime("cpu_sim");
  auto two = own_runtime("cpu_sim");
  rk::KernelSpec sink = spec_of("xr_stuck", rk::test::kOrderSinkSource, {}, 2);
  sink.state_bytes = 24;
  rk::Kernel stuck = two->launch(sink);
  sink.name = "xr_free";
  rk::Kernel free_sink = two->launch(sink);
  rk::Kernel sprayer = one->launch(spec_of("xr_sprayer", kSprayerSource, {"xr_stuck", "xr_free"}));
  stuck.deactivate();  // takes nothing: two in its inbox, the rest wait in the egress queue
  constexpr uint64_t kEach = 40;
  sprayer.send(Spray{0, kEach, 0});
  REQUIRE(wait_until([&] { return stuck.status().inbox_depth == 2; }));
  sprayer.send(Spray{1, kEach, 0});
  auto counts = [&](rk::Kernel& k) { return k.request<SinkCounts>(SinkReport{0}, 30'000'000'000ull); };
  // Bounded: before, this waited behind the stuck kernel's messages for good.
  CHECK(wait_until([&] { return counts(free_sink).received == kEach; }));
  CHECK(counts(free_sink).out_of_order == 0);
  stuck.reactivate();
  REQUIRE(wait_until([&] { return counts(stuck).received == kEach; }));
  CHECK(counts(stuck).out_of_order == 0);  // its own messages kept their order
  CHECK(sprayer.telemetry().messages_dropped == 0);
  CHECK(sprayer.status().k2k_refused == 0);
  sprayer.terminate();
  stuck.terminate();
  free_sink.terminate();
}
