// Timeouts and late replies, async and blocking: a request that gets no answer in time
// completes with RK_ERROR_TIMEOUT exactly once; a reply after that is counted in
// late_replies and never reaches rk_kernel_receive. A request never sent (input queue
// full) is RK_ERROR_QUEUE_FULL, told apart from a reply that did not come.
#include <string>

#include "bridge_test_support.hpp"

using namespace ringtest;
using namespace bridgetest;

namespace {

bool late_replies_reach(rk::Kernel& kernel, uint64_t n) {
  return wait_until([&] { return kernel.status().late_replies >= n; });
}

}  // namespace

TEST_CASE("bridge: an unanswered async request times out once; its late reply is counted, not receivable",
          "[bridge]") {
  rk::Kernel k = runtime().launch(echo_spec("bridge_async_late", false));  // inactive: holds the message
  Completion c;
  REQUIRE(request_async(k, 7, 20'000'000, c) == RK_SUCCESS);
  REQUIRE(wait_until([&] { return c.done(); }));
  CHECK(c.result == RK_ERROR_TIMEOUT);
  k.activate();  // now the reply comes, too late
  REQUIRE(late_replies_reach(k, 1));
  CHECK(k.status().late_replies == 1);
  CHECK(c.calls.load() == 1);
  CHECK_FALSE(k.receive_any(0).has_value());
  // The kernel still answers in time afterwards.
  Completion on_time;
  REQUIRE(request_async(k, 9, 60'000'000'000ull, on_time) == RK_SUCCESS);
  REQUIRE(wait_until([&] { return on_time.done(); }));
  CHECK(on_time.result == RK_SUCCESS);
  CHECK(on_time.value == 10);
}

TEST_CASE("bridge: a blocking request's late reply is counted and dropped, never received", "[bridge]") {
  rk::Kernel k = runtime().launch(echo_spec("bridge_sync_late", false));
  Ping ping{3};
  Pong pong{};
  rk_result r = rk_kernel_request(k.get(), Ping::type_id, &ping, sizeof(ping), nullptr, &pong, sizeof(pong), nullptr,
                                  20'000'000);
  REQUIRE(r == RK_ERROR_TIMEOUT);
  CHECK(std::string(rk_last_error()).find("no reply") != std::string::npos);
  k.activate();
  // Without async consumers nobody reads the queue in the background: the late reply is
  // found, counted and dropped by the next receive (or request).
  bool received_late = false;
  REQUIRE(wait_until([&] {
    received_late = received_late || k.receive_any(0).has_value();
    return k.status().late_replies == 1;
  }));
  CHECK_FALSE(received_late);
  CHECK(k.request<Pong>(Ping{5}).value == 6);  // later requests are unaffected
}

TEST_CASE("bridge: a request whose input queue stays full is QUEUE_FULL, not TIMEOUT", "[bridge]") {
  rk::KernelSpec spec = echo_spec("bridge_never_sent", false);
  spec.input_capacity = 4;
  rk::Kernel k = runtime().launch(spec);
  for (uint64_t i = 0; i < 4; ++i) REQUIRE(k.try_send(Ping{i}) == RK_SUCCESS);
  Ping ping{4};
  Pong pong{};
  CHECK(rk_kernel_request(k.get(), Ping::type_id, &ping, sizeof(ping), nullptr, &pong, sizeof(pong), nullptr,
                          20'000'000) == RK_ERROR_QUEUE_FULL);
  CHECK(std::string(rk_last_error()).find("input queue stayed full") != std::string::npos);
  Completion c;
  CHECK(request_async(k, 4, 20'000'000, c) == RK_ERROR_QUEUE_FULL);  // not sent: no completion
  k.activate();
  for (uint64_t i = 0; i < 4; ++i) CHECK(k.receive<Pong>(60'000'000'000ull)->message.value == i + 1);
  CHECK(c.calls.load() == 0);
  CHECK(k.status().late_replies == 0);
}

TEST_CASE("bridge: a kernel that never replies: each async request times out exactly once", "[bridge]") {
  rk::Kernel sink = runtime().launch(sink_spec("bridge_sink_timeouts"));
  std::vector<Completion> completions(32);
  for (size_t i = 0; i < completions.size(); ++i)
    REQUIRE(request_async(sink, i, 10'000'000 + 1'000'000 * i, completions[i]) == RK_SUCCESS);
  for (Completion& c : completions) REQUIRE(wait_until([&] { return c.done(); }));
  for (Completion& c : completions) {
    CHECK(c.calls.load() == 1);
    CHECK(c.result == RK_ERROR_TIMEOUT);
  }
}

// An attached kernel's blocking request times out; its late reply then sits in front of an
// async request's reply. Neither the blocking waiter (gone) nor the kernel's own thread
// (which leaves replies that are not an async consumer's to their readers) takes it: the
// bridge must still drop it and complete the async request.
TEST_CASE("bridge: an async reply behind a late blocking reply still completes", "[bridge]") {
  rk::Kernel k = runtime().launch(echo_spec("bridge_late_then_async"));
  Completion attach;  // makes the kernel attached
  REQUIRE(request_async(k, 1, 60'000'000'000ull, attach) == RK_SUCCESS);
  REQUIRE(wait_until([&] { return attach.done(); }));
  k.deactivate();  // holds what comes next, so the late reply is the oldest output
  Ping ping{3};
  Pong pong{};
  REQUIRE(rk_kernel_request(k.get(), Ping::type_id, &ping, sizeof(ping), nullptr, &pong, sizeof(pong), nullptr,
                            20'000'000) == RK_ERROR_TIMEOUT);
  Completion behind;
  REQUIRE(request_async(k, 7, 60'000'000'000ull, behind) == RK_SUCCESS);
  k.reactivate();
  REQUIRE(wait_until([&] { return behind.done(); }));
  CHECK(attach.result == RK_SUCCESS);
  CHECK(behind.result == RK_SUCCESS);
  CHECK(behind.value == 8);
  REQUIRE(late_replies_reach(k, 1));
  CHECK_FALSE(k.receive_any(0).has_value());
}
