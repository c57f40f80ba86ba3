// rk_clock_ns (core/dialect/preludes/rk_host_primitives.h): CLOCK_REALTIME in ns, read from
// the TSC where the CPU has an invariant one. Whatever the path, a reading lies between two
// clock_gettime readings taken around it, within the anchor's error, through calibration and
// several renewals, on several threads at once.
#include <catch2/catch_test_macros.hpp>

#include <atomic>
#include <thread>
#include <vector>

#include "core/hlc/host_clock.hpp"

namespace {

// The anchor's error: tens of ns after a 10 ms renewal; far more than that is a wrong rate.
constexpr int64_t kSlackNs = 100'000;

struct Outside {
  std::atomic<uint64_t> readings{0}, outside{0};
};

void read_for(Outside& o, int64_t span_ns) {
  const int64_t start = rk_clock_vdso_ns();
  while (rk_clock_vdso_ns() - start < span_ns) {
    int64_t before = rk_clock_vdso_ns();
    int64_t ours = rk_clock_ns();
    int64_t after = rk_clock_vdso_ns();
    o.readings.fetch_add(1, std::memory_order_relaxed);
    if (ours < before - kSlackNs || ours > after + kSlackNs) o.outside.fetch_add(1, std::memory_order_relaxed);
  }
}

}  // namespace

TEST_CASE("rk_clock_ns follows CLOCK_REALTIME through calibration and renewals", "[hlc][host][clock]") {
  Outside o;
  std::vector<std::thread> threads;
  for (int t = 0; t < 3; ++t) threads.emplace_back([&] { read_for(o, 50'000'000); });  // 5 renewals
  for (auto& t : threads) t.join();
  CHECK(o.readings.load() > 0);
  CHECK(o.outside.load() == 0);
}
