// Launching dialect kernels: element-wise work and a block reduction with rk_sync_threads,
// checked against the host.
#include <cmath>
#include <numeric>
#include <string>
#include <vector>

#include "conformance_support.hpp"
#include "stress.hpp"

using namespace conformance;

namespace {

const char* const kVectorAdd = R"(
RK_KERNEL void vector_add(rk_global const float* a, rk_global const float* b, rk_global float* c, uint32_t n) {
  uint32_t i = rk_block_idx(0) * rk_block_dim(0) + rk_thread_idx(0);
  if (i < n) c[i] = a[i] + b[i];
}
)";

// Tree reduction in block-shared memory; one partial sum per block.
const char* const kReduce = R"(
RK_KERNEL void block_sum(rk_global const uint32_t* in, rk_global uint64_t* partial, uint32_t n) {
  RK_SHARED_ARRAY(uint64_t, scratch, 256);
  uint32_t t = rk_thread_idx(0);
  uint32_t i = rk_block_idx(0) * rk_block_dim(0) + t;
  scratch[t] = i < n ? (uint64_t)in[i] : 0u;
  rk_sync_threads();
  for (uint32_t stride = rk_block_dim(0) / 2u; stride > 0u; stride >>= 1) {
    if (t < stride) scratch[t] += scratch[t + stride];
    rk_sync_threads();
  }
  if (t == 0u) partial[rk_block_idx(0)] = scratch[0];
}
)";

rk_buffer make_buffer(Target& t, size_t bytes, const void* data) {
  rk_buffer buffer = nullptr;
  REQUIRE(rk_buffer_create(t.runtime, bytes, RK_MEMORY_DEVICE, &buffer) == RK_SUCCESS);
  if (data) REQUIRE(rk_buffer_write(buffer, 0, data, bytes) == RK_SUCCESS);
  return buffer;
}

rk_arg buffer_arg(rk_buffer b) { return rk_arg{RK_ARG_BUFFER, 0, nullptr, b}; }

rk_launch_config config_1d(uint32_t blocks, uint32_t threads) {
  rk_launch_config c{};
  c.struct_size = sizeof(c);
  c.grid[0] = blocks;
  c.grid[1] = c.grid[2] = 1;
  c.block[0] = threads;
  c.block[1] = c.block[2] = 1;
  return c;
}

}  // namespace

TEST_CASE("vector add of a million floats matches the host", "[conformance][launch]") {
  for_each_backend([](Target& t) {
    const uint32_t n = 1u << 20;
    std::vector<float> a(n), b(n), c(n, -1.0f);
    for (uint32_t i = 0; i < n; ++i) {
      a[i] = float(i) * 0.5f;
      b[i] = std::sin(float(i));
    }
    rk_buffer da = make_buffer(t, n * sizeof(float), a.data());
    rk_buffer db = make_buffer(t, n * sizeof(float), b.data());
    rk_buffer dc = make_buffer(t, n * sizeof(float), nullptr);
    rk_module module = compile(t, kVectorAdd, "vector_add");
    rk_function f = nullptr;
    REQUIRE(rk_module_function(module, "vector_add", &f) == RK_SUCCESS);
    rk_arg args[] = {buffer_arg(da), buffer_arg(db), buffer_arg(dc), rk_arg{RK_ARG_VALUE, sizeof(n), &n, nullptr}};
    rk_launch_config config = config_1d((n + 255) / 256, 256);
    REQUIRE(rk_launch(t.runtime, f, &config, args, 4) == RK_SUCCESS);
    REQUIRE(rk_runtime_synchronize(t.runtime) == RK_SUCCESS);
    REQUIRE(rk_buffer_read(dc, 0, c.data(), n * sizeof(float)) == RK_SUCCESS);
    uint32_t wrong = 0;
    for (uint32_t i = 0; i < n; ++i) wrong += c[i] != a[i] + b[i];
    CHECK(wrong == 0);
    for (rk_buffer buf : {da, db, dc}) rk_buffer_destroy(buf);
    rk_module_destroy(module);
  });
}

TEST_CASE("a block reduction with rk_sync_threads matches the host sum", "[conformance][launch]") {
  for_each_backend([](Target& t) {
    // Blocks of 256 threads (eight barrier steps each); fewer blocks under a sanitizer.
    const auto n = static_cast<uint32_t>(rk::test::stress_count(100000, 5000));
    const uint32_t threads = 256, blocks = (n + threads - 1) / threads;
    std::vector<uint32_t> in(n);
    for (uint32_t i = 0; i < n; ++i) in[i] = (i * 2654435761u) >> 12;
    rk_buffer din = make_buffer(t, n * sizeof(uint32_t), in.data());
    rk_buffer dpartial = make_buffer(t, blocks * sizeof(uint64_t), nullptr);
    rk_module module = compile(t, kReduce, "block_sum");
    rk_function f = nullptr;
    REQUIRE(rk_module_function(module, "block_sum", &f) == RK_SUCCESS);
    rk_arg args[] = {buffer_arg(din), buffer_arg(dpartial), rk_arg{RK_ARG_VALUE, sizeof(n), &n, nullptr}};
    rk_launch_config config = config_1d(blocks, threads);
    REQUIRE(rk_launch(t.runtime, f, &config, args, 3) == RK_SUCCESS);
    REQUIRE(rk_runtime_synchronize(t.runtime) == RK_SUCCESS);
    std::vector<uint64_t> partial(blocks);
    REQUIRE(rk_buffer_read(dpartial, 0, partial.data(), blocks * sizeof(uint64_t)) == RK_SUCCESS);
    uint64_t device_sum = std::accumulate(partial.begin(), partial.end(), uint64_t{0});
    uint64_t host_sum = std::accumulate(in.begin(), in.end(), uint64_t{0});
    CHECK(device_sum == host_sum);
    rk_buffer_destroy(din);
    rk_buffer_destroy(dpartial);
    rk_module_destroy(module);
  });
}

TEST_CASE("asking for a function the module lacks fails with its name", "[conformance][launch]") {
  for_each_backend([](Target& t) {
    rk_module module = compile(t, kVectorAdd, "vector_add");
    rk_function f = nullptr;
    CHECK(rk_module_function(module, "vector_sub", &f) == RK_ERROR_NOT_FOUND);
    CHECK(f == nullptr);
    CHECK(std::string(rk_last_error()).find("vector_sub") != std::string::npos);
    rk_module_destroy(module);
  });
}

TEST_CASE("launch arguments are checked", "[conformance][launch]") {
  for_each_backend([](Target& t) {
    rk_module module = compile(t, kVectorAdd, "vector_add");
    rk_function f = nullptr;
    REQUIRE(rk_module_function(module, "vector_add", &f) == RK_SUCCESS);
    rk_launch_config config = config_1d(1, 1);
    CHECK(rk_launch(t.runtime, f, &config, nullptr, 4) == RK_ERROR_INVALID_ARGUMENT);
    rk_arg no_buffer = rk_arg{RK_ARG_BUFFER, 0, nullptr, nullptr};
    CHECK(rk_launch(t.runtime, f, &config, &no_buffer, 1) == RK_ERROR_INVALID_ARGUMENT);
    rk_launch_config too_big = config_1d(1, 100000);
    uint32_t n = 0;
    rk_arg value = rk_arg{RK_ARG_VALUE, sizeof(n), &n, nullptr};
    CHECK(rk_launch(t.runtime, f, &too_big, &value, 1) == RK_ERROR_INVALID_ARGUMENT);
    rk_module_destroy(module);
  });
}
