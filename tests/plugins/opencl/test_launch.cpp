// Launching: NDRange geometry, the checks a launch makes before it queues anything, and a
// persistent kernel that runs while the host writes its SVM memory.
#include <chrono>
#include <cmath>
#include <thread>
#include <vector>

#include "opencl_fixture.hpp"

using namespace opencl_test;

namespace {

const char* const kVectorAdd = R"(
RK_KERNEL void vector_add(rk_global const float* a, rk_global const float* b, rk_global float* c, uint32_t n) {
  uint32_t i = rk_block_idx(0) * rk_block_dim(0) + rk_thread_idx(0);
  if (i < n) c[i] = a[i] + b[i];
}
)";

const char* const kIds = R"(
RK_KERNEL void ids(rk_global uint32_t* out) {
  uint32_t block = (rk_block_idx(2) * rk_grid_dim(1) + rk_block_idx(1)) * rk_grid_dim(0) + rk_block_idx(0);
  uint32_t thread = (rk_thread_idx(2) * rk_block_dim(1) + rk_thread_idx(1)) * rk_block_dim(0) + rk_thread_idx(0);
  uint32_t per_block = rk_block_dim(0) * rk_block_dim(1) * rk_block_dim(2);
  out[block * per_block + thread] = block * per_block + thread + 1u;
}
)";

// Thread 0 says it started, then waits until the host raises *go, then answers.
const char* const kWaitForHost = R"(
RK_KERNEL void wait_for_host(rk_global uint32_t* words) {
  if (rk_thread_idx(0) != 0u) return;
  rk_store_release_u32(&words[0], 1u);
  while (rk_load_acquire_u32(&words[1]) == 0u) rk_pause();
  rk_store_release_u32(&words[2], rk_load_acquire_u32(&words[1]) + 1u);
}
)";

uint32_t load_acquire(const uint32_t* p) { return __atomic_load_n(p, __ATOMIC_ACQUIRE); }

bool wait_until(const uint32_t* p, uint32_t value) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (load_acquire(p) != value)
    if (std::chrono::steady_clock::now() > deadline) return false;
    else std::this_thread::sleep_for(std::chrono::microseconds(100));
  return true;
}

rk_backend_stream new_stream() {
  rk_backend_context c = context();
  rk_backend_stream s = nullptr;
  REQUIRE(table().stream_create(c, &s) == RK_SUCCESS);
  return s;
}

}  // namespace

TEST_CASE("vector add of a million floats runs on the device", "[opencl][launch]") {
  const uint32_t n = 1u << 20;
  std::vector<float> a(n), b(n), c(n, -1.0f);
  for (uint32_t i = 0; i < n; ++i) {
    a[i] = float(i) * 0.25f;
    b[i] = std::cos(float(i));
  }
  rk_backend_buffer da = alloc(n * sizeof(float)), db = alloc(n * sizeof(float)), dc = alloc(n * sizeof(float));
  REQUIRE(table().copy_to_device(default_stream(), da, 0, a.data(), n * sizeof(float)) == RK_SUCCESS);
  REQUIRE(table().copy_to_device(default_stream(), db, 0, b.data(), n * sizeof(float)) == RK_SUCCESS);
  rk_backend_function f = function(compile_ok(kVectorAdd), "vector_add");
  rk_kernel_arg args[] = {buffer_arg(da), buffer_arg(db), buffer_arg(dc), value_arg(n)};
  rk_launch_config config = grid_1d(n / 256, 256);
  INFO(last_error());
  REQUIRE(table().launch(default_stream(), f, &config, args, 4) == RK_SUCCESS);
  REQUIRE(table().copy_to_host(default_stream(), c.data(), dc, 0, n * sizeof(float)) == RK_SUCCESS);
  REQUIRE(table().stream_synchronize(default_stream()) == RK_SUCCESS);
  uint32_t wrong = 0;
  for (uint32_t i = 0; i < n; ++i) wrong += c[i] != a[i] + b[i];
  CHECK(wrong == 0);
  for (rk_backend_buffer buffer : {da, db, dc}) table().buffer_free(buffer);
}

TEST_CASE("every work-item of a 3-D grid sees its own ids", "[opencl][launch]") {
  rk_launch_config config{};
  config.struct_size = sizeof(config);
  const uint32_t grid[3] = {3, 2, 2}, block[3] = {4, 2, 2};
  for (int d = 0; d < 3; ++d) {
    config.grid[d] = grid[d];
    config.block[d] = block[d];
  }
  const uint32_t total = 3 * 2 * 2 * 4 * 2 * 2;
  rk_backend_buffer out = alloc(total * sizeof(uint32_t));
  rk_kernel_arg arg = buffer_arg(out);
  REQUIRE(table().launch(default_stream(), function(compile_ok(kIds), "ids"), &config, &arg, 1) == RK_SUCCESS);
  std::vector<uint32_t> got(total);
  REQUIRE(table().copy_to_host(default_stream(), got.data(), out, 0, total * sizeof(uint32_t)) == RK_SUCCESS);
  REQUIRE(table().stream_synchronize(default_stream()) == RK_SUCCESS);
  for (uint32_t i = 0; i < total; ++i) CHECK(got[i] == i + 1);
  table().buffer_free(out);
}

