// Launching: ids over 3-D grids, the block barrier, block-shared memory, cooperative grids
// and the checks a launch makes before it queues anything.
#include <catch2/generators/catch_generators.hpp>
#include <numeric>
#include <vector>

#include "plugin_fixture.hpp"
#include "stress.hpp"

using namespace cpu_sim_test;

namespace {

// Writes each thread's global linear id at its own slot; with `sync` set it also passes a
// barrier, which makes cpu_sim run the block's threads simultaneously.
std::string ids_kernel(bool with_barrier) {
  return std::string(with_barrier ? "#define MAYBE_SYNC() rk_sync_threads()\n" : "#define MAYBE_SYNC() ((void)0)\n") +
         R"(
RK_KERNEL void ids(rk_global uint32_t* out) {
  uint32_t block = (rk_block_idx(2) * rk_grid_dim(1) + rk_block_idx(1)) * rk_grid_dim(0) + rk_block_idx(0);
  uint32_t thread = (rk_thread_idx(2) * rk_block_dim(1) + rk_thread_idx(1)) * rk_block_dim(0) + rk_thread_idx(0);
  uint32_t per_block = rk_block_dim(0) * rk_block_dim(1) * rk_block_dim(2);
  MAYBE_SYNC();
  out[block * per_block + thread] = block * per_block + thread + 1u;
}
)";
}

// Every thread writes its slot, waits, reads its neighbour's, waits: a barrier that lets
// one thread through early shows up as a stale neighbour value.
const char* const kBarrier = R"(
RK_KERNEL void barrier_check(rk_global uint32_t* errors, uint32_t rounds) {
  RK_SHARED_ARRAY(uint32_t, slots, 1024);
  uint32_t t = rk_thread_idx(0), n = rk_block_dim(0), wrong = 0u;
  for (uint32_t round = 1u; round <= rounds; ++round) {
    slots[t] = round * 4096u + t;
    rk_sync_threads();
    uint32_t neighbour = (t + 1u) % n;
    if (slots[neighbour] != round * 4096u + neighbour) ++wrong;
    rk_sync_threads();
  }
  errors[rk_block_idx(0) * n + t] = wrong;
}
)";

const char* const kDynamicShared = R"(
RK_KERNEL void reverse(rk_global uint32_t* data) {
  rk_shared uint32_t* scratch = (rk_shared uint32_t*)rk_dynamic_shared();
  uint32_t t = rk_thread_idx(0), n = rk_block_dim(0), base = rk_block_idx(0) * n;
  scratch[t] = data[base + t];
  rk_sync_threads();
  data[base + t] = scratch[n - 1u - t];
}
)";

// A grid-wide barrier: only correct when every block is resident at once.
const char* const kGridBarrier = R"(
RK_KERNEL void grid_barrier(rk_global uint32_t* arrived, rk_global uint32_t* seen) {
  if (rk_thread_idx(0) == 0u) {
    rk_fetch_add_u32(arrived, 1u);
    while (rk_load_acquire_u32(arrived) < rk_grid_dim(0)) rk_yield();
    seen[rk_block_idx(0)] = rk_load_acquire_u32(arrived);
  }
  rk_sync_threads();
}
)";

std::vector<uint32_t> read_back(rk_backend_buffer b, size_t count) {
  const auto* p = static_cast<const uint32_t*>(host_view(b));
  return std::vector<uint32_t>(p, p + count);
}

void run(rk_backend_function f, const rk_launch_config& config, std::vector<rk_kernel_arg> args) {
  INFO(last_error());
  REQUIRE(table().launch(default_stream(), f, &config, args.data(), uint32_t(args.size())) == RK_SUCCESS);
  REQUIRE(table().stream_synchronize(default_stream()) == RK_SUCCESS);
}

}  // namespace

TEST_CASE("every thread of a 3-D grid sees its own ids", "[cpu_sim][launch]") {
  bool with_barrier = GENERATE(false, true);
  CAPTURE(with_barrier);
  rk_backend_module m = compile_ok(ids_kernel(with_barrier));
  rk_launch_config config{sizeof(rk_launch_config), {2, 3, 2}, {4, 2, 3}, 0, 0};
  const uint32_t total = 12 * 24;
  rk_backend_buffer out = alloc(total * 4);
  run(function(m, "ids"), config, {buffer_arg(out)});
  std::vector<uint32_t> expected(total);
  std::iota(expected.begin(), expected.end(), 1u);
  CHECK(read_back(out, total) == expected);
  table().buffer_free(out);
  table().module_destroy(m);
}

TEST_CASE("rk_sync_threads is a real barrier, round after round", "[cpu_sim][launch]") {
  uint32_t threads = GENERATE(2u, 64u, 1024u);
  CAPTURE(threads);
  // A block of 1024 runs 1024 threads at once: under a sanitizer, starting them is the cost.
  const bool large = threads == 1024u;
  const auto blocks = static_cast<uint32_t>(large ? rk::test::stress_count(4, 1) : 4u);
  const auto rounds = static_cast<uint32_t>(large ? rk::test::stress_count(20, 4) : rk::test::stress_count(300, 30));
  rk_backend_module m = compile_ok(kBarrier);
  rk_backend_buffer errors = alloc(blocks * threads * 4);
  run(function(m, "barrier_check"), grid_1d(blocks, threads), {buffer_arg(errors), value_arg(rounds)});
  std::vector<uint32_t> e = read_back(errors, blocks * threads);
  CHECK(std::accumulate(e.begin(), e.end(), 0u) == 0u);
  table().buffer_free(errors);
  table().module_destroy(m);
}

