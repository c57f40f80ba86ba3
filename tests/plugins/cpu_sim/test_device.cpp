// The table header, the single device and what it reports.
#include <dlfcn.h>
#include <unistd.h>

#include <string>
#include <thread>

#include "plugin_fixture.hpp"

using namespace cpu_sim_test;

namespace {

constexpr uint64_t kExpectedCaps = RK_CAP_PERSISTENT_KERNELS | RK_CAP_HOST_COHERENT | RK_CAP_K2K | RK_CAP_ASYNC_COPY |
                                   RK_CAP_COOPERATIVE_LAUNCH | RK_CAP_DEVICE_MEMORY_MAP;

}  // namespace

TEST_CASE("the table names cpu_sim and the ABI it was built for", "[cpu_sim][device]") {
  const rk_backend_table& t = table();
  CHECK(t.struct_size == sizeof(rk_backend_table));
  CHECK(t.abi_major == RK_PLUGIN_ABI_MAJOR);
  CHECK(t.abi_minor == RK_PLUGIN_ABI_MINOR);
  CHECK(std::string(t.name) == "cpu_sim");
  CHECK((t.caps & kExpectedCaps) == kExpectedCaps);
}

TEST_CASE("probe finds exactly one device", "[cpu_sim][device]") {
  uint32_t count = 0;
  REQUIRE(table().probe(&count) == RK_SUCCESS);
  CHECK(count == 1);
  CHECK(table().probe(nullptr) == RK_ERROR_INVALID_ARGUMENT);
}

TEST_CASE("device info describes the host", "[cpu_sim][device]") {
  rk_device_info info{};
  info.struct_size = sizeof(info);
  REQUIRE(table().get_device_info(0, &info) == RK_SUCCESS);
  unsigned threads = std::max(1u, std::thread::hardware_concurrency());
  CHECK(std::string(info.name) == "cpu_sim (" + std::to_string(threads) + " host threads)");
  CHECK(std::string(info.vendor) == "ringkernel");
  CHECK(info.global_memory_bytes == uint64_t(sysconf(_SC_PHYS_PAGES)) * uint64_t(sysconf(_SC_PAGE_SIZE)));
  CHECK(info.compute_units == threads);
  CHECK(info.max_block_size == 1024);
  CHECK(info.max_shared_memory_bytes == 64 * 1024);
  CHECK(info.caps == table().caps);
  CHECK(table().get_device_info(1, &info) == RK_ERROR_INVALID_ARGUMENT);
  CHECK(last_error().find("one device") != std::string::npos);
}

TEST_CASE("a core with another ABI major is refused with a reason", "[cpu_sim][device]") {
  void* library = dlopen(RK_CPU_SIM_PLUGIN_FILE, RTLD_NOW | RTLD_LOCAL);
  REQUIRE(library != nullptr);
  auto entry = reinterpret_cast<rk_plugin_entry_fn>(dlsym(library, RK_PLUGIN_ENTRY_NAME));
  REQUIRE(entry != nullptr);
  rk_host_services future{sizeof(rk_host_services), RK_PLUGIN_ABI_MAJOR + 1, 0, 0, nullptr, nullptr, nullptr, nullptr, nullptr};
  const rk_backend_table* loaded = nullptr;
  char error[256] = {};
  rk_text_out error_out{error, sizeof(error), 0};
  CHECK(entry(&future, &loaded, &error_out) == RK_ERROR_ABI_MISMATCH);
  CHECK(loaded == nullptr);
  CHECK(std::string(error).find("ABI") != std::string::npos);
  dlclose(library);
}

TEST_CASE("contexts are per device", "[cpu_sim][device]") {
  rk_backend_context c = nullptr;
  REQUIRE(table().context_create(0, &c) == RK_SUCCESS);
  CHECK(table().context_destroy(c) == RK_SUCCESS);
  CHECK(table().context_create(3, &c) == RK_ERROR_INVALID_ARGUMENT);
}
