// The device-level C API (buffers, modules, launches) over the fixture backend's fake
// device: what the core checks itself, and what it passes through from the plugin.
#include <array>
#include <cstring>
#include <string>

#include "discovery_support.hpp"

using namespace discovery_test;

namespace {

struct FixtureRuntime {
  FixtureRuntime() : registry(registry_over(FIXTURE_DIR)) {
    REQUIRE(create_runtime(registry, "fixture_good", &runtime) == RK_SUCCESS);
  }
  ~FixtureRuntime() {
    rk_runtime_destroy(runtime);
    rk_registry_destroy(registry);
  }
  rk_registry registry;
  rk_runtime runtime = nullptr;
};

rk_result compile(rk_runtime runtime, const char* source, rk_module* module) {
  rk_module_options options{};
  options.struct_size = sizeof(options);
  options.source = source;
  options.name = "test";
  return rk_module_compile(runtime, &options, module);
}

rk_launch_config one_block(uint32_t threads) {
  rk_launch_config config{};
  config.struct_size = sizeof(config);
  config.grid[0] = config.grid[1] = config.grid[2] = 1;
  config.block[0] = threads;
  config.block[1] = config.block[2] = 1;
  return config;
}

}  // namespace

TEST_CASE("buffers: write, read back, bounds", "[device][buffer]") {
  FixtureRuntime f;
  rk_buffer buffer = nullptr;
  REQUIRE(rk_buffer_create(f.runtime, 16, RK_MEMORY_HOST_MAPPED, &buffer) == RK_SUCCESS);
  CHECK(rk_buffer_size(buffer) == 16);
  const std::array<uint8_t, 4> data{1, 2, 3, 4};
  CHECK(rk_buffer_write(buffer, 12, data.data(), data.size()) == RK_SUCCESS);
  std::array<uint8_t, 4> back{};
  CHECK(rk_buffer_read(buffer, 12, back.data(), back.size()) == RK_SUCCESS);
  CHECK(back == data);
  void* host = nullptr;
  REQUIRE(rk_buffer_map(buffer, &host) == RK_SUCCESS);
  CHECK(static_cast<uint8_t*>(host)[13] == 2);

  CHECK(rk_buffer_write(buffer, 13, data.data(), data.size()) == RK_ERROR_INVALID_ARGUMENT);
  CHECK(contains(rk_last_error(), "outside the 16-byte buffer"));
  CHECK(rk_buffer_read(buffer, SIZE_MAX, back.data(), 2) == RK_ERROR_INVALID_ARGUMENT);  // no wrap-around
  CHECK(rk_buffer_read(buffer, 16, back.data(), 0) == RK_SUCCESS);                       // empty range at the end
  CHECK(rk_buffer_write(buffer, 0, nullptr, 4) == RK_ERROR_INVALID_ARGUMENT);
  CHECK(rk_buffer_destroy(buffer) == RK_SUCCESS);
}

TEST_CASE("buffers: bad requests are refused by the core", "[device][buffer]") {
  FixtureRuntime f;
  rk_buffer buffer = nullptr;
  CHECK(rk_buffer_create(f.runtime, 0, RK_MEMORY_DEVICE, &buffer) == RK_ERROR_INVALID_ARGUMENT);
  CHECK(rk_buffer_create(f.runtime, 8, RK_MEMORY_UNDEFINED, &buffer) == RK_ERROR_INVALID_ARGUMENT);
  CHECK(rk_buffer_create(nullptr, 8, RK_MEMORY_DEVICE, &buffer) == RK_ERROR_INVALID_ARGUMENT);
  CHECK(buffer == nullptr);
  CHECK(rk_buffer_destroy(nullptr) == RK_SUCCESS);
  CHECK(rk_buffer_size(nullptr) == 0);
}

TEST_CASE("a plugin's refusal arrives in its own words, prefixed with the backend", "[device][buffer]") {
  FixtureRuntime f;
  rk_buffer buffer = nullptr;
  REQUIRE(rk_buffer_create(f.runtime, 8, RK_MEMORY_DEVICE, &buffer) == RK_SUCCESS);
  void* host = nullptr;
  CHECK(rk_buffer_map(buffer, &host) == RK_ERROR_UNSUPPORTED);
  CHECK(std::string(rk_last_error()) == "backend 'fixture_good' buffer_map: fixture: device memory cannot be mapped");
  rk_buffer_destroy(buffer);
}

