// Compiling: dialect and native sources, the content-hashed cache, the compiler's own
// error text, and entry points that do not exist.
#include <cstdlib>
#include <filesystem>

#include "plugin_fixture.hpp"

using namespace cpu_sim_test;

namespace {

const char* const kStore = "RK_KERNEL void store(rk_global uint32_t* out, uint32_t v) { out[0] = v; }\n";

size_t cached_objects(const std::string& cache_root) {
  size_t count = 0;
  for (const auto& entry : std::filesystem::directory_iterator(std::filesystem::path(cache_root) / "cpu_sim"))
    count += entry.path().extension() == ".so";
  return count;
}

}  // namespace

TEST_CASE("a dialect kernel compiles and its entry point is found", "[cpu_sim][compile]") {
  use_fresh_cache_dir("compile");
  rk_backend_module m = compile_ok(kStore);
  CHECK(function(m, "store") != nullptr);
  CHECK(function(m, "store") == function(m, "store"));  // one handle per name
  CHECK(table().module_destroy(m) == RK_SUCCESS);
}

TEST_CASE("kernels mentioned in comments and strings are not entry points", "[cpu_sim][compile]") {
  rk_backend_module m =
      compile_ok(std::string("// RK_KERNEL void ghost(uint32_t x) is gone\n"
                             "/* RK_KERNEL void ghost2(\n */\n"
                             "RK_INLINE uint32_t quote(void) { return (uint32_t)sizeof(\"RK_KERNEL void ghost3(\"); }\n") +
                 kStore);
  CHECK(function(m, "store") != nullptr);
  rk_backend_function f = nullptr;
  CHECK(table().function_get(m, "ghost", &f) == RK_ERROR_NOT_FOUND);
  table().module_destroy(m);
}

TEST_CASE("the second compile of a source is a cache hit", "[cpu_sim][compile]") {
  std::string cache = use_fresh_cache_dir("cache");
  Compiled first = compile(kStore);
  REQUIRE(first.result == RK_SUCCESS);
  CHECK(first.log.find("cpu_sim: cache miss, compiled ") == 0);
  Compiled second = compile(kStore);
  REQUIRE(second.result == RK_SUCCESS);
  CHECK(second.log.find("cpu_sim: cache hit: " + cache) == 0);
  CHECK(cached_objects(cache) == 1);
  bool logged_hit = false;
  for (const std::string& message : logged_messages())
    logged_hit |= message.find("cache hit: " + cache) != std::string::npos;
  CHECK(logged_hit);
  SECTION("different flags are a different object") {
    Compiled other = compile(kStore, "-DSOMETHING=1");
    REQUIRE(other.result == RK_SUCCESS);
    CHECK(other.log.find("cache miss") != std::string::npos);
    CHECK(cached_objects(cache) == 2);
    table().module_destroy(other.module);
  }
  table().module_destroy(first.module);
  table().module_destroy(second.module);
}

TEST_CASE("a broken cache entry is rebuilt", "[cpu_sim][compile]") {
  std::string cache = use_fresh_cache_dir("broken");
  Compiled first = compile(kStore);
  REQUIRE(first.result == RK_SUCCESS);
  table().module_destroy(first.module);
  for (const auto& entry : std::filesystem::directory_iterator(std::filesystem::path(cache) / "cpu_sim"))
    std::filesystem::resize_file(entry.path(), 10);  // as a full disk might leave it
  Compiled again = compile(kStore);
  INFO(again.log << last_error());
  REQUIRE(again.result == RK_SUCCESS);
  CHECK(again.log.find("cache miss") != std::string::npos);
  table().module_destroy(again.module);
}

TEST_CASE("a compile error returns the compiler's message", "[cpu_sim][compile]") {
  use_fresh_cache_dir("error");
  Compiled c = compile("RK_KERNEL void broken(rk_global uint32_t* out) { out[0] = no_such_name_here; }\n");
  CHECK(c.result == RK_ERROR_COMPILE_FAILED);
  CHECK(c.module == nullptr);
  CHECK(c.log.find("error") != std::string::npos);
  CHECK(c.log.find("no_such_name_here") != std::string::npos);
  std::string error = last_error();
  CHECK(error.find("error") != std::string::npos);
  CHECK(error.find("no_such_name_here") != std::string::npos);
}

TEST_CASE("an unknown compiler is a compile failure that names it", "[cpu_sim][compile]") {
  use_fresh_cache_dir("nocompiler");
  setenv("RINGKERNEL_CPU_CXX", "/nonexistent/c++-ringkernel", 1);
  Compiled c = compile(kStore);
  unsetenv("RINGKERNEL_CPU_CXX");
  CHECK(c.result == RK_ERROR_COMPILE_FAILED);
  CHECK(last_error().find("/nonexistent/c++-ringkernel") != std::string::npos);
}

TEST_CASE("asking for a kernel the module lacks names it", "[cpu_sim][compile]") {
  rk_backend_module m = compile_ok(kStore);
  rk_backend_function f = nullptr;
  CHECK(table().function_get(m, "stroe", &f) == RK_ERROR_NOT_FOUND);
  CHECK(f == nullptr);
  CHECK(last_error().find("'stroe'") != std::string::npos);
  table().module_destroy(m);
}

TEST_CASE("native sources compile as given", "[cpu_sim][compile]") {
  const char* native = R"(
    extern "C" __attribute__((visibility("default"))) void rk_cpu_entry_native(const void*, void** args) {
      **static_cast<unsigned**>(args[0]) = 42u;
    })";
  Compiled c = compile(native, nullptr, RK_SOURCE_NATIVE);
  INFO(c.log << last_error());
  REQUIRE(c.result == RK_SUCCESS);
  rk_backend_buffer out = alloc(4);
  rk_kernel_arg arg = buffer_arg(out);
  rk_launch_config config = grid_1d(1, 1);
  REQUIRE(table().launch(default_stream(), function(c.module, "native"), &config, &arg, 1) == RK_SUCCESS);
  REQUIRE(table().stream_synchronize(default_stream()) == RK_SUCCESS);
  CHECK(*static_cast<uint32_t*>(host_view(out)) == 42u);
  table().buffer_free(out);
  table().module_destroy(c.module);
}

TEST_CASE("an object the loader refuses is a compile failure with the loader's words", "[cpu_sim][compile]") {
  use_fresh_cache_dir("unloadable");
  const char* native = R"(
    extern "C" void symbol_defined_nowhere();
    extern "C" __attribute__((visibility("default"))) void rk_cpu_entry_broken(const void*, void**) {
      symbol_defined_nowhere();
    })";
  Compiled c = compile(native, nullptr, RK_SOURCE_NATIVE);
  CHECK(c.result == RK_ERROR_COMPILE_FAILED);
  CHECK(c.log.find("symbol_defined_nowhere") != std::string::npos);
  CHECK(last_error().find("symbol_defined_nowhere") != std::string::npos);
}

TEST_CASE("binary sources are not supported", "[cpu_sim][compile]") {
  Compiled c = compile(
      "\x7f"
      "ELF",
      nullptr, RK_SOURCE_BINARY);
  CHECK(c.result == RK_ERROR_UNSUPPORTED);
}
