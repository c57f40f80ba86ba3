// Allocation, mapping and copies for every memory kind.
#include <algorithm>
#include <numeric>
#include <vector>

#include "conformance_support.hpp"

using namespace conformance;

TEST_CASE("buffers round-trip through every memory kind", "[conformance][memory]") {
  for_each_backend([](Target& t) {
    for (rk_memory_kind kind : {RK_MEMORY_DEVICE, RK_MEMORY_HOST_MAPPED, RK_MEMORY_SHARED}) {
      CAPTURE(int(kind));
      const size_t n = 1 << 16;
      rk_buffer buffer = nullptr;
      rk_result created = rk_buffer_create(t.runtime, n, kind, &buffer);
      if (created == RK_ERROR_UNSUPPORTED) continue;  // a kind the device lacks says so
      REQUIRE(created == RK_SUCCESS);
      CHECK(rk_buffer_size(buffer) == n);
      std::vector<uint8_t> in(n), out(n, 0);
      std::iota(in.begin(), in.end(), uint8_t{7});
      REQUIRE(rk_buffer_write(buffer, 0, in.data(), n) == RK_SUCCESS);
      REQUIRE(rk_buffer_read(buffer, 0, out.data(), n) == RK_SUCCESS);
      CHECK(in == out);
      // Partial copies at an offset.
      REQUIRE(rk_buffer_read(buffer, 100, out.data(), 10) == RK_SUCCESS);
      CHECK(std::equal(out.begin(), out.begin() + 10, in.begin() + 100));
      void* mapped = nullptr;
      rk_result m = rk_buffer_map(buffer, &mapped);
      if (kind != RK_MEMORY_DEVICE || (t.device.caps & RK_CAP_DEVICE_MEMORY_MAP)) {
        REQUIRE(m == RK_SUCCESS);
        auto* view = static_cast<uint8_t*>(mapped);
        CHECK(std::equal(in.begin(), in.end(), view));
        view[7] = 0xAB;  // writes through the mapping are what a read sees
        uint8_t back = 0;
        REQUIRE(rk_buffer_read(buffer, 7, &back, 1) == RK_SUCCESS);
        CHECK(back == 0xAB);
      } else {
        CHECK(m == RK_ERROR_UNSUPPORTED);
      }
      CHECK(rk_buffer_destroy(buffer) == RK_SUCCESS);
    }
  });
}

TEST_CASE("out-of-range copies and bad arguments are refused", "[conformance][memory]") {
  for_each_backend([](Target& t) {
    rk_buffer buffer = nullptr;
    REQUIRE(rk_buffer_create(t.runtime, 64, RK_MEMORY_DEVICE, &buffer) == RK_SUCCESS);
    uint8_t bytes[128] = {};
    CHECK(rk_buffer_write(buffer, 60, bytes, 8) == RK_ERROR_INVALID_ARGUMENT);
    CHECK(rk_buffer_read(buffer, 65, bytes, 0) == RK_ERROR_INVALID_ARGUMENT);
    CHECK(rk_buffer_create(t.runtime, 0, RK_MEMORY_DEVICE, &buffer) == RK_ERROR_INVALID_ARGUMENT);
    CHECK(rk_buffer_create(t.runtime, 8, RK_MEMORY_UNDEFINED, &buffer) == RK_ERROR_INVALID_ARGUMENT);
    CHECK(rk_buffer_destroy(buffer) == RK_SUCCESS);
  });
}
