// The dialect's HLC rules: tick, merge, skew, overflow, compare.
#include <catch2/catch_test_macros.hpp>

#include <cstdint>
#include <random>

// clang-format off
#include "core/dialect/preludes/rk_prelude_host.h"
#include "rk_ring_layout.h"
#include "core/dialect/rk_hlc_ops.h"
// clang-format on

namespace {

constexpr int64_t kSkew = 1'000'000;  // 1 ms

rk_hlc hlc(int64_t physical, uint32_t logical, uint32_t node = 1) { return rk_hlc_make(physical, logical, node); }

bool same(rk_hlc a, rk_hlc b) { return rk_hlc_compare(a, b) == 0; }

}  // namespace

TEST_CASE("tick follows the wall clock and counts when it stands still", "[hlc]") {
  rk_hlc_result r = rk_hlc_tick(hlc(100, 7), 200);
  CHECK(r.status == RK_SUCCESS);
  CHECK(same(r.clock, hlc(200, 0)));
  r = rk_hlc_tick(r.clock, 200);
  CHECK(same(r.clock, hlc(200, 1)));
  r = rk_hlc_tick(r.clock, 150);  // wall clock stepped back
  CHECK(same(r.clock, hlc(200, 2)));
  CHECK(r.clock.node_id == 1);
}

TEST_CASE("tick is strictly monotonic under a jumpy wall clock", "[hlc]") {
  std::mt19937_64 random(12345);
  std::uniform_int_distribution<int64_t> jitter(-5000, 5000);
  rk_hlc clock = hlc(0, 0);
  int64_t wall = 1'000'000;
  for (int i = 0; i < 100000; ++i) {
    wall += jitter(random);  // goes back about as often as forward
    rk_hlc_result r = rk_hlc_tick(clock, wall);
    REQUIRE(r.status == RK_SUCCESS);
    REQUIRE(rk_hlc_compare(clock, r.clock) < 0);
    clock = r.clock;
  }
}

TEST_CASE("tick refuses to wrap the logical counter", "[hlc]") {
  rk_hlc full = hlc(500, RK_HLC_LOGICAL_MAX);
  rk_hlc_result r = rk_hlc_tick(full, 500);
  CHECK(r.status == RK_ERROR_CLOCK_SKEW);
  CHECK(same(r.clock, full));
  CHECK(rk_hlc_tick(full, 501).status == RK_SUCCESS);  // time moving on clears it
}

TEST_CASE("merge takes the largest physical time and the matching counter", "[hlc]") {
  SECTION("wall clock ahead of both: counter restarts") {
    CHECK(same(rk_hlc_merge(hlc(100, 5), hlc(120, 9, 2), 300, kSkew).clock, hlc(300, 0)));
  }
  SECTION("remote ahead: remote counter + 1") {
    CHECK(same(rk_hlc_merge(hlc(100, 5), hlc(200, 9, 2), 150, kSkew).clock, hlc(200, 10)));
  }
  SECTION("local ahead: local counter + 1") {
    CHECK(same(rk_hlc_merge(hlc(200, 5), hlc(100, 9, 2), 150, kSkew).clock, hlc(200, 6)));
  }
  SECTION("equal physical times: larger counter + 1") {
    CHECK(same(rk_hlc_merge(hlc(200, 5), hlc(200, 9, 2), 150, kSkew).clock, hlc(200, 10)));
    CHECK(same(rk_hlc_merge(hlc(200, 12), hlc(200, 9, 2), 200, kSkew).clock, hlc(200, 13)));
  }
  SECTION("result is after both inputs and keeps our node id") {
    rk_hlc local = hlc(200, 5, 1);
    rk_hlc remote = hlc(200, 9, 2);
    rk_hlc merged = rk_hlc_merge(local, remote, 100, kSkew).clock;
    CHECK(rk_hlc_compare(merged, local) > 0);
    CHECK(rk_hlc_compare(merged, remote) > 0);
    CHECK(merged.node_id == 1);
  }
}

TEST_CASE("merge rejects a remote clock too far ahead and keeps the clock", "[hlc]") {
  rk_hlc local = hlc(1000, 3);
  CHECK(rk_hlc_merge(local, hlc(1000 + kSkew, 0, 2), 1000, kSkew).status == RK_SUCCESS);  // exactly at the limit
  rk_hlc_result r = rk_hlc_merge(local, hlc(1001 + kSkew, 0, 2), 1000, kSkew);
  CHECK(r.status == RK_ERROR_CLOCK_SKEW);
  CHECK(same(r.clock, local));
  // Hostile values cannot overflow the check.
  CHECK(rk_hlc_merge(local, hlc(INT64_MAX, 0, 2), INT64_MIN, kSkew).status == RK_ERROR_CLOCK_SKEW);
  CHECK(rk_hlc_merge(local, hlc(INT64_MIN, 0, 2), INT64_MAX, kSkew).status == RK_SUCCESS);  // behind is fine
  CHECK(rk_hlc_merge(local, hlc(1001, 0, 2), 1000, -5).status == RK_ERROR_CLOCK_SKEW);      // negative skew = 0
}

TEST_CASE("merge refuses to wrap the logical counter", "[hlc]") {
  rk_hlc local = hlc(100, 1);
  rk_hlc_result r = rk_hlc_merge(local, hlc(100, RK_HLC_LOGICAL_MAX, 2), 50, kSkew);
  CHECK(r.status == RK_ERROR_CLOCK_SKEW);
  CHECK(same(r.clock, local));
  CHECK(rk_hlc_merge(hlc(100, RK_HLC_LOGICAL_MAX), hlc(90, 0, 2), 50, kSkew).status == RK_ERROR_CLOCK_SKEW);
}

TEST_CASE("compare orders by physical, then logical, then node", "[hlc]") {
  CHECK(rk_hlc_compare(hlc(1, 9, 9), hlc(2, 0, 0)) == -1);
  CHECK(rk_hlc_compare(hlc(2, 0, 0), hlc(1, 9, 9)) == 1);
  CHECK(rk_hlc_compare(hlc(5, 1, 9), hlc(5, 2, 0)) == -1);
  CHECK(rk_hlc_compare(hlc(5, 2, 0), hlc(5, 2, 1)) == -1);
  CHECK(rk_hlc_compare(hlc(5, 2, 1), hlc(5, 2, 0)) == 1);
  CHECK(rk_hlc_compare(hlc(-5, 2, 1), hlc(-5, 2, 1)) == 0);
  CHECK(rk_hlc_compare(hlc(-6, 0, 0), hlc(-5, 0, 0)) == -1);
}
