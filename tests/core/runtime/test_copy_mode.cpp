// The relaunch-copy bridge mode (core/runtime/copy_mode.hpp, docs/runtime.md "Devices
// without host-coherent memory"): ring blocks in device memory, copied in before each
// launch and out after, one launch of a runtime at a time. Forced here on cpu_sim and PoCL
// through rk_runtime_options.bridge_mode. The whole ring suite runs in this mode too (the
// CTest "relaunch-copy mode: ..."); these are the cases only this mode has.
#include <chrono>
#include <cstring>
#include <random>
#include <thread>

#include "ring_test_support.hpp"

using namespace ringtest;

namespace {

std::unique_ptr<rk::Runtime> copy_runtime(const std::string& backend) {
  std::unique_ptr<rk::Runtime> rt;
  try {
    rt = std::make_unique<rk::Runtime>(backend, 0, RK_BRIDGE_RELAUNCH_COPY);
  } catch (const rk::Error& e) {
    if (backend == "cpu_sim") FAIL("cpu_sim is not usable: " << e.what());
    SKIP(backend << " is not usable here: " << e.what());
  }
  if ((rt->device().caps & RK_CAP_K2K) == 0)
    SKIP(backend << " device '" << rt->device().name << "' runs no ring kernels");
  return rt;
}

// Sends every message it gets to peer 0 with rk_send_to_kernel_wait, `count` times, and
// replies how many of those sends failed.
const char* const kBurstSource = R"(
RK_INLINE int32_t rk_handler(rk_ctx* ctx, rk_global const rk_msg_header* msg, rk_global const uint8_t* payload) {
  uint64_t count = *(rk_global const uint64_t*)payload;
  uint64_t failed = 0u;
  for (uint64_t i = 0u; i < count; ++i) {
    uint64_t value = i + 1u;
    if (rk_send_to_kernel_wait(ctx, rk_peer(ctx, 0), 3u, &value, 8u) != RK_SUCCESS) failed += 1u;
  }
  (void)msg;
  return rk_reply(ctx, 3u, &failed, 8u);
}
)";

// Hands each K2K value to the host.
const char* const kSinkSource = R"(
RK_INLINE int32_t rk_handler(rk_ctx* ctx, rk_global const rk_msg_header* msg, rk_global const uint8_t* payload) {
  uint64_t value = *(rk_global const uint64_t*)payload;
  (void)msg;
  return rk_enqueue_output(ctx, 3u, &value, 8u);
}
)";