TEST_CASE("modules: a compile error carries the compiler's log", "[device][module]") {
  FixtureRuntime f;
  rk_module module = nullptr;
  CHECK(compile(f.runtime, "#error the_missing_semicolon\n", &module) == RK_ERROR_COMPILE_FAILED);
  CHECK(module == nullptr);
  std::string error = rk_last_error();
  CHECK(contains(error, "backend 'fixture_good' module_compile: fixture-cc failed"));
  CHECK(contains(error, "error: the_missing_semicolon"));
}

TEST_CASE("modules: a log larger than the first buffer arrives whole", "[device][module]") {
  FixtureRuntime f;
  rk_module module = nullptr;
  CHECK(compile(f.runtime, "HUGE_LOG\n#error broken\n", &module) == RK_ERROR_COMPILE_FAILED);
  std::string error = rk_last_error();
  CHECK(error.size() > 100 * 1024);
  CHECK(contains(error, "END_OF_LOG"));

  REQUIRE(compile(f.runtime, "HUGE_LOG\n#warning loud\nfill_u32\n", &module) == RK_SUCCESS);
  CHECK(contains(rk_module_build_log(module), "END_OF_LOG"));
  rk_module_destroy(module);
}

TEST_CASE("modules: a plugin claiming an endless log gets a bounded second buffer", "[device][module]") {
  FixtureRuntime f;
  rk_module module = nullptr;
  // The size claim would wrap (SIZE_MAX + 1) or ask for exabytes: the core caps it.
  CHECK(compile(f.runtime, "CLAIM_ENDLESS_LOG\n#error still readable\n", &module) == RK_ERROR_COMPILE_FAILED);
  CHECK(contains(rk_last_error(), "still readable"));
}

TEST_CASE("modules: warnings of a successful build stay readable", "[device][module]") {
  FixtureRuntime f;
  rk_module module = nullptr;
  REQUIRE(compile(f.runtime, "#warning unused variable\nfill_u32\n", &module) == RK_SUCCESS);
  CHECK(contains(rk_module_build_log(module), "warning: unused variable"));
  rk_module quiet = nullptr;
  REQUIRE(compile(f.runtime, "fill_u32\n", &quiet) == RK_SUCCESS);
  CHECK(std::string(rk_module_build_log(quiet)).empty());
  CHECK(compile(f.runtime, "", &quiet) == RK_ERROR_INVALID_ARGUMENT);
  rk_module_destroy(module);
  rk_module_destroy(quiet);
}

TEST_CASE("launch: a buffer argument reaches the kernel as the backend's buffer", "[device][launch]") {
  FixtureRuntime f;
  rk_module module = nullptr;
  REQUIRE(compile(f.runtime, "fill_u32\n", &module) == RK_SUCCESS);
  rk_function fill = nullptr;
  REQUIRE(rk_module_function(module, "fill_u32", &fill) == RK_SUCCESS);
  rk_buffer buffer = nullptr;
  REQUIRE(rk_buffer_create(f.runtime, 4 * sizeof(uint32_t), RK_MEMORY_DEVICE, &buffer) == RK_SUCCESS);
  uint32_t value = 0xC0FFEE;
  rk_arg args[2] = {{RK_ARG_BUFFER, 0, nullptr, buffer}, {RK_ARG_VALUE, sizeof(value), &value, nullptr}};
  rk_launch_config config = one_block(3);
  REQUIRE(rk_launch(f.runtime, fill, &config, args, 2) == RK_SUCCESS);
  REQUIRE(rk_runtime_synchronize(f.runtime) == RK_SUCCESS);
  std::array<uint32_t, 4> out{};
  REQUIRE(rk_buffer_read(buffer, 0, out.data(), sizeof(out)) == RK_SUCCESS);
  CHECK(out == std::array<uint32_t, 4>{value, value, value, 0});
  rk_buffer_destroy(buffer);
  rk_module_destroy(module);
}

