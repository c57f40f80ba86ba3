// HostClock: the dialect rules behind a lock, used from many threads.
#include <catch2/catch_test_macros.hpp>

#include <algorithm>
#include <thread>
#include <vector>

#include "core/hlc/host_clock.hpp"

using rk::core::HostClock;

TEST_CASE("HostClock ticks with explicit and real time", "[hlc][host]") {
  HostClock clock(0);
  rk_hlc_result r = clock.tick(1000);
  CHECK(r.status == RK_SUCCESS);
  CHECK(r.clock.physical_ns == 1000);
  CHECK(clock.tick(900).clock.logical == 1);  // behind: counted, not rewound
  CHECK(clock.now().physical_ns == 1000);
  rk_hlc real = clock.tick();
  CHECK(real.physical_ns > 1'600'000'000'000'000'000);  // after 2020 in CLOCK_REALTIME ns
  CHECK(real.node_id == 0);
}

TEST_CASE("HostClock merge keeps its node and reports skew", "[hlc][host]") {
  HostClock clock(3);
  REQUIRE(clock.tick(1000).status == RK_SUCCESS);
  CHECK(clock.merge(rk_hlc{5000, 4, 9}, 2000, 10'000) == RK_SUCCESS);
  CHECK(clock.now().physical_ns == 5000);
  CHECK(clock.now().logical == 5);
  CHECK(clock.now().node_id == 3);
  CHECK(clock.merge(rk_hlc{100'000, 0, 9}, 2000, 10'000) == RK_ERROR_CLOCK_SKEW);
  CHECK(clock.now().physical_ns == 5000);
  CHECK(clock.merge(rk_hlc{1, 0, 9}, 0) == RK_SUCCESS);  // real time: far ahead of 5000
}

TEST_CASE("HostClock: a remote behind the clock changes nothing; the next tick still passes it", "[hlc][host]") {
  HostClock clock(0);
  REQUIRE(clock.tick(5000).status == RK_SUCCESS);
  REQUIRE(clock.tick(5000).status == RK_SUCCESS);  // (5000, 1)
  CHECK(clock.merge(rk_hlc{4999, 77, 9}, 4000, 10) == RK_SUCCESS);
  CHECK(clock.now().physical_ns == 5000);
  CHECK(clock.now().logical == 1);
  // Same physical time, a higher logical count: merged (not behind), so the clock passes it.
  CHECK(clock.merge(rk_hlc{5000, 7, 9}, 5000, 10) == RK_SUCCESS);
  CHECK(clock.now().logical == 8);
  rk_hlc next = clock.tick(5000).clock;
  CHECK(rk_hlc_compare(next, rk_hlc{5000, 7, 9}) > 0);
}

TEST_CASE("HostClock stays strictly monotonic across threads", "[hlc][host]") {
  constexpr int kThreads = 4;
  constexpr int kTicks = 20000;
  HostClock clock(0);
  std::vector<std::vector<rk_hlc>> seen(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      seen[t].reserve(kTicks);
      for (int i = 0; i < kTicks; ++i) {
        // Mix real time, a stuck time and merges from a remote node.
        if (i % 3 == 0) seen[t].push_back(clock.tick());
        else if (i % 3 == 1) seen[t].push_back(clock.tick(42).clock);
        else {
          (void)clock.merge(rk_hlc{rk_clock_ns() - 1000, 7, 9}, 1'000'000'000);
          seen[t].push_back(clock.tick());
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  std::vector<rk_hlc> all;
  for (int t = 0; t < kThreads; ++t) {
    for (size_t i = 1; i < seen[t].size(); ++i) REQUIRE(rk_hlc_compare(seen[t][i - 1], seen[t][i]) < 0);
    all.insert(all.end(), seen[t].begin(), seen[t].end());
  }
  // Every tick handed out a distinct timestamp, across threads too.
  std::sort(all.begin(), all.end(), [](rk_hlc a, rk_hlc b) { return rk_hlc_compare(a, b) < 0; });
  CHECK(std::adjacent_find(all.begin(), all.end(), [](rk_hlc a, rk_hlc b) { return rk_hlc_compare(a, b) == 0; }) ==
        all.end());
}
