// wait_until's spin -> yield -> park, the doorbell park, and the full-queue policy helpers.
#include <catch2/catch_test_macros.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <thread>

#include "queue_test_support.hpp"

using namespace std::chrono_literals;
using rk::core::DoorbellPark;
using rk::core::WaitClock;
using rk::core::WaitPolicy;
using rk::core::wait_until;
using rk::test::QueueMemory;

TEST_CASE("wait_until returns at once when ready, without parking", "[queue][wait]") {
  int parks = 0;
  CHECK(wait_until([] { return true; }, WaitClock::now() + 1s, [&](std::chrono::nanoseconds) { ++parks; }));
  CHECK(parks == 0);
}

TEST_CASE("wait_until parks in bounded steps and gives up at the deadline", "[queue][wait]") {
  // A fake clock that only a park moves: the count of parks and their lengths follow from
  // the policy alone, however slowly the scheduler runs this thread.
  WaitClock::time_point fake{};
  const auto now = [&fake] { return fake; };
  int parks = 0;
  std::chrono::nanoseconds longest{0}, total{0};
  auto park = [&](std::chrono::nanoseconds timeout) {
    ++parks;
    longest = std::max(longest, timeout);
    total += timeout;
    fake += timeout;
  };
  WaitPolicy policy;
  policy.max_park = 2ms;
  CHECK_FALSE(wait_until([] { return false; }, fake + 31ms, park, policy, now));
  CHECK(parks == 16);  // 15 of 2 ms, then the 1 ms left: never past the deadline
  CHECK(longest == 2ms);
  CHECK(total == 31ms);
}

TEST_CASE("wait_until returns true on the check after the park that made it ready", "[queue][wait]") {
  WaitClock::time_point fake{};
  int parks = 0;
  auto park = [&](std::chrono::nanoseconds timeout) { ++parks; fake += timeout; };
  WaitPolicy policy;
  policy.max_park = 1ms;
  CHECK(wait_until([&] { return parks == 3; }, fake + 1s, park, policy, [&fake] { return fake; }));
  CHECK(fake == WaitClock::time_point{} + 3ms);
}

TEST_CASE("wait_until with the real clock returns no earlier than the deadline", "[queue][wait]") {
  // Only what holds under any interleaving: false, and not before the deadline.
  const auto start = WaitClock::now();
  WaitPolicy policy;
  policy.max_park = 2ms;
  CHECK_FALSE(wait_until([] { return false; }, start + 10ms, rk::core::sleep_park, policy));
  CHECK(WaitClock::now() - start >= 10ms);
}

TEST_CASE("DoorbellPark wakes on the doorbell, not at the timeout", "[queue][wait]") {
  uint32_t doorbell = 0;
  std::atomic<bool> ready{false};
  DoorbellPark park(&doorbell);  // before the first check, so no ring is lost
  std::thread ringer([&] {
    std::this_thread::sleep_for(20ms);
    ready.store(true, std::memory_order_release);
    rk_fetch_add_u32(&doorbell, 1u);
    rk_unpark_u32(&doorbell);
  });
  // A park as long as the test's whole time limit: only the doorbell can end it, however
  // slowly the ringer is scheduled (a lost wake-up shows as a test timeout, not a flake).
  WaitPolicy policy;
  policy.max_park = 1h;
  const auto start = WaitClock::now();
  CHECK(wait_until([&] { return ready.load(std::memory_order_acquire); }, start + 2h, park, policy));
  CHECK(WaitClock::now() - start < 1h);
  ringer.join();
}

TEST_CASE("blocking reserve waits for the consumer; a timeout is a counted rejection", "[queue][wait]") {
  QueueMemory memory(2, 8, RK_QUEUE_SPSC);
  rk::core::HostQueue q = memory.queue();
  for (int i = 0; i < 2; ++i) q.spsc_publish(q.spsc_try_reserve(1).end());

  SECTION("room appears before the deadline") {
    std::thread consumer([&] {
      std::this_thread::sleep_for(20ms);
      q.spsc_release(q.spsc_peek(1).end());
    });
    auto span = rk::core::spsc_reserve_until(q, 1, WaitClock::now() + 20s, rk::core::sleep_park);
    consumer.join();
    CHECK(span.status == RK_SUCCESS);
    CHECK(span.index == 2);
    CHECK(q.rejected() == 0);
  }
  SECTION("no room by the deadline") {
    const auto start = WaitClock::now();
    auto span = rk::core::spsc_reserve_until(q, 1, start + 20ms, rk::core::sleep_park);
    CHECK(span.status == RK_ERROR_QUEUE_FULL);
    CHECK(WaitClock::now() - start >= 20ms);
    CHECK(q.rejected() == 1);
  }
}
