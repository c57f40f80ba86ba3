// The level_zero plugin through libringcore's public API: discovery everywhere; compile,
// vector add and a persistent echo ring kernel where a Level Zero device exists (SKIP with
// the plugin's reason elsewhere).
#include <string>

#include <catch2/catch_test_macros.hpp>

#include "device_plugin_checks.hpp"

namespace {

void require_level_zero_device() {
  rk::test::require_device("level_zero", RK_LEVEL_ZERO_TEST_PLUGIN_DIR, "Level Zero");
}

}  // namespace

TEST_CASE("the level_zero plugin loads and explains a missing device", "[level_zero][plugin]") {
  rk::test::check_loads_and_explains("level_zero", RK_LEVEL_ZERO_TEST_PLUGIN_DIR,
                                     {"0 Level Zero drivers", "libze_loader.so.1 not found", "report no devices"});
}

TEST_CASE("selecting level_zero without a device is an error that names the reason", "[level_zero][plugin]") {
  rk_registry registry = nullptr;
  rk_plugin_status s = rk::test::plugin_status(registry, "level_zero", RK_LEVEL_ZERO_TEST_PLUGIN_DIR);
  uint32_t devices = s.device_count;
  rk_registry_destroy(registry);
  if (devices > 0) SKIP("a Level Zero device is present");
  rk_runtime_options options{};
  options.struct_size = sizeof(options);
  options.backend = "level_zero";
  rk_runtime runtime = nullptr;
  CHECK(rk_runtime_create(&options, &runtime) != RK_SUCCESS);
  CHECK(runtime == nullptr);
  CHECK(std::string(rk_last_error()).find("level_zero") != std::string::npos);
}

TEST_CASE("vector add runs on the Level Zero device", "[level_zero][gpu]") {
  require_level_zero_device();
  rk::Runtime rt("level_zero");
  rk::test::check_vector_add(rt, RK_MEMORY_SHARED);
}

TEST_CASE("a broken source fails on the device with the compiler's log", "[level_zero][gpu]") {
  require_level_zero_device();
  rk::Runtime rt("level_zero");
  rk::test::compile(rt, "RK_KERNEL void k(rk_global uint32_t* p) { p[0] = not_declared_anywhere; }\n", "broken",
                    RK_ERROR_COMPILE_FAILED);
  CHECK(std::string(rk_last_error()).find("not_declared_anywhere") != std::string::npos);
}

TEST_CASE("a persistent echo ring kernel answers requests on the device", "[level_zero][gpu][ring]") {
  require_level_zero_device();
  rk::Runtime rt("level_zero");
  rk::test::check_echo_ring(rt);
}
