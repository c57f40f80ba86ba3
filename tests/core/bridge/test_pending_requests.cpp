// PendingRequests (core/bridge/pending_requests.hpp): the lock-free table of a kernel's
// pending async requests. Single-threaded rules first, then submitters, a drainer and a
// timeout scanner at once: every request sent completes exactly once, whoever wins.
#include <catch2/catch_test_macros.hpp>

#include <atomic>
#include <cstdlib>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

#include "core/bridge/pending_requests.hpp"
#include "stress.hpp"

using rk::core::PendingRequest;
using rk::core::PendingRequests;

namespace {

constexpr uint64_t kHostBit = uint64_t{1} << 63;  // as next_request_id makes them

void never_called(void*, rk_result, const rk_msg_header*, const void*, uint32_t) noexcept { std::abort(); }

PendingRequest request_for(uint64_t id) {
  PendingRequest r;
  r.completion = &never_called;
  r.user_data = reinterpret_cast<void*>(static_cast<uintptr_t>(id));
  return r;
}

uint64_t id_of(const PendingRequest& r) { return static_cast<uint64_t>(reinterpret_cast<uintptr_t>(r.user_data)); }

using rk::test::stress_count;

}  // namespace

TEST_CASE("pending requests: enter, arm, take once", "[bridge][pending]") {
  PendingRequests pending;
  const uint64_t id = kHostBit | 7;
  auto place = pending.add(id, request_for(7));
  CHECK(place == PendingRequests::Place::slot);
  CHECK(pending.contains(id));
  CHECK(pending.count() == 1);
  CHECK(pending.arm(id, place));
  CHECK_FALSE(pending.take(kHostBit | 8).has_value());  // not pending
  auto taken = pending.take(id);
  REQUIRE(taken.has_value());
  CHECK(id_of(*taken) == 7);
  CHECK_FALSE(pending.take(id).has_value());  // a reply twice finds nothing the second time
  CHECK_FALSE(pending.contains(id));
  CHECK(pending.count() == 0);
}

TEST_CASE("pending requests: a reply before arming is taken, arming then reports it", "[bridge][pending]") {
  PendingRequests pending;
  const uint64_t id = kHostBit | 1;
  auto place = pending.add(id, request_for(1));
  REQUIRE(pending.take(id).has_value());
  CHECK_FALSE(pending.arm(id, place));
  CHECK(pending.count() == 0);
}

TEST_CASE("pending requests: a cancelled request is gone; unarmed ones never time out", "[bridge][pending]") {
  PendingRequests pending;
  auto a = pending.add(kHostBit | 1, request_for(1));
  auto b = pending.add(kHostBit | 2, request_for(2));
  pending.cancel(kHostBit | 1, a);
  CHECK_FALSE(pending.contains(kHostBit | 1));
  std::vector<uint64_t> ended;
  auto all = [](const PendingRequest&) { return true; };
  pending.take_armed(all, [&](uint64_t id, const PendingRequest&) { ended.push_back(id); });
  CHECK(ended.empty());  // b is not armed: its caller may still learn its send failed
  REQUIRE(pending.arm(kHostBit | 2, b));
  pending.take_armed(all, [&](uint64_t id, const PendingRequest& r) {
    ended.push_back(id);
    CHECK(id_of(r) == 2);
  });
  CHECK(ended == std::vector<uint64_t>{kHostBit | 2});
  CHECK(pending.count() == 0);
}

TEST_CASE("pending requests: ids sharing a slot and more than a table's worth in flight", "[bridge][pending]") {
  PendingRequests pending;
  constexpr uint64_t kCount = 3 * PendingRequests::kSlots;
  std::vector<PendingRequests::Place> places;
  for (uint64_t i = 1; i <= kCount; ++i) places.push_back(pending.add(kHostBit | (i * 5), request_for(i)));
  size_t overflowed = 0;
  for (auto p : places) overflowed += p == PendingRequests::Place::overflow;
  CHECK(overflowed >= kCount - PendingRequests::kSlots);
  CHECK(pending.count() == kCount);
  for (uint64_t i = 1; i <= kCount; ++i) REQUIRE(pending.arm(kHostBit | (i * 5), places[i - 1]));
  // Every third times out through the scan, the rest are answered, in reverse order.
  std::vector<uint64_t> timed_out;
  pending.take_armed([](const PendingRequest& r) { return id_of(r) % 3 == 0; },
                     [&](uint64_t id, const PendingRequest& r) {
                       CHECK(id == (kHostBit | (id_of(r) * 5)));
                       timed_out.push_back(id);
                     });
  CHECK(timed_out.size() == kCount / 3);
  for (uint64_t i = kCount; i >= 1; --i) {
    auto taken = pending.take(kHostBit | (i * 5));
    CHECK(taken.has_value() == (i % 3 != 0));
    if (taken) CHECK(id_of(*taken) == i);
  }
  CHECK(pending.count() == 0);
}