TEST_CASE("dynamic shared memory is per block and sized by the launch", "[cpu_sim][launch]") {
  const uint32_t blocks = 8, threads = 256;
  rk_backend_module m = compile_ok(kDynamicShared);
  rk_backend_buffer data = alloc(blocks * threads * 4);
  auto* p = static_cast<uint32_t*>(host_view(data));
  std::iota(p, p + blocks * threads, 0u);
  rk_launch_config config = grid_1d(blocks, threads);
  config.shared_memory_bytes = threads * 4;
  run(function(m, "reverse"), config, {buffer_arg(data)});
  uint32_t wrong = 0;
  for (uint32_t b = 0; b < blocks; ++b)
    for (uint32_t t = 0; t < threads; ++t) wrong += p[b * threads + t] != b * threads + (threads - 1 - t);
  CHECK(wrong == 0);
  table().buffer_free(data);
  table().module_destroy(m);
}

TEST_CASE("a cooperative launch runs every block at once", "[cpu_sim][launch]") {
  const uint32_t blocks = 24;  // more blocks than most CI machines have cores
  rk_backend_module m = compile_ok(kGridBarrier);
  rk_backend_buffer arrived = alloc(4), seen = alloc(blocks * 4);
  run(function(m, "grid_barrier"), grid_1d(blocks, 8, RK_LAUNCH_COOPERATIVE), {buffer_arg(arrived), buffer_arg(seen)});
  CHECK(read_back(seen, blocks) == std::vector<uint32_t>(blocks, blocks));
  table().buffer_free(arrived);
  table().buffer_free(seen);
  table().module_destroy(m);
}

TEST_CASE("launch refuses what it cannot run, before queueing", "[cpu_sim][launch]") {
  rk_backend_module m = compile_ok(kBarrier);
  rk_backend_function f = function(m, "barrier_check");
  rk_backend_buffer errors = alloc(64);
  uint32_t rounds = 1;
  rk_kernel_arg args[] = {buffer_arg(errors), value_arg(rounds)};
  rk_launch_config config = grid_1d(1, 1);
  auto launch = [&](const rk_launch_config& c, const rk_kernel_arg* a, uint32_t n) {
    return table().launch(default_stream(), f, &c, a, n);
  };
  CHECK(launch(grid_1d(1, 1025), args, 2) == RK_ERROR_INVALID_ARGUMENT);
  CHECK(last_error().find("1024") != std::string::npos);
  CHECK(launch(grid_1d(0, 1), args, 2) == RK_ERROR_INVALID_ARGUMENT);
  rk_launch_config big_shared = config;
  big_shared.shared_memory_bytes = 64 * 1024 + 1;
  CHECK(launch(big_shared, args, 2) == RK_ERROR_INVALID_ARGUMENT);
  CHECK(launch(grid_1d(64, 1024, RK_LAUNCH_COOPERATIVE), args, 2) == RK_ERROR_LAUNCH_FAILED);
  CHECK(launch(config, args, 1) == RK_ERROR_INVALID_ARGUMENT);
  CHECK(last_error().find("takes 2 arguments, the launch passes 1") != std::string::npos);
  uint64_t wide = 1;
  rk_kernel_arg wrong_size[] = {buffer_arg(errors), rk_kernel_arg{RK_ARG_VALUE, sizeof(wide), &wide, nullptr}};
  CHECK(launch(config, wrong_size, 2) == RK_ERROR_INVALID_ARGUMENT);
  CHECK(last_error().find("argument 1") != std::string::npos);
  rk_kernel_arg no_buffer[] = {buffer_arg(nullptr), value_arg(rounds)};
  CHECK(launch(config, no_buffer, 2) == RK_ERROR_INVALID_ARGUMENT);
  CHECK(launch(config, nullptr, 2) == RK_ERROR_INVALID_ARGUMENT);
  CHECK(table().stream_query(default_stream()) == RK_SUCCESS);  // nothing was queued
  table().buffer_free(errors);
  table().module_destroy(m);
}

TEST_CASE("device addresses pass as pointer arguments", "[cpu_sim][launch]") {
  rk_backend_module m = compile_ok("RK_KERNEL void store(rk_global uint32_t* out, uint32_t v) { out[0] = v; }\n");
  rk_backend_buffer out = alloc(4);
  uint64_t address = 0;
  REQUIRE(table().buffer_device_address(out, &address) == RK_SUCCESS);
  uint32_t v = 77;
  run(function(m, "store"), grid_1d(1, 1), {rk_kernel_arg{RK_ARG_DEVICE_ADDRESS, 8, &address, nullptr}, value_arg(v)});
  CHECK(read_back(out, 1)[0] == 77u);
  table().buffer_free(out);
  table().module_destroy(m);
}