void requests_with_random_gaps(const std::string& backend) {
  auto rt = copy_runtime(backend);
  CHECK(rt->bridge_mode() == RK_BRIDGE_RELAUNCH_COPY);
  rk::Kernel echo = rt->launch(echo_spec("copy_echo_" + backend));
  std::mt19937 random(11);
  uint64_t sent = 0;
  for (int round = 0; round < 8; ++round) {
    // Between bursts the loop is off the device: its block copied out, state kept.
    REQUIRE(wait_until([&] { return echo.status().resident == 0; }));
    const uint32_t burst = 1 + static_cast<uint32_t>(random() % 24);
    for (uint32_t i = 0; i < burst; ++i) {
      if (random() % 2 == 0) {
        Pong pong = echo.request<Pong>(Ping{sent});
        REQUIRE(pong.value == sent + 1);
        REQUIRE(pong.seen == sent);
      } else {  // a send and a later receive: the reply is in the mirror once its step is finished
        echo.send(Ping{sent});
        auto out = echo.receive<Pong>(30'000'000'000ull);
        REQUIRE(out.has_value());
        REQUIRE(out->message.seen == sent);
      }
      ++sent;
      if (random() % 4 == 0) std::this_thread::sleep_for(std::chrono::microseconds(random() % 2000));
    }
  }
  CHECK(echo.status().relaunches >= 8);
  CHECK(telemetry_after(echo, sent).messages_processed == sent);
  CHECK(echo.telemetry().messages_dropped == 0);
  // Queued and unread at terminate: drained, every reply kept, in order.
  for (uint64_t i = 0; i < 40; ++i) echo.send(Ping{sent + i});
  echo.terminate();
  for (uint64_t i = 0; i < 40; ++i) {
    auto out = echo.receive<Pong>(0);
    REQUIRE(out.has_value());
    CHECK(out->message.seen == sent + i);
  }
}

void k2k_chain_keeps_order(const std::string& backend) {
  auto rt = copy_runtime(backend);
  rk::KernelSpec c{.name = "copy_chain_c_" + backend, .source = kForwardSource};
  c.output_capacity = 256;  // fills up: c takes nothing more until the host receives
  rk::KernelSpec b{.name = "copy_chain_b_" + backend, .source = kForwardSource};
  b.peers = {c.name};
  b.inbox_capacity = 64;
  rk::KernelSpec a{.name = "copy_chain_a_" + backend, .source = kForwardSource};
  a.peers = {b.name};
  a.input_capacity = 128;
  rk::Kernel kc = rt->launch(c);
  rk::Kernel kb = rt->launch(b);
  rk::Kernel ka = rt->launch(a);
  const uint64_t n = 2000;
  uint64_t received = 0;
  auto take = [&](uint64_t timeout_ns) {
    auto out = kc.receive<Value>(timeout_ns);
    if (!out) return false;
    REQUIRE(out->message.value == received + 3);  // in order, each one once
    ++received;
    return true;
  };
  uint64_t refused = 0;  // host sends that found a's input full (counted as its drops)
  for (uint64_t i = 0; i < n; ++i) {
    while (ka.try_send(Value{i}, 1'000'000) != RK_SUCCESS) {  // full input: make room downstream
      ++refused;
      take(0);
    }
    while (take(0)) {
    }
  }
  while (received < n) REQUIRE(take(30'000'000'000ull));
  for (rk::Kernel* k : {&ka, &kb, &kc}) CHECK(k->status().k2k_refused == 0);
  CHECK(ka.telemetry().messages_dropped == refused);
  CHECK(kb.telemetry().messages_dropped == 0);
  CHECK(kc.telemetry().messages_dropped == 0);
}

// A host that sends and then takes whatever replies are there never has more than an
// input queue's worth in flight, so it must never block for good, whatever the queues'
// sizes and whoever copies a step out. Copy-out once published the input's room before
// the replies: with the copy on the bridge thread, such a host saw the room, refilled the
// input, found no replies yet and blocked with both queues full, the loop taking nothing
// while its output was full (a hang of the OpenCL stream test under TSan). Two-slot
// queues make that window easy to hit; every send has a deadline, so it fails, not hangs.
void send_then_drain(const std::string& backend) {
  auto rt = copy_runtime(backend);
  rk::KernelSpec spec = echo_spec("copy_send_drain_" + backend);
  spec.input_capacity = 2;
  spec.output_capacity = 2;
  rk::Kernel echo = rt->launch(spec);
  const uint64_t n = 3000;
  uint64_t received = 0;
  auto take = [&](uint64_t timeout_ns) {
    auto out = echo.receive<Pong>(timeout_ns);
    if (!out) return false;
    REQUIRE(out->message.seen == received);  // in order, each one once
    ++received;
    return true;
  };
  for (uint64_t sent = 0; sent < n; ++sent) {
    INFO("send " << sent << ", " << received << " replies taken");
    REQUIRE(echo.try_send(Ping{sent}, 60'000'000'000ull) == RK_SUCCESS);
    while (take(0)) {
    }
  }
  while (received < n) REQUIRE(take(60'000'000'000ull));
  CHECK(echo.telemetry().messages_dropped == 0);
}

}  // namespace

TEST_CASE("relaunch-copy: the mode is reported; a mode the device cannot give is refused", "[copy_mode]") {
  auto rt = copy_runtime("cpu_sim");
  CHECK(rt->bridge_mode() == RK_BRIDGE_RELAUNCH_COPY);
  rk_runtime_options options = RK_RUNTIME_OPTIONS_INIT;
  options.backend = "cpu_sim";
  options.bridge_mode = 99;
  rk_runtime bad = nullptr;
  CHECK(rk_runtime_create(&options, &bad) == RK_ERROR_INVALID_ARGUMENT);
  CHECK(std::string(rk_last_error()).find("bridge_mode 99") != std::string::npos);
  CHECK(bad == nullptr);
  rk::Runtime persistent("cpu_sim", 0, RK_BRIDGE_PERSISTENT);  // cpu_sim can: asked for, given
  CHECK(persistent.bridge_mode() == RK_BRIDGE_PERSISTENT);
}

TEST_CASE("relaunch-copy: requests with random gaps keep order and state, lose nothing (cpu_sim)", "[copy_mode]") {
  requests_with_random_gaps("cpu_sim");
}

TEST_CASE("relaunch-copy: requests with random gaps keep order and state, lose nothing (opencl)",
          "[copy_mode][opencl]") {
  requests_with_random_gaps("opencl");
}
// On a GPU the block is in device memory (cuMemAlloc) and every step copies over PCIe.
TEST_CASE("relaunch-copy: requests with random gaps keep order and state, lose nothing (cuda)",
          "[copy_mode][cuda]") {
  requests_with_random_gaps("cuda");
}

TEST_CASE("relaunch-copy: a K2K chain keeps each message once and in order (cpu_sim)", "[copy_mode][k2k]") {
  k2k_chain_keeps_order("cpu_sim");
}

TEST_CASE("relaunch-copy: a K2K chain keeps each message once and in order (opencl)", "[copy_mode][k2k][opencl]") {
  k2k_chain_keeps_order("opencl");
}
TEST_CASE("relaunch-copy: a K2K chain keeps each message once and in order (cuda)", "[copy_mode][k2k][cuda]") {
  k2k_chain_keeps_order("cuda");
}

TEST_CASE("relaunch-copy: a host that sends, then drains, never blocks with both queues full (cpu_sim)",
          "[copy_mode]") {
  send_then_drain("cpu_sim");
}
TEST_CASE("relaunch-copy: a host that sends, then drains, never blocks with both queues full (opencl)",
          "[copy_mode][opencl]") {
  send_then_drain("opencl");
}
TEST_CASE("relaunch-copy: a host that sends, then drains, never blocks with both queues full (cuda)",
          "[copy_mode][cuda]") {
  send_then_drain("cuda");
}

TEST_CASE("relaunch-copy: a full output stops intake until the host receives; nothing is lost", "[copy_mode]") {
  auto rt = copy_runtime("cpu_sim");
  rk::KernelSpec spec = echo_spec("copy_full_output");
  spec.output_capacity = 4;
  rk::Kernel echo = rt->launch(spec);
  for (uint64_t i = 0; i < 50; ++i) echo.send(Ping{i});
  // Its loop takes a message only while a reply fits: four answered, the rest wait.
  REQUIRE(wait_until([&] { return echo.status().output_depth == 4 && echo.status().resident == 0; }));
  CHECK(echo.status().input_depth == 46);
  for (uint64_t i = 0; i < 50; ++i) {
    auto out = echo.receive<Pong>(30'000'000'000ull);
    REQUIRE(out.has_value());
    CHECK(out->message.seen == i);
  }
  CHECK(echo.telemetry().messages_dropped == 0);
}

TEST_CASE("relaunch-copy: a waiting K2K send gives up at once when the target's inbox and its outbox are full",
          "[copy_mode][k2k]") {
  // The target runs only in a launch of its own, after the sender's: waiting cannot make
  // room, so the sends beyond inbox + outbox are refused at once, counted on both sides.
  auto rt = copy_runtime("cpu_sim");
  rk::KernelSpec sink{.name = "copy_sink", .source = kSinkSource};
  sink.inbox_capacity = 2;
  sink.auto_activate = false;
  rk::Kernel target = rt->launch(sink);
  rk::KernelSpec burst{.name = "copy_burst", .source = kBurstSource};
  burst.peers = {sink.name};
  burst.outbox_capacity = 2;
  rk::Kernel sender = rt->launch(burst);
  CHECK(sender.request<Value>(Value{40}).value == 36);  // 2 in the inbox, 2 in the outbox
  CHECK(sender.status().k2k_refused == 36);
  CHECK(sender.telemetry().messages_dropped == 36);
  target.activate();
  for (uint64_t i = 1; i <= 4; ++i) {
    auto out = target.receive<Value>(30'000'000'000ull);
    REQUIRE(out.has_value());
    CHECK(out->message.value == i);
  }
  CHECK(target.status().inbox_refused == 36);
}

TEST_CASE("relaunch-copy: K2K to another runtime and migration are refused with the reason", "[copy_mode][k2k]") {
  auto copied = copy_runtime("cpu_sim");
  rk::Runtime shared("cpu_sim");
  rk::Kernel there = copied->launch(echo_spec("copy_far"));
  rk::KernelSpec asking{.name = "copy_near", .source = kForwardSource};
  asking.peers = {"copy_far"};
  try {
    shared.launch(asking);
    FAIL("a peer in a relaunch-copy runtime was accepted");
  } catch (const rk::Error& e) {
    CHECK(e.code() == RK_ERROR_UNSUPPORTED);
    CHECK(std::string(e.what()).find("relaunch-copy") != std::string::npos);
  }
  rk_kernel moved = nullptr;
  CHECK(rk_kernel_migrate(there.get(), shared.get(), 1'000'000'000ull, &moved) == RK_ERROR_UNSUPPORTED);
  CHECK(std::string(rk_last_error()).find("snapshot") != std::string::npos);
  CHECK(moved == nullptr);
  CHECK(there.request<Pong>(Ping{1}).value == 2);  // untouched
}

TEST_CASE("relaunch-copy: a snapshot moves between a copied block and a shared one", "[copy_mode][snapshot]") {
  auto copied = copy_runtime("cpu_sim");
  rk::Runtime shared("cpu_sim");
  rk::Kernel first = copied->launch(echo_spec("copy_snap"));
  for (uint64_t i = 0; i < 5; ++i) CHECK(first.request<Pong>(Ping{i}).seen == i);
  first.deactivate();
  for (uint64_t i = 5; i < 8; ++i) first.send(Ping{i});  // queued in the mirror, not handled
  rk::KernelSpec again = echo_spec("copy_snap_shared");
  again.snapshot = first.snapshot();
  rk::Kernel second = shared.launch(again);
  for (uint64_t i = 5; i < 8; ++i) {
    auto out = second.receive<Pong>(30'000'000'000ull);
    REQUIRE(out.has_value());
    CHECK(out->message.seen == i);  // state and queue came along
  }
  second.deactivate();
  rk::KernelSpec back = echo_spec("copy_snap_back");
  back.snapshot = second.snapshot();
  rk::Kernel third = copied->launch(back);
  CHECK(third.request<Pong>(Ping{8}).seen == 8);
}

TEST_CASE("relaunch-copy: a restart that resets the state resets the device's copy", "[copy_mode][supervision]") {
  auto rt = copy_runtime("cpu_sim");
  rk::Kernel echo = rt->launch(echo_spec("copy_restart"));
  for (uint64_t i = 0; i < 5; ++i) CHECK(echo.request<Pong>(Ping{i}).seen == i);
  echo.restart();  // state kept
  CHECK(echo.request<Pong>(Ping{5}).seen == 5);
  echo.restart(RK_RESTART_RESET_STATE);
  CHECK(echo.request<Pong>(Ping{6}).seen == 0);
  CHECK(echo.status().restarts == 2);
}
