// Selecting a backend by name or by RINGKERNEL_BACKEND: an unusable choice is an error that
// says why, and never falls back to another backend.
#include <string>

#include "discovery_support.hpp"

using namespace discovery_test;

TEST_CASE("selection by name and by environment", "[selection]") {
  rk_registry registry = registry_over(FIXTURE_DIR);
  const char* chosen = nullptr;
  SECTION("explicit name") {
    ScopedEnv env("RINGKERNEL_BACKEND", "fixture_newer_minor");  // the name wins over the environment
    CHECK(rk_registry_select(registry, "fixture_good", &chosen) == RK_SUCCESS);
    CHECK(std::string(chosen) == "fixture_good");
  }
  SECTION("RINGKERNEL_BACKEND when no name is given") {
    ScopedEnv env("RINGKERNEL_BACKEND", "fixture_newer_minor");
    CHECK(rk_registry_select(registry, nullptr, &chosen) == RK_SUCCESS);
    CHECK(std::string(chosen) == "fixture_newer_minor");
  }
  SECTION("an unknown name is an error that lists what is there and where it looked") {
    ScopedEnv env("RINGKERNEL_BACKEND", "no_such_backend");
    CHECK(rk_registry_select(registry, nullptr, &chosen) == RK_ERROR_NOT_FOUND);
    std::string error = rk_last_error();
    CHECK(contains(error, "'no_such_backend' is not installed"));
    CHECK(contains(error, "fixture_good"));
    CHECK(contains(error, FIXTURE_DIR));
  }
  SECTION("a rejected plugin is an error naming its reason, not a fallback") {
    CHECK(rk_registry_select(registry, "fixture_wrong_major", &chosen) == RK_ERROR_BACKEND_UNAVAILABLE);
    CHECK(contains(rk_last_error(), "ABI mismatch"));
    CHECK(rk_registry_select(registry, "fixture_init_fails", &chosen) == RK_ERROR_BACKEND_UNAVAILABLE);
    CHECK(contains(rk_last_error(), "init failed"));
    CHECK(contains(rk_last_error(), "firmware is too old"));
    CHECK(rk_registry_select(registry, "fixture_needs_dep", &chosen) == RK_ERROR_BACKEND_UNAVAILABLE);
    CHECK(contains(rk_last_error(), "missing dependency"));
  }
  SECTION("a backend without devices is an error with its reason") {
    CHECK(rk_registry_select(registry, "fixture_no_devices", &chosen) == RK_ERROR_NO_DEVICE);
    CHECK(contains(rk_last_error(), "driver not loaded"));
  }
  SECTION("no name and no environment means cpu_sim, which this folder lacks") {
    ScopedEnv env("RINGKERNEL_BACKEND", nullptr);
    CHECK(rk_registry_select(registry, nullptr, &chosen) == RK_ERROR_NOT_FOUND);
    CHECK(contains(rk_last_error(), "'cpu_sim'"));
  }
  SECTION("success clears the previous error") {
    CHECK(rk_registry_select(registry, "nope", &chosen) == RK_ERROR_NOT_FOUND);
    CHECK(rk_registry_select(registry, "fixture_good", &chosen) == RK_SUCCESS);
    CHECK(std::string(rk_last_error()).empty());
  }
  rk_registry_destroy(registry);
}

TEST_CASE("a duplicate never shadows the first copy", "[selection]") {
  rk_registry registry = registry_over(std::string(FIXTURE_DIR) + ":" + FIXTURE_DUP_DIR);
  const char* chosen = nullptr;
  REQUIRE(rk_registry_select(registry, "fixture_good", &chosen) == RK_SUCCESS);
  rk_runtime runtime = nullptr;
  REQUIRE(create_runtime(registry, "fixture_good", &runtime) == RK_SUCCESS);
  rk_runtime_destroy(runtime);
  rk_registry_destroy(registry);
}

TEST_CASE("a runtime on a usable backend: device, bridge mode, name", "[selection][runtime]") {
  rk_registry registry = registry_over(FIXTURE_DIR);
  rk_runtime runtime = nullptr;
  SECTION("no persistent-kernel caps, no host-coherent memory: relaunch-copy mode, said out loud") {
    REQUIRE(create_runtime(registry, "fixture_good", &runtime) == RK_SUCCESS);
    CHECK(std::string(rk_runtime_backend_name(runtime)) == "fixture_good");
    CHECK(rk_runtime_bridge_mode(runtime) == RK_BRIDGE_RELAUNCH_COPY);
    rk_device_info info{};
    REQUIRE(rk_runtime_device_info(runtime, &info) == RK_SUCCESS);
    CHECK(std::string(info.name) == "fixture device");
  }
  SECTION("persistent kernels and host-coherent memory: persistent mode") {
    REQUIRE(create_runtime(registry, "fixture_newer_minor", &runtime) == RK_SUCCESS);
    CHECK(rk_runtime_bridge_mode(runtime) == RK_BRIDGE_PERSISTENT);
  }
  SECTION("RINGKERNEL_BACKEND picks the runtime's backend too") {
    ScopedEnv env("RINGKERNEL_BACKEND", "fixture_newer_minor");
    REQUIRE(create_runtime(registry, nullptr, &runtime) == RK_SUCCESS);
    CHECK(std::string(rk_runtime_backend_name(runtime)) == "fixture_newer_minor");
  }
  CHECK(rk_runtime_synchronize(runtime) == RK_SUCCESS);
  CHECK(rk_runtime_destroy(runtime) == RK_SUCCESS);
  rk_registry_destroy(registry);
}

TEST_CASE("a runtime outlives the registry it came from", "[selection][runtime]") {
  rk_registry registry = registry_over(FIXTURE_DIR);
  rk_runtime runtime = nullptr;
  REQUIRE(create_runtime(registry, "fixture_good", &runtime) == RK_SUCCESS);
  rk_registry_destroy(registry);  // the backend stays loaded for the runtime
  CHECK(std::string(rk_runtime_backend_name(runtime)) == "fixture_good");
  CHECK(rk_runtime_synchronize(runtime) == RK_SUCCESS);
  rk_runtime_destroy(runtime);
}

TEST_CASE("creating a runtime on an unusable backend fails with the reason", "[selection][runtime]") {
  rk_registry registry = registry_over(FIXTURE_DIR);
  rk_runtime runtime = nullptr;
  CHECK(create_runtime(registry, "fixture_init_fails", &runtime) == RK_ERROR_BACKEND_UNAVAILABLE);
  CHECK(contains(rk_last_error(), "init failed"));
  CHECK(create_runtime(registry, "fixture_no_devices", &runtime) == RK_ERROR_NO_DEVICE);
  CHECK(create_runtime(registry, "fixture_absent", &runtime) == RK_ERROR_NOT_FOUND);
  // Loads (only the 1.0 head), but cannot open a context: the entry is beyond its table.
  CHECK(create_runtime(registry, "fixture_head_only", &runtime) == RK_ERROR_UNSUPPORTED);
  CHECK(contains(rk_last_error(), "'fixture_head_only' does not provide context_create"));
  CHECK(runtime == nullptr);
  rk_runtime_options options{};
  options.struct_size = sizeof(options);
  options.registry = registry;
  options.backend = "fixture_good";
  options.device_index = 1;  // it has one device
  CHECK(rk_runtime_create(&options, &runtime) == RK_ERROR_NO_DEVICE);
  CHECK(contains(rk_last_error(), "index 1"));
  CHECK(rk_runtime_create(nullptr, nullptr) == RK_ERROR_INVALID_ARGUMENT);
  rk_registry_destroy(registry);
}
