// Output handlers: each kernel's output reaches its handler in order; a handler may send
// again; a kernel has either a handler or receive readers; a blocking request still gets
// its own reply on a kernel with a handler.
#include <thread>
#include <vector>

#include "bridge_test_support.hpp"

using namespace ringtest;
using namespace bridgetest;

namespace {

// Written on the bridge thread only; `count` publishes the rest.
struct OrderCheck {
  uint64_t next_expected = 1;
  bool in_order = true;
  std::atomic<uint64_t> count{0};

  void see(uint64_t value) {
    in_order = in_order && value == next_expected;
    next_expected = value + 1;
    count.fetch_add(1, std::memory_order_release);
  }
};

}  // namespace

TEST_CASE("bridge: on_output keeps each kernel's output in order", "[bridge]") {
  const uint64_t n = stress_count(20000);
  rk::Kernel a = runtime().launch(echo_spec("bridge_order_a"));
  rk::Kernel b = runtime().launch(echo_spec("bridge_order_b"));
  OrderCheck seen_a, seen_b;
  a.on_output<Pong>([&](const rk_msg_header&, const Pong& pong) { seen_a.see(pong.value); });
  b.on_output<Pong>([&](const rk_msg_header&, const Pong& pong) { seen_b.see(pong.value); });
  std::thread sender_b([&] {
    for (uint64_t i = 0; i < n; ++i) b.send(Ping{i});
  });
  for (uint64_t i = 0; i < n; ++i) a.send(Ping{i});
  sender_b.join();
  REQUIRE(wait_until([&] { return seen_a.count.load(std::memory_order_acquire) == n; }));
  REQUIRE(wait_until([&] { return seen_b.count.load(std::memory_order_acquire) == n; }));
  CHECK(seen_a.in_order);
  CHECK(seen_b.in_order);
  CHECK(a.output_type_mismatches() == 0);
}

TEST_CASE("bridge: an output handler may send again", "[bridge]") {
  const uint64_t rounds = stress_count(5000, 500);
  rk::Kernel k = runtime().launch(echo_spec("bridge_handler_sends"));
  OrderCheck seen;
  std::atomic<bool> send_failed{false};
  k.on_output<Pong>([&](const rk_msg_header&, const Pong& pong) {
    seen.see(pong.value);
    if (pong.value < rounds && k.try_send(Ping{pong.value}) != RK_SUCCESS) send_failed.store(true);
  });
  k.send(Ping{0});
  REQUIRE(wait_until([&] { return seen.count.load(std::memory_order_acquire) == rounds || send_failed.load(); }));
  CHECK_FALSE(send_failed.load());
  CHECK(seen.in_order);
}

TEST_CASE("bridge: a kernel has either an output handler or receive readers", "[bridge]") {
  rk::Kernel k = runtime().launch(echo_spec("bridge_either_or", false));
  k.on_output_any([](const rk::Message&) {});
  Pong pong{};
  CHECK(rk_kernel_receive(k.get(), nullptr, &pong, sizeof(pong), nullptr, 0) == RK_ERROR_INVALID_STATE);
  CHECK(std::string(rk_last_error()).find("output handler") != std::string::npos);
  k.clear_output();
  CHECK_FALSE(k.receive_any(0).has_value());  // readers are allowed again

  // Setting a handler while a receive waits is refused too. Both sides retry until the
  // receive is the one in progress, whatever the interleaving.
  std::atomic<rk_result> received{RK_ERROR_INVALID_STATE};
  std::thread reader([&] {
    Pong out{};
    rk_result r;
    do r = rk_kernel_receive(k.get(), nullptr, &out, sizeof(out), nullptr, 60'000'000'000ull);
    while (r == RK_ERROR_INVALID_STATE);
    received.store(r);
  });
  auto noop = [](void*, const rk_msg_header*, const void*, uint32_t) {};
  bool refused = wait_until([&] {
    rk_result r = rk_kernel_set_output_handler(k.get(), noop, nullptr);
    if (r == RK_SUCCESS) rk_kernel_set_output_handler(k.get(), nullptr, nullptr);
    return r == RK_ERROR_INVALID_STATE;
  });
  CHECK(refused);
  k.activate();
  k.send(Ping{1});
  reader.join();
  CHECK(received.load() == RK_SUCCESS);
  CHECK(rk_kernel_set_output_handler(k.get(), noop, nullptr) == RK_SUCCESS);
  CHECK(rk_kernel_set_output_handler(k.get(), nullptr, nullptr) == RK_SUCCESS);
}

TEST_CASE("bridge: a blocking request gets its own reply on a kernel with an output handler", "[bridge]") {
  rk::Kernel k = runtime().launch(echo_spec("bridge_sync_with_handler"));
  std::atomic<uint64_t> handled{0};
  k.on_output<Pong>([&](const rk_msg_header&, const Pong&) { handled.fetch_add(1, std::memory_order_relaxed); });
  for (uint64_t i = 0; i < 100; ++i) {
    k.send(Ping{1000 + i});
    CHECK(k.request<Pong>(Ping{i}, 60'000'000'000ull).value == i + 1);
  }
  REQUIRE(wait_until([&] { return handled.load() == 100; }));
}