TEST_CASE("pending requests: submitters, a drainer and a timeout scan complete each once", "[bridge][pending][stress]") {
  PendingRequests pending;
  const uint64_t per_submitter = stress_count(400000, 20000);
  constexpr int kSubmitters = 2;
  constexpr uint64_t kWindow = PendingRequests::kSlots + 512;  // overflow in use too
  const uint64_t total = per_submitter * kSubmitters;
  std::vector<std::atomic<uint8_t>> completions(total + 1);
  std::atomic<uint64_t> next_id{0}, in_flight{0}, cancelled{0}, finished{0};
  std::mutex sent_mutex;
  std::deque<uint64_t> sent;  // "replies" on their way to the drainer
  std::atomic<int> submitters_left{kSubmitters};
  std::atomic<uint64_t> mismatched{0};  // Catch2's CHECK is for the test's own thread only

  auto complete = [&](uint64_t n) {
    completions[n].fetch_add(1, std::memory_order_relaxed);
    in_flight.fetch_sub(1, std::memory_order_release);
    finished.fetch_add(1, std::memory_order_relaxed);
  };

  std::vector<std::thread> threads;
  for (int s = 0; s < kSubmitters; ++s)
    threads.emplace_back([&, s] {
      for (uint64_t i = 0; i < per_submitter; ++i) {
        while (in_flight.load(std::memory_order_acquire) >= kWindow) std::this_thread::yield();
        uint64_t n = next_id.fetch_add(1) + 1;
        in_flight.fetch_add(1, std::memory_order_relaxed);
        auto place = pending.add(kHostBit | n, request_for(n));
        if ((n + static_cast<uint64_t>(s)) % 97 == 0) {  // its send failed
          pending.cancel(kHostBit | n, place);
          cancelled.fetch_add(1);
          in_flight.fetch_sub(1, std::memory_order_release);
          continue;
        }
        bool arm_first = n % 2 == 0;  // else the reply may come before arming
        if (arm_first) pending.arm(kHostBit | n, place);
        {
          std::lock_guard lock(sent_mutex);
          sent.push_back(n);
        }
        if (!arm_first) pending.arm(kHostBit | n, place);
      }
      submitters_left.fetch_sub(1);
    });
  threads.emplace_back([&] {  // the drainer: replies in the order they were sent
    for (;;) {
      uint64_t n = 0;
      {
        std::lock_guard lock(sent_mutex);
        if (!sent.empty()) {
          n = sent.front();
          sent.pop_front();
        }
      }
      if (n == 0) {
        if (submitters_left.load() == 0 && finished.load() + cancelled.load() == total) return;
        std::this_thread::yield();
        continue;
      }
      if (auto taken = pending.take(kHostBit | n)) {
        if (id_of(*taken) != n) mismatched.fetch_add(1);
        complete(n);
      }  // else the scan timed it out first
    }
  });
  threads.emplace_back([&] {  // the timeout scan: every 13th request "times out"
    while (submitters_left.load() != 0 || finished.load() + cancelled.load() != total) {
      pending.take_armed([](const PendingRequest& r) { return id_of(r) % 13 == 0; },
                         [&](uint64_t id, const PendingRequest& r) {
                           if (id != (kHostBit | id_of(r))) mismatched.fetch_add(1);
                           complete(id_of(r));
                         });
      std::this_thread::yield();
    }
  });
  for (auto& t : threads) t.join();

  uint64_t once = 0, twice = 0;
  for (uint64_t n = 1; n <= total; ++n) {
    uint8_t c = completions[n].load();
    once += c == 1;
    twice += c > 1;
  }
  CHECK(mismatched.load() == 0);
  CHECK(twice == 0);
  CHECK(once + cancelled.load() == total);
  CHECK(pending.count() == 0);
}
