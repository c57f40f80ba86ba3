// Every memory kind is host memory: aligned, zeroed, mapped at its device address.
#include <algorithm>
#include <cstring>
#include <numeric>
#include <vector>

#include "plugin_fixture.hpp"

using namespace cpu_sim_test;

TEST_CASE("every memory kind is aligned, zeroed and mapped at its device address", "[cpu_sim][memory]") {
  for (rk_memory_kind kind : {RK_MEMORY_DEVICE, RK_MEMORY_HOST_MAPPED, RK_MEMORY_SHARED}) {
    CAPTURE(int(kind));
    rk_backend_buffer b = alloc(1000, kind);
    auto* bytes = static_cast<uint8_t*>(host_view(b));
    uint64_t address = 0;
    REQUIRE(table().buffer_device_address(b, &address) == RK_SUCCESS);
    CHECK(address == reinterpret_cast<uintptr_t>(bytes));
    CHECK(address % 128 == 0);
    CHECK(std::all_of(bytes, bytes + 1000, [](uint8_t x) { return x == 0; }));
    CHECK(table().buffer_free(b) == RK_SUCCESS);
  }
}

TEST_CASE("bad allocations are refused", "[cpu_sim][memory]") {
  rk_backend_buffer b = nullptr;
  CHECK(table().buffer_alloc(context(), 0, RK_MEMORY_DEVICE, &b) == RK_ERROR_INVALID_ARGUMENT);
  CHECK(table().buffer_alloc(context(), 64, RK_MEMORY_UNDEFINED, &b) == RK_ERROR_INVALID_ARGUMENT);
  CHECK(table().buffer_alloc(context(), 64, RK_MEMORY_DEVICE, nullptr) == RK_ERROR_INVALID_ARGUMENT);
  CHECK(table().buffer_free(nullptr) == RK_SUCCESS);
}

TEST_CASE("synchronous copies round-trip and respect the buffer's bounds", "[cpu_sim][memory]") {
  rk_backend_buffer b = alloc(256);
  std::vector<uint8_t> in(256), out(256);
  std::iota(in.begin(), in.end(), uint8_t{1});
  REQUIRE(table().copy_to_device(nullptr, b, 0, in.data(), 256) == RK_SUCCESS);
  REQUIRE(table().copy_to_host(nullptr, out.data(), b, 0, 256) == RK_SUCCESS);
  CHECK(in == out);
  REQUIRE(table().copy_to_host(nullptr, out.data(), b, 250, 6) == RK_SUCCESS);
  CHECK(std::equal(out.begin(), out.begin() + 6, in.begin() + 250));
  CHECK(table().copy_to_device(nullptr, b, 250, in.data(), 7) == RK_ERROR_INVALID_ARGUMENT);
  CHECK(table().copy_to_host(nullptr, out.data(), b, 257, 0) == RK_ERROR_INVALID_ARGUMENT);
  CHECK(table().copy_to_device(nullptr, b, 0, nullptr, 4) == RK_ERROR_INVALID_ARGUMENT);
  CHECK(last_error().find("NULL") != std::string::npos);
  table().buffer_free(b);
}

TEST_CASE("copies on a stream happen in order, by synchronize", "[cpu_sim][memory]") {
  rk_backend_buffer b = alloc(1 << 20);
  std::vector<uint32_t> first(1 << 18, 1u), second(1 << 18, 2u), out(1 << 18, 0u);
  REQUIRE(table().copy_to_device(default_stream(), b, 0, first.data(), 1 << 20) == RK_SUCCESS);
  REQUIRE(table().copy_to_device(default_stream(), b, 0, second.data(), 1 << 20) == RK_SUCCESS);
  REQUIRE(table().copy_to_host(default_stream(), out.data(), b, 0, 1 << 20) == RK_SUCCESS);
  REQUIRE(table().stream_synchronize(default_stream()) == RK_SUCCESS);
  CHECK(out == second);
  table().buffer_free(b);
}
