// The hip plugin through libringcore's public API: discovery everywhere; vector add and a
// persistent echo ring kernel where an AMD GPU exists (SKIP with the reason elsewhere).
#include <catch2/catch_test_macros.hpp>

#include "device_plugin_checks.hpp"

namespace {

void require_hip_device() { rk::test::require_device("hip", RK_HIP_TEST_PLUGIN_DIR, "HIP"); }

}  // namespace

TEST_CASE("the hip plugin loads and explains a missing device", "[hip][plugin]") {
  // Each cause of "no device" names itself: no kernel driver (checked first, so discovery
  // never loads ROCm on machines without an AMD GPU), no runtime, a failing hipInit.
  rk::test::check_loads_and_explains("hip", RK_HIP_TEST_PLUGIN_DIR,
                                     {"/dev/kfd not found (no AMD GPU kernel driver)",
                                      "libamdhip64 not found (no ROCm HIP runtime)", "hipInit failed: hipError",
                                      "reports no device"});
}

TEST_CASE("vector add runs on the HIP device", "[hip][gpu]") {
  require_hip_device();
  rk::Runtime rt("hip");
  rk::test::check_vector_add(rt, RK_MEMORY_DEVICE);
}

TEST_CASE("a persistent echo ring kernel answers requests on the GPU", "[hip][gpu][ring]") {
  require_hip_device();
  rk::Runtime rt("hip");
  rk::test::check_echo_ring(rt);
}

// The plugin offsets the GPU's wall clock (arbitrary origin) to CLOCK_REALTIME after each
// module load, to within half a launch round trip; 1 ms of slack, as for CUDA.
TEST_CASE("the device clock reads the host's CLOCK_REALTIME", "[hip][gpu][clock]") {
  require_hip_device();
  rk::Runtime rt("hip");
  rk::test::check_device_clock(rt, 1'000'000);
}