TEST_CASE("a launch is checked before anything is queued", "[opencl][launch]") {
  rk_backend_function f = function(compile_ok(kVectorAdd), "vector_add");
  rk_backend_buffer b = alloc(64);
  uint32_t n = 1;
  uint64_t wide = 1;
  rk_kernel_arg good[] = {buffer_arg(b), buffer_arg(b), buffer_arg(b), value_arg(n)};
  rk_launch_config one = grid_1d(1, 1);
  CHECK(table().launch(default_stream(), f, &one, good, 3) == RK_ERROR_INVALID_ARGUMENT);
  CHECK(last_error().find("takes 4 arguments, the launch passes 3") != std::string::npos);
  rk_kernel_arg wrong_size[] = {buffer_arg(b), buffer_arg(b), buffer_arg(b), {RK_ARG_VALUE, sizeof(wide), &wide, nullptr}};
  CHECK(table().launch(default_stream(), f, &one, wrong_size, 4) == RK_ERROR_INVALID_ARGUMENT);
  CHECK(last_error().find("argument 3") != std::string::npos);
  rk_kernel_arg no_buffer[] = {buffer_arg(nullptr), buffer_arg(b), buffer_arg(b), value_arg(n)};
  CHECK(table().launch(default_stream(), f, &one, no_buffer, 4) == RK_ERROR_INVALID_ARGUMENT);
  rk_launch_config too_big = grid_1d(1, 100000);
  CHECK(table().launch(default_stream(), f, &too_big, good, 4) == RK_ERROR_INVALID_ARGUMENT);
  rk_launch_config zero = grid_1d(0, 1);
  CHECK(table().launch(default_stream(), f, &zero, good, 4) == RK_ERROR_INVALID_ARGUMENT);
  rk_launch_config dynamic_shared = grid_1d(1, 1);
  dynamic_shared.shared_memory_bytes = 256;
  CHECK(table().launch(default_stream(), f, &dynamic_shared, good, 4) == RK_ERROR_UNSUPPORTED);
  CHECK(table().stream_synchronize(default_stream()) == RK_SUCCESS);
  table().buffer_free(b);
}

TEST_CASE("a persistent kernel runs while the host writes its SVM memory", "[opencl][launch][persistent]") {
  require_ring_device();
  rk_backend_buffer words = alloc(128, RK_MEMORY_HOST_MAPPED);
  auto* host = static_cast<uint32_t*>(host_view(words));
  rk_backend_stream stream = new_stream();
  rk_backend_function f = function(compile_ok(kWaitForHost), "wait_for_host");
  rk_kernel_arg arg = buffer_arg(words);
  rk_launch_config config = grid_1d(1, 8, RK_LAUNCH_COOPERATIVE);
  INFO(last_error());
  REQUIRE(table().launch(stream, f, &config, &arg, 1) == RK_SUCCESS);
  REQUIRE(wait_until(&host[0], 1u));  // it is running
  CHECK(table().stream_query(stream) == RK_ERROR_NOT_READY);
  __atomic_store_n(&host[1], 41u, __ATOMIC_RELEASE);
  REQUIRE(table().stream_synchronize(stream) == RK_SUCCESS);
  CHECK(host[2] == 42u);
  CHECK(table().stream_query(stream) == RK_SUCCESS);
  table().stream_destroy(stream);
  table().buffer_free(words);
}

TEST_CASE("cooperative launches beyond the resident work-groups are refused, not hung", "[opencl][launch][persistent]") {
  const rk_device_info& info = require_ring_device();
  if (info.compute_units > 16) SKIP("device has " << info.compute_units << " compute units; the test fills them all");
  rk_backend_function f = function(compile_ok(kWaitForHost), "wait_for_host");
  std::vector<rk_backend_buffer> words;
  std::vector<rk_backend_stream> streams;
  rk_launch_config config = grid_1d(1, 1, RK_LAUNCH_COOPERATIVE);
  for (uint32_t i = 0; i < info.compute_units; ++i) {
    words.push_back(alloc(128, RK_MEMORY_HOST_MAPPED));
    streams.push_back(new_stream());
    rk_kernel_arg arg = buffer_arg(words.back());
    INFO(last_error());
    REQUIRE(table().launch(streams.back(), f, &config, &arg, 1) == RK_SUCCESS);
  }
  rk_backend_stream extra = new_stream();
  rk_backend_buffer extra_words = alloc(128, RK_MEMORY_HOST_MAPPED);
  rk_kernel_arg extra_arg = buffer_arg(extra_words);
  CHECK(table().launch(extra, f, &config, &extra_arg, 1) == RK_ERROR_LAUNCH_FAILED);
  CHECK(last_error().find("does not fit") != std::string::npos);
  for (size_t i = 0; i < streams.size(); ++i) {
    auto* host = static_cast<uint32_t*>(host_view(words[i]));
    REQUIRE(wait_until(&host[0], 1u));
    __atomic_store_n(&host[1], 1u, __ATOMIC_RELEASE);
    REQUIRE(table().stream_synchronize(streams[i]) == RK_SUCCESS);
  }
  // Every work-group is free again once the streams are synchronized.
  REQUIRE(table().launch(extra, f, &config, &extra_arg, 1) == RK_SUCCESS);
  auto* extra_host = static_cast<uint32_t*>(host_view(extra_words));
  REQUIRE(wait_until(&extra_host[0], 1u));
  __atomic_store_n(&extra_host[1], 1u, __ATOMIC_RELEASE);
  REQUIRE(table().stream_synchronize(extra) == RK_SUCCESS);
  for (rk_backend_stream s : streams) table().stream_destroy(s);
  for (rk_backend_buffer b : words) table().buffer_free(b);
  table().stream_destroy(extra);
  table().buffer_free(extra_words);
}
