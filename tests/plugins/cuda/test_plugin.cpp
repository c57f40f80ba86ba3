// The cuda plugin through libringcore's public API: discovery everywhere; vector add and a
// persistent echo ring kernel where a CUDA device exists (SKIP with the reason elsewhere).
#include <catch2/catch_test_macros.hpp>

#include "device_plugin_checks.hpp"

namespace {

void require_cuda_device() { rk::test::require_device("cuda", RK_CUDA_TEST_PLUGIN_DIR, "CUDA"); }

}  // namespace

TEST_CASE("the cuda plugin loads and explains a missing device", "[cuda][plugin]") {
  rk::test::check_loads_and_explains("cuda", RK_CUDA_TEST_PLUGIN_DIR,
                                     {"libcuda.so.1 not found (no NVIDIA driver)", "cuInit failed: CUDA_ERROR",
                                      "no CUDA device"});
}

TEST_CASE("vector add runs on the CUDA device", "[cuda][gpu]") {
  require_cuda_device();
  rk::Runtime rt("cuda");
  rk::test::check_vector_add(rt, RK_MEMORY_DEVICE);
}

TEST_CASE("a persistent echo ring kernel answers requests on the GPU", "[cuda][gpu][ring]") {
  require_cuda_device();
  rk::Runtime rt("cuda");
  rk::test::check_echo_ring(rt);
}

// %globaltimer alone ran over 8 us behind CLOCK_REALTIME on an H100; the plugin calibrates it
// after each module load to within a PCIe round trip. 1 ms of slack: this catches a clock
// from another origin or an offset applied the wrong way, never a slow machine.
TEST_CASE("the device clock reads the host's CLOCK_REALTIME", "[cuda][gpu][clock]") {
  require_cuda_device();
  rk::Runtime rt("cuda");
  rk::test::check_device_clock(rt, 1'000'000);
}
