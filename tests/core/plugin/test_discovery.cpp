// Discovery over good and deliberately broken plugins: each gets its classified reason and
// the loader's own words, and nothing crashes.
#include <string>

#include "discovery_support.hpp"

using namespace discovery_test;

namespace {

bool contains(const char* text, const char* part) { return std::string(text).find(part) != std::string::npos; }

}  // namespace

TEST_CASE("every fixture plugin gets its classified reason", "[discovery]") {
  rk_registry registry = registry_over(FIXTURE_DIR);
  CHECK(rk_registry_plugin_count(registry) == 8);

  rk_plugin_status good = status_of(registry, "fixture_good.so");
  CHECK(good.outcome == RK_PLUGIN_LOADED);
  CHECK(good.reason == RK_PLUGIN_REASON_OK);
  CHECK(good.device_count == 1);
  CHECK(std::string(good.name) == "fixture_good");

  rk_plugin_status no_entry = status_of(registry, "fixture_no_entry");
  CHECK(no_entry.outcome == RK_PLUGIN_REJECTED);
  CHECK(no_entry.reason == RK_PLUGIN_REASON_MISSING_SYMBOL);
  CHECK(contains(no_entry.detail, "rk_plugin_entry"));

  rk_plugin_status wrong_major = status_of(registry, "fixture_wrong_major");
  CHECK(wrong_major.reason == RK_PLUGIN_REASON_ABI_MISMATCH);
  CHECK(wrong_major.abi_major == RK_PLUGIN_ABI_MAJOR + 1);
  CHECK(contains(wrong_major.detail, "major"));

  rk_plugin_status newer = status_of(registry, "fixture_newer_minor");
  CHECK(newer.outcome == RK_PLUGIN_LOADED);  // a longer table from a newer minor still loads
  CHECK(newer.reason == RK_PLUGIN_REASON_OK);
  CHECK(newer.abi_minor == RK_PLUGIN_ABI_MINOR + 1);

  rk_plugin_status init = status_of(registry, "fixture_init_fails");
  CHECK(init.reason == RK_PLUGIN_REASON_INIT_FAILED);
  CHECK(contains(init.detail, "firmware is too old"));  // the plugin's own words

  rk_plugin_status no_devices = status_of(registry, "fixture_no_devices");
  CHECK(no_devices.outcome == RK_PLUGIN_LOADED);
  CHECK(no_devices.reason == RK_PLUGIN_REASON_NO_DEVICES);
  CHECK(contains(no_devices.detail, "driver not loaded"));

  rk_plugin_status dep = status_of(registry, "fixture_needs_dep");
  CHECK(dep.reason == RK_PLUGIN_REASON_MISSING_DEPENDENCY);
  CHECK(contains(dep.detail, "libfixture_helper.so"));  // dlopen's words name the missing library

  rk_plugin_status garbage = status_of(registry, "garbage");
  CHECK(garbage.reason == RK_PLUGIN_REASON_NOT_A_PLUGIN);
  CHECK(std::string(garbage.detail).size() > 0);

  CHECK(rk_registry_device_count(registry) == 2);  // fixture_good + fixture_newer_minor
  CHECK(rk_registry_destroy(registry) == RK_SUCCESS);
}

TEST_CASE("folders are searched in order and a later duplicate is rejected", "[discovery]") {
  rk_registry registry = registry_over(std::string(FIXTURE_DIR) + ":" + FIXTURE_DUP_DIR + ":" + FIXTURE_DIR);
  CHECK(std::string(rk_registry_search_path(registry)) == std::string(FIXTURE_DIR) + ":" + FIXTURE_DUP_DIR);
  rk_plugin_status copy = status_of(registry, "fixture_good_copy");
  CHECK(copy.reason == RK_PLUGIN_REASON_DUPLICATE);
  CHECK(contains(copy.detail, "fixture_good.so"));  // names where the first one came from
  rk_registry_destroy(registry);
}

TEST_CASE("a registry with no plugins is valid and has no devices", "[discovery]") {
  rk_registry registry = registry_over(FIXTURE_EMPTY_DIR);
  CHECK(rk_registry_plugin_count(registry) == 0);
  CHECK(rk_registry_device_count(registry) == 0);
  rk_registry_destroy(registry);
}

TEST_CASE("the default registry finds cpu_sim beside libringcore", "[discovery]") {
  rk_registry registry = nullptr;
  REQUIRE(rk_registry_default(&registry) == RK_SUCCESS);
  const char* chosen = nullptr;
  REQUIRE(rk_registry_select(registry, "cpu_sim", &chosen) == RK_SUCCESS);
  CHECK(std::string(chosen) == "cpu_sim");
  CHECK(rk_registry_destroy(registry) == RK_ERROR_INVALID_ARGUMENT);  // it lives as long as the process
}
