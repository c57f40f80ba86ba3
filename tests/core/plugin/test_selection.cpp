// Selecting a backend by name or by RINGKERNEL_BACKEND: an unusable choice is an error that
// says why, and never falls back to another backend.
#include <cstdlib>
#include <string>

#include "discovery_support.hpp"

using namespace discovery_test;

namespace {

struct EnvVar {
  explicit EnvVar(const char* value) {
    if (value) setenv("RINGKERNEL_BACKEND", value, 1);
    else unsetenv("RINGKERNEL_BACKEND");
  }
  ~EnvVar() { unsetenv("RINGKERNEL_BACKEND"); }
};

std::string error_text() { return rk_last_error(); }

}  // namespace

TEST_CASE("selection by name and by environment", "[selection]") {
  rk_registry registry = registry_over(FIXTURE_DIR);
  const char* chosen = nullptr;
  SECTION("explicit name") {
    CHECK(rk_registry_select(registry, "fixture_good", &chosen) == RK_SUCCESS);
    CHECK(std::string(chosen) == "fixture_good");
  }
  SECTION("RINGKERNEL_BACKEND when no name is given") {
    EnvVar env("fixture_newer_minor");
    CHECK(rk_registry_select(registry, nullptr, &chosen) == RK_SUCCESS);
    CHECK(std::string(chosen) == "fixture_newer_minor");
  }
  SECTION("an unknown name is an error that lists what is there") {
    EnvVar env("no_such_backend");
    CHECK(rk_registry_select(registry, nullptr, &chosen) == RK_ERROR_NOT_FOUND);
    CHECK(error_text().find("'no_such_backend' is not installed") != std::string::npos);
    CHECK(error_text().find("fixture_good") != std::string::npos);
  }
  SECTION("a rejected plugin is an error naming its reason, not a fallback") {
    CHECK(rk_registry_select(registry, "fixture_wrong_major", &chosen) == RK_ERROR_BACKEND_UNAVAILABLE);
    CHECK(error_text().find("ABI mismatch") != std::string::npos);
    CHECK(rk_registry_select(registry, "fixture_init_fails", &chosen) == RK_ERROR_BACKEND_UNAVAILABLE);
    CHECK(error_text().find("firmware is too old") != std::string::npos);
  }
  SECTION("a backend without devices is an error with its reason") {
    CHECK(rk_registry_select(registry, "fixture_no_devices", &chosen) == RK_ERROR_NO_DEVICE);
    CHECK(error_text().find("driver not loaded") != std::string::npos);
  }
  SECTION("no name and no environment means cpu_sim, which this folder lacks") {
    EnvVar env(nullptr);
    CHECK(rk_registry_select(registry, nullptr, &chosen) == RK_ERROR_NOT_FOUND);
    CHECK(error_text().find("'cpu_sim'") != std::string::npos);
  }
  rk_registry_destroy(registry);
}

TEST_CASE("creating a runtime on an unusable backend fails with the reason", "[selection]") {
  rk_registry registry = registry_over(FIXTURE_DIR);
  rk_runtime_options options{};
  options.struct_size = sizeof(options);
  options.registry = registry;
  rk_runtime runtime = nullptr;
  options.backend = "fixture_init_fails";
  CHECK(rk_runtime_create(&options, &runtime) == RK_ERROR_BACKEND_UNAVAILABLE);
  CHECK(error_text().find("init failed") != std::string::npos);
  options.backend = "fixture_good";  // loads, but offers no context_create
  CHECK(rk_runtime_create(&options, &runtime) == RK_ERROR_UNSUPPORTED);
  CHECK(error_text().find("does not provide context_create") != std::string::npos);
  rk_registry_destroy(registry);
}
