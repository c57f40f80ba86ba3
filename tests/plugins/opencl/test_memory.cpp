// Memory: cl_mem device buffers by copy only, SVM host-mapped / shared memory at one
// address on both sides, synchronous and stream-ordered copies.
#include <algorithm>
#include <numeric>
#include <vector>

#include "opencl_fixture.hpp"

using namespace opencl_test;

TEST_CASE("device memory round-trips by copies and is zeroed", "[opencl][memory]") {
  const size_t n = 1 << 16;
  rk_backend_buffer b = alloc(n);
  std::vector<uint8_t> in(n), out(n, 0xAB);
  REQUIRE(table().copy_to_host(nullptr, out.data(), b, 0, n) == RK_SUCCESS);
  CHECK(std::all_of(out.begin(), out.end(), [](uint8_t v) { return v == 0; }));
  std::iota(in.begin(), in.end(), uint8_t{3});
  REQUIRE(table().copy_to_device(nullptr, b, 0, in.data(), n) == RK_SUCCESS);
  REQUIRE(table().copy_to_host(nullptr, out.data(), b, 0, n) == RK_SUCCESS);
  CHECK(in == out);
  SECTION("on a stream, in order") {
    std::vector<uint8_t> later(100, 0);
    REQUIRE(table().copy_to_device(default_stream(), b, 1000, in.data(), 100) == RK_SUCCESS);
    REQUIRE(table().copy_to_host(default_stream(), later.data(), b, 1000, 100) == RK_SUCCESS);
    REQUIRE(table().stream_synchronize(default_stream()) == RK_SUCCESS);
    CHECK(std::equal(later.begin(), later.end(), in.begin()));
  }
  CHECK(table().copy_to_device(nullptr, b, n - 4, in.data(), 8) == RK_ERROR_INVALID_ARGUMENT);
  CHECK(table().copy_to_host(nullptr, out.data(), b, n + 1, 0) == RK_ERROR_INVALID_ARGUMENT);
  CHECK(table().buffer_free(b) == RK_SUCCESS);
}

TEST_CASE("device memory is not mappable; on an SVM device it has a fixed device address", "[opencl][memory]") {
  rk_backend_buffer b = alloc(256);
  void* p = nullptr;
  CHECK(table().buffer_map(b, &p) == RK_ERROR_UNSUPPORTED);
  CHECK(last_error().find("cannot be mapped") != std::string::npos);
  uint64_t address = 0;
  rk_result r = table().buffer_device_address(b, &address);
  if (r == RK_SUCCESS) {  // coarse-grained SVM: where copied ring blocks live (core/runtime/copy_mode.hpp)
    CHECK(address != 0);
    CHECK(address % 128 == 0);
    std::vector<uint8_t> in(256), out(256, 0);
    for (size_t i = 0; i < in.size(); ++i) in[i] = static_cast<uint8_t>(i * 7);
    REQUIRE(table().copy_to_device(nullptr, b, 0, in.data(), in.size()) == RK_SUCCESS);
    REQUIRE(table().copy_to_host(nullptr, out.data(), b, 0, out.size()) == RK_SUCCESS);
    CHECK(in == out);
  } else {  // a device without SVM: a cl_mem, passed as a buffer argument only
    CHECK(r == RK_ERROR_UNSUPPORTED);
    CHECK(last_error().find("no fixed device address") != std::string::npos);
  }
  table().buffer_free(b);
}

TEST_CASE("host-mapped and shared memory is SVM at one address on both sides", "[opencl][memory]") {
  require_ring_device();
  for (rk_memory_kind kind : {RK_MEMORY_HOST_MAPPED, RK_MEMORY_SHARED}) {
    CAPTURE(int(kind));
    rk_backend_buffer b = alloc(1000, kind);
    auto* host = static_cast<uint32_t*>(host_view(b));
    uint64_t device = 0;
    REQUIRE(table().buffer_device_address(b, &device) == RK_SUCCESS);
    CHECK(device == reinterpret_cast<uintptr_t>(host));  // what the ring runtime requires
    CHECK(device % 128 == 0);
    CHECK(host[0] == 0u);
    host[3] = 77u;
    uint32_t read = 0;
    REQUIRE(table().copy_to_host(nullptr, &read, b, 12, sizeof(read)) == RK_SUCCESS);
    CHECK(read == 77u);
    uint32_t written = 99u;
    REQUIRE(table().copy_to_device(default_stream(), b, 16, &written, sizeof(written)) == RK_SUCCESS);
    REQUIRE(table().stream_synchronize(default_stream()) == RK_SUCCESS);
    CHECK(host[4] == 99u);
    CHECK(table().buffer_free(b) == RK_SUCCESS);
  }
}

TEST_CASE("bad allocations are refused", "[opencl][memory]") {
  rk_backend_context c = context();
  rk_backend_buffer b = nullptr;
  CHECK(table().buffer_alloc(c, 0, RK_MEMORY_DEVICE, &b) == RK_ERROR_INVALID_ARGUMENT);
  CHECK(table().buffer_alloc(c, 8, RK_MEMORY_UNDEFINED, &b) == RK_ERROR_INVALID_ARGUMENT);
  CHECK(table().buffer_free(nullptr) == RK_SUCCESS);
}
