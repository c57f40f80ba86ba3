// Where plugins are looked for, in which order, each folder once; the default registry.
#include <dlfcn.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "discovery_support.hpp"

using namespace discovery_test;

namespace {

std::string core_library_folder() {
  Dl_info info{};
  REQUIRE(dladdr(reinterpret_cast<void*>(&rk_abi_major), &info) != 0);
  return std::filesystem::canonical(info.dli_fname).parent_path().string();
}

}  // namespace

TEST_CASE("folders are searched in order and a later duplicate is rejected", "[discovery][order]") {
  rk_registry registry = registry_over(std::string(FIXTURE_DIR) + ":" + FIXTURE_DUP_DIR + ":" + FIXTURE_DIR);
  CHECK(std::string(rk_registry_search_path(registry)) == std::string(FIXTURE_DIR) + ":" + FIXTURE_DUP_DIR);
  rk_plugin_status copy = status_of(registry, "fixture_good_copy");
  CHECK(copy.outcome == RK_PLUGIN_REJECTED);
  CHECK(copy.reason == RK_PLUGIN_REASON_DUPLICATE);
  CHECK(contains(copy.detail, "fixture_good.so"));  // names where the first one came from
  CHECK(copy.device_count == 0);                    // none of its devices can be used
  CHECK(status_of(registry, "fixture_good.so").outcome == RK_PLUGIN_LOADED);
  rk_registry_destroy(registry);
}

TEST_CASE("relative plugin folders are resolved against the working folder once", "[discovery][order]") {
  std::filesystem::path fixtures(FIXTURE_DIR);
  std::filesystem::path previous = std::filesystem::current_path();
  std::filesystem::current_path(fixtures.parent_path());
  rk_registry registry = registry_over(fixtures.filename().string());
  std::filesystem::current_path(previous);
  CHECK(std::string(rk_registry_search_path(registry)) == FIXTURE_DIR);  // absolute, as searched
  CHECK(status_of(registry, "fixture_good.so").outcome == RK_PLUGIN_LOADED);
  rk_registry_destroy(registry);
}

TEST_CASE("the same real folder is searched once", "[discovery][order]") {
  std::string same = std::string(FIXTURE_DIR) + "/../" + std::filesystem::path(FIXTURE_DIR).filename().string();
  rk_registry registry = registry_over(std::string(FIXTURE_DIR) + ":" + same + ":");
  CHECK(std::string(rk_registry_search_path(registry)) == FIXTURE_DIR);
  CHECK(rk_registry_plugin_count(registry) == 12);
  rk_registry_destroy(registry);
}

TEST_CASE("options.search_path comes before RINGKERNEL_PLUGIN_PATH", "[discovery][order]") {
  ScopedEnv env("RINGKERNEL_PLUGIN_PATH", FIXTURE_DIR);
  rk_registry registry = registry_over(FIXTURE_DUP_DIR, RK_REGISTRY_NO_DEFAULT_DIRS);
  CHECK(std::string(rk_registry_search_path(registry)) == std::string(FIXTURE_DUP_DIR) + ":" + FIXTURE_DIR);
  CHECK(status_of(registry, "fixture_good_copy").outcome == RK_PLUGIN_LOADED);
  rk_plugin_status later = status_of(registry, "fixture_good.so");
  CHECK(later.reason == RK_PLUGIN_REASON_DUPLICATE);
  CHECK(contains(later.detail, "fixture_good_copy.so"));
  rk_registry_destroy(registry);
}

TEST_CASE("RK_REGISTRY_NO_ENV_PATH ignores RINGKERNEL_PLUGIN_PATH", "[discovery][order]") {
  ScopedEnv env("RINGKERNEL_PLUGIN_PATH", FIXTURE_DIR);
  rk_registry registry = registry_over(FIXTURE_DUP_DIR);
  CHECK(std::string(rk_registry_search_path(registry)) == FIXTURE_DUP_DIR);
  CHECK(rk_registry_plugin_count(registry) == 1);
  rk_registry_destroy(registry);
}

TEST_CASE("default folders: plugins beside libringcore, then the install folder", "[discovery][order]") {
  ScopedEnv env("RINGKERNEL_PLUGIN_PATH", nullptr);
  rk_registry registry = registry_over(FIXTURE_EMPTY_DIR, 0u);
  std::string path = rk_registry_search_path(registry);
  std::string beside = core_library_folder() + "/ringkernel/plugins";
  CHECK(path.rfind(std::string(FIXTURE_EMPTY_DIR) + ":" + beside, 0) == 0);
  CHECK(contains(path, "ringkernel/plugins"));
  rk_registry_destroy(registry);
}

TEST_CASE("default folders are listed only when they exist", "[discovery][order]") {
  // The compiled-in install folder names the configure-time prefix: absent in a build tree
  // or a moved install, it is left out rather than listed as if searched.
  ScopedEnv env("RINGKERNEL_PLUGIN_PATH", nullptr);
  rk_registry registry = registry_over(FIXTURE_EMPTY_DIR, 0u);
  std::string path = rk_registry_search_path(registry);
  for (size_t start = 0; start <= path.size();) {
    size_t end = std::min(path.find(':', start), path.size());
    std::string folder = path.substr(start, end - start);
    CHECK(std::filesystem::is_directory(folder));
    start = end + 1;
  }
  rk_registry_destroy(registry);
}

TEST_CASE("the default registry is one per process, made once, even under a race", "[discovery][default]") {
  std::vector<rk_registry> seen(8, nullptr);
  std::vector<std::thread> threads;
  for (rk_registry& slot : seen) threads.emplace_back([&slot] { rk_registry_default(&slot); });
  for (std::thread& t : threads) t.join();
  for (rk_registry r : seen) CHECK(r == seen[0]);
  REQUIRE(seen[0] != nullptr);
  CHECK(rk_registry_destroy(seen[0]) == RK_ERROR_INVALID_ARGUMENT);  // it lives as long as the process
  CHECK(rk_registry_default(nullptr) == RK_ERROR_INVALID_ARGUMENT);
}
