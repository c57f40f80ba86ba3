// Discovery over good and deliberately broken plugins: each gets its classified reason and
// the loader's or the plugin's own words, and nothing crashes.
#include <string>

#include <filesystem>
#include <fstream>

#include "discovery_support.hpp"
#include "rk_transport.h"

using namespace discovery_test;

TEST_CASE("plugins that load: ok, no devices, newer minor, head only", "[discovery]") {
  rk_registry registry = registry_over(FIXTURE_DIR);
  CHECK(rk_registry_plugin_count(registry) == 12);

  rk_plugin_status good = status_of(registry, "fixture_good.so");
  CHECK(good.outcome == RK_PLUGIN_LOADED);
  CHECK(good.reason == RK_PLUGIN_REASON_OK);
  CHECK(good.device_count == 1);
  CHECK(good.abi_major == RK_PLUGIN_ABI_MAJOR);
  CHECK(std::string(good.name) == "fixture_good");
  CHECK(std::string(good.detail).empty());

  rk_plugin_status newer = status_of(registry, "fixture_newer_minor");
  CHECK(newer.outcome == RK_PLUGIN_LOADED);  // a longer table from a newer minor still loads
  CHECK(newer.reason == RK_PLUGIN_REASON_OK);
  CHECK(newer.abi_minor == RK_PLUGIN_ABI_MINOR + 1);
  CHECK(newer.caps == (RK_CAP_PERSISTENT_KERNELS | RK_CAP_HOST_COHERENT | RK_CAP_K2K));

  rk_plugin_status head_only = status_of(registry, "fixture_head_only");
  CHECK(head_only.outcome == RK_PLUGIN_LOADED);  // optional entries missing never reject a plugin
  CHECK(head_only.reason == RK_PLUGIN_REASON_OK);

  rk_plugin_status no_devices = status_of(registry, "fixture_no_devices");
  CHECK(no_devices.outcome == RK_PLUGIN_LOADED);
  CHECK(no_devices.reason == RK_PLUGIN_REASON_NO_DEVICES);
  CHECK(no_devices.device_count == 0);
  CHECK(contains(no_devices.detail, "driver not loaded"));  // the plugin's last_error

  CHECK(rk_registry_device_count(registry) == 3);  // good, newer_minor, head_only
  CHECK(rk_registry_destroy(registry) == RK_SUCCESS);
}

TEST_CASE("plugins the loader cannot load: missing dependency, not a plugin", "[discovery]") {
  rk_registry registry = registry_over(FIXTURE_DIR);
  rk_plugin_status dep = status_of(registry, "fixture_needs_dep");
  CHECK(dep.outcome == RK_PLUGIN_REJECTED);
  CHECK(dep.reason == RK_PLUGIN_REASON_MISSING_DEPENDENCY);
  CHECK(contains(dep.detail, "libfixture_helper.so"));  // dlopen's words name the missing library
  CHECK(std::string(dep.name) == "fixture_needs_dep");  // the file's stem: it never said its name

  rk_plugin_status garbage = status_of(registry, "garbage");
  CHECK(garbage.outcome == RK_PLUGIN_REJECTED);
  CHECK(garbage.reason == RK_PLUGIN_REASON_NOT_A_PLUGIN);
  CHECK((contains(garbage.detail, "file too short") || contains(garbage.detail, "invalid ELF header")));
  CHECK_FALSE(contains(garbage.detail, "dlerror system message"));  // the loader's words, not Boost's wrapping
  rk_registry_destroy(registry);
}

TEST_CASE("plugins with a bad entry or table: missing symbol, ABI mismatch", "[discovery]") {
  rk_registry registry = registry_over(FIXTURE_DIR);
  rk_plugin_status no_entry = status_of(registry, "fixture_no_entry");
  CHECK(no_entry.outcome == RK_PLUGIN_REJECTED);
  CHECK(no_entry.reason == RK_PLUGIN_REASON_MISSING_SYMBOL);
  CHECK(contains(no_entry.detail, "rk_plugin_entry"));

  rk_plugin_status wrong_major = status_of(registry, "fixture_wrong_major");
  CHECK(wrong_major.reason == RK_PLUGIN_REASON_ABI_MISMATCH);
  CHECK(wrong_major.abi_major == RK_PLUGIN_ABI_MAJOR + 1);
  CHECK(contains(wrong_major.detail, "plugin ABI " + std::to_string(RK_PLUGIN_ABI_MAJOR + 1) + "." +
                                         std::to_string(RK_PLUGIN_ABI_MINOR) + ", core ABI " +
                                         std::to_string(RK_PLUGIN_ABI_MAJOR) + "."));

  rk_plugin_status short_table = status_of(registry, "fixture_short_table");
  CHECK(short_table.reason == RK_PLUGIN_REASON_ABI_MISMATCH);
  CHECK(contains(short_table.detail, "1.0 head needs"));

  rk_plugin_status null_name = status_of(registry, "fixture_null_name");
  CHECK(null_name.reason == RK_PLUGIN_REASON_ABI_MISMATCH);
  CHECK(contains(null_name.detail, "'name' is NULL"));
  rk_registry_destroy(registry);
}