TEST_CASE("launch: bad configurations and arguments are refused before the backend", "[device][launch]") {
  FixtureRuntime f;
  rk_module module = nullptr;
  REQUIRE(compile(f.runtime, "fill_u32\n", &module) == RK_SUCCESS);
  rk_function fill = nullptr;
  REQUIRE(rk_module_function(module, "fill_u32", &fill) == RK_SUCCESS);
  uint32_t value = 1;
  rk_launch_config config = one_block(1);
  rk_arg no_buffer[2] = {{RK_ARG_BUFFER, 0, nullptr, nullptr}, {RK_ARG_VALUE, 4, &value, nullptr}};
  CHECK(rk_launch(f.runtime, fill, &config, no_buffer, 2) == RK_ERROR_INVALID_ARGUMENT);
  CHECK(contains(rk_last_error(), "argument 0"));
  rk_arg unknown_kind[1] = {{static_cast<rk_arg_kind>(77), 4, &value, nullptr}};
  CHECK(rk_launch(f.runtime, fill, &config, unknown_kind, 1) == RK_ERROR_INVALID_ARGUMENT);
  CHECK(rk_launch(f.runtime, fill, &config, nullptr, 1) == RK_ERROR_INVALID_ARGUMENT);
  rk_launch_config empty = one_block(0);
  CHECK(rk_launch(f.runtime, fill, &empty, nullptr, 0) == RK_ERROR_INVALID_ARGUMENT);
  rk_launch_config unsized = one_block(1);
  unsized.struct_size = 0;
  CHECK(rk_launch(f.runtime, fill, &unsized, nullptr, 0) == RK_ERROR_INVALID_ARGUMENT);
  CHECK(rk_launch(f.runtime, nullptr, &config, nullptr, 0) == RK_ERROR_INVALID_ARGUMENT);
  // The plugin's own check, in its words.
  CHECK(rk_launch(f.runtime, fill, &config, nullptr, 0) == RK_ERROR_INVALID_ARGUMENT);
  CHECK(contains(rk_last_error(), "fixture: fill_u32 takes (buffer, uint32)"));
  rk_module_destroy(module);
}

TEST_CASE("functions: unknown names fail with the name; handles belong to the module", "[device][module]") {
  FixtureRuntime f;
  rk_module module = nullptr;
  REQUIRE(compile(f.runtime, "fill_u32\n", &module) == RK_SUCCESS);
  rk_function function = nullptr;
  CHECK(rk_module_function(module, "vector_sub", &function) == RK_ERROR_NOT_FOUND);
  CHECK(function == nullptr);
  CHECK(contains(rk_last_error(), "vector_sub"));
  CHECK(rk_module_function(module, "", &function) == RK_ERROR_INVALID_ARGUMENT);
  CHECK(rk_module_destroy(module) == RK_SUCCESS);
  CHECK(rk_module_destroy(nullptr) == RK_SUCCESS);
}

TEST_CASE("handles from another runtime are refused", "[device][launch]") {
  FixtureRuntime a;
  FixtureRuntime b;
  rk_module module = nullptr;
  REQUIRE(compile(a.runtime, "fill_u32\n", &module) == RK_SUCCESS);
  rk_function fill = nullptr;
  REQUIRE(rk_module_function(module, "fill_u32", &fill) == RK_SUCCESS);
  rk_launch_config config = one_block(1);
  CHECK(rk_launch(b.runtime, fill, &config, nullptr, 0) == RK_ERROR_INVALID_ARGUMENT);
  CHECK(contains(rk_last_error(), "another runtime"));
  rk_buffer foreign = nullptr;
  REQUIRE(rk_buffer_create(b.runtime, 4, RK_MEMORY_DEVICE, &foreign) == RK_SUCCESS);
  uint32_t value = 1;
  rk_arg args[2] = {{RK_ARG_BUFFER, 0, nullptr, foreign}, {RK_ARG_VALUE, 4, &value, nullptr}};
  CHECK(rk_launch(a.runtime, fill, &config, args, 2) == RK_ERROR_INVALID_ARGUMENT);
  rk_buffer_destroy(foreign);
  rk_module_destroy(module);
}
