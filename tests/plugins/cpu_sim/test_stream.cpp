// Streams: launches return once queued, work runs in order, query sees unfinished work,
// destroy waits for it, and two streams run side by side (one ring kernel per stream).
#include <atomic>
#include <chrono>
#include <thread>

#include "plugin_fixture.hpp"

using namespace cpu_sim_test;

namespace {

// Holds its stream until the host raises *gate, then adds one to *value.
const char* const kGated = R"(
RK_KERNEL void gated_increment(rk_global uint32_t* gate, rk_global uint32_t* value) {
  while (rk_load_acquire_u32(gate) == 0u) rk_park_u32(gate, 0u, 1000000);
  rk_store_release_u32(value, rk_load_relaxed_u32(value) + 1u);
}
RK_KERNEL void store(rk_global uint32_t* out, uint32_t v) { out[0] = v; }
RK_KERNEL void open_gate(rk_global uint32_t* gate) {
  rk_store_release_u32(gate, 1u);
  rk_unpark_u32(gate);
}
)";

struct Gated {
  rk_backend_module module = compile_ok(kGated);
  rk_backend_buffer gate = alloc(4), value = alloc(4);
  ~Gated() {
    table().buffer_free(gate);
    table().buffer_free(value);
    table().module_destroy(module);
  }
  void launch_on(rk_backend_stream stream) {
    rk_kernel_arg args[] = {buffer_arg(gate), buffer_arg(value)};
    rk_launch_config config = grid_1d(1, 1);
    REQUIRE(table().launch(stream, function(module, "gated_increment"), &config, args, 2) == RK_SUCCESS);
  }
  void open() { std::atomic_ref<uint32_t>(*static_cast<uint32_t*>(host_view(gate))).store(1); }
  uint32_t current() { return std::atomic_ref<uint32_t>(*static_cast<uint32_t*>(host_view(value))).load(); }
};

rk_backend_stream new_stream() {
  rk_backend_stream s = nullptr;
  REQUIRE(table().stream_create(context(), &s) == RK_SUCCESS);
  return s;
}

}  // namespace

TEST_CASE("a launch returns at once and query reports the running kernel", "[cpu_sim][stream]") {
  Gated g;
  rk_backend_stream s = new_stream();
  g.launch_on(s);
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  CHECK(table().stream_query(s) == RK_ERROR_NOT_READY);
  CHECK(g.current() == 0u);
  g.open();
  REQUIRE(table().stream_synchronize(s) == RK_SUCCESS);
  CHECK(table().stream_query(s) == RK_SUCCESS);
  CHECK(g.current() == 1u);
  table().stream_destroy(s);
}

TEST_CASE("copies and launches on one stream run in order", "[cpu_sim][stream]") {
  Gated g;
  rk_backend_stream s = new_stream();
  uint32_t start = 41, result = 0;
  g.launch_on(s);
  REQUIRE(table().copy_to_device(s, g.value, 0, &start, 4) == RK_SUCCESS);  // queued behind the kernel
  REQUIRE(table().copy_to_host(s, &result, g.value, 0, 4) == RK_SUCCESS);
  CHECK(table().stream_query(s) == RK_ERROR_NOT_READY);
  g.open();
  REQUIRE(table().stream_synchronize(s) == RK_SUCCESS);
  CHECK(result == 41u);  // the kernel's increment came first, then the copy overwrote it
  CHECK(g.current() == 41u);
  table().stream_destroy(s);
}

TEST_CASE("launch arguments are copied when the launch is queued", "[cpu_sim][stream]") {
  Gated g;
  rk_backend_stream s = new_stream();
  g.launch_on(s);
  {
    uint32_t v = 5;
    rk_kernel_arg args[] = {buffer_arg(g.value), value_arg(v)};
    rk_launch_config config = grid_1d(1, 1);
    REQUIRE(table().launch(s, function(g.module, "store"), &config, args, 2) == RK_SUCCESS);
    v = 999;  // too late to matter
  }
  g.open();
  REQUIRE(table().stream_synchronize(s) == RK_SUCCESS);
  CHECK(g.current() == 5u);
  table().stream_destroy(s);
}

TEST_CASE("destroying a stream waits for its work", "[cpu_sim][stream]") {
  Gated g;
  rk_backend_stream s = new_stream();
  g.launch_on(s);
  std::thread opener([&g] {
    std::this_thread::sleep_for(std::chrono::milliseconds(30));
    g.open();
  });
  CHECK(table().stream_destroy(s) == RK_SUCCESS);
  CHECK(g.current() == 1u);
  opener.join();
}

TEST_CASE("kernels on two streams run side by side", "[cpu_sim][stream]") {
  Gated g;
  rk_backend_stream waiting = new_stream(), other = new_stream();
  g.launch_on(waiting);
  rk_kernel_arg gate = buffer_arg(g.gate);
  rk_launch_config config = grid_1d(1, 1);
  // The second stream opens the first stream's gate: only possible if both run at once.
  REQUIRE(table().launch(other, function(g.module, "open_gate"), &config, &gate, 1) == RK_SUCCESS);
  REQUIRE(table().stream_synchronize(waiting) == RK_SUCCESS);
  CHECK(g.current() == 1u);
  table().stream_destroy(waiting);
  table().stream_destroy(other);
}