TEST_CASE("plugins that refuse: init failed in the plugin's words", "[discovery]") {
  rk_registry registry = registry_over(FIXTURE_DIR);
  rk_plugin_status init = status_of(registry, "fixture_init_fails");
  CHECK(init.outcome == RK_PLUGIN_REJECTED);
  CHECK(init.reason == RK_PLUGIN_REASON_INIT_FAILED);
  CHECK(contains(init.detail, "firmware is too old"));

  rk_plugin_status probe = status_of(registry, "fixture_probe_fails");
  CHECK(probe.outcome == RK_PLUGIN_REJECTED);
  CHECK(probe.reason == RK_PLUGIN_REASON_INIT_FAILED);
  CHECK(contains(probe.detail, "RK_ERROR_DEVICE_FAULT"));
  CHECK(contains(probe.detail, "fell off the bus"));
  rk_registry_destroy(registry);
}

TEST_CASE("device entries carry their backend and index", "[discovery]") {
  rk_registry registry = registry_over(FIXTURE_DIR);
  rk_device_entry entry{};
  entry.struct_size = sizeof(entry);
  REQUIRE(rk_registry_device(registry, 0, &entry) == RK_SUCCESS);
  CHECK(std::string(entry.backend) == "fixture_good");
  CHECK(entry.backend_device_index == 0);
  CHECK(std::string(entry.info.name) == "fixture device");
  CHECK(rk_registry_device(registry, 99, &entry) == RK_ERROR_INVALID_ARGUMENT);
  rk_device_entry unsized{};
  CHECK(rk_registry_device(registry, 0, &unsized) == RK_ERROR_INVALID_ARGUMENT);  // struct_size not set
  rk_plugin_status status{};
  CHECK(rk_registry_plugin_status(registry, 0, &status) == RK_ERROR_INVALID_ARGUMENT);
  CHECK(contains(rk_last_error(), "struct_size"));
  rk_registry_destroy(registry);
}

TEST_CASE("a registry with no plugins is valid and has no devices", "[discovery]") {
  rk_registry registry = registry_over(FIXTURE_EMPTY_DIR);
  CHECK(rk_registry_plugin_count(registry) == 0);
  CHECK(rk_registry_device_count(registry) == 0);
  const char* chosen = nullptr;
  CHECK(rk_registry_select(registry, "fixture_good", &chosen) == RK_ERROR_NOT_FOUND);
  CHECK(contains(rk_last_error(), "loaded backends: none"));
  rk_registry_destroy(registry);
}

TEST_CASE("a folder that does not exist is searched and simply empty", "[discovery]") {
  rk_registry registry = registry_over(std::string(FIXTURE_EMPTY_DIR) + "/no/such/folder");
  CHECK(rk_registry_plugin_count(registry) == 0);
  rk_registry_destroy(registry);
}

TEST_CASE("NULL arguments are errors, not crashes", "[discovery]") {
  CHECK(rk_registry_create(nullptr, nullptr) == RK_ERROR_INVALID_ARGUMENT);
  CHECK(rk_registry_plugin_count(nullptr) == 0);
  CHECK(rk_registry_device_count(nullptr) == 0);
  CHECK(std::string(rk_registry_search_path(nullptr)).empty());
  CHECK(rk_registry_select(nullptr, "x", nullptr) == RK_ERROR_INVALID_ARGUMENT);
  CHECK(rk_registry_destroy(nullptr) == RK_SUCCESS);
  rk_registry_options unsized{};
  rk_registry registry = nullptr;
  CHECK(rk_registry_create(&unsized, &registry) == RK_ERROR_INVALID_ARGUMENT);
}

// Transports (docs/transports.md) are found in the same folders and classified alike.
TEST_CASE("transports: a file that is no library is rejected; the ucx transport loads where it is built", "[discovery][transport]") {
#if defined(__SANITIZE_THREAD__)
  setenv("UCX_MEM_EVENTS", "no", 0);  // UCX patches mmap when it loads; ThreadSanitizer does not survive it
#endif
  std::filesystem::create_directories(TRANSPORT_SCRATCH_DIR);
  std::ofstream(std::string(TRANSPORT_SCRATCH_DIR) + "/librk_transport_garbage.so") << "not a library";
  rk_registry registry = registry_over(std::string(TRANSPORT_SCRATCH_DIR) + ":" + PLUGIN_OUTPUT_DIR);
  bool saw_garbage = false, saw_ucx = false;
  for (uint32_t i = 0; i < rk_registry_transport_count(registry); ++i) {
    rk_plugin_status s{};
    s.struct_size = sizeof(s);
    REQUIRE(rk_registry_transport_status(registry, i, &s) == RK_SUCCESS);
    INFO(s.path << ": " << s.detail);
    if (contains(s.path, "garbage")) {
      saw_garbage = true;
      CHECK(s.outcome == RK_PLUGIN_REJECTED);
      CHECK(s.reason == RK_PLUGIN_REASON_NOT_A_PLUGIN);
      CHECK(std::string(s.name) == "garbage");
    }
    if (std::string(s.name) == "ucx") {
      saw_ucx = true;
      CHECK(s.outcome == RK_PLUGIN_LOADED);
      CHECK(s.reason == RK_PLUGIN_REASON_OK);
      CHECK(s.abi_major == RK_TRANSPORT_ABI_MAJOR);
      CHECK(contains(s.detail, "UCX "));
    }
  }
  CHECK(saw_garbage);
#ifdef HAVE_UCX_TRANSPORT
  CHECK(saw_ucx);
#endif
  rk_plugin_status none{};
  none.struct_size = sizeof(none);
  CHECK(rk_registry_transport_status(registry, 99, &none) == RK_ERROR_INVALID_ARGUMENT);
  CHECK(rk_registry_transport_count(nullptr) == 0);
  rk_registry_destroy(registry);
}
