// Compiling: the prelude covers the dialect, the compiler's log comes back on failure,
// binaries are cached by content, and unknown kernels are named.
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "opencl_fixture.hpp"

using namespace opencl_test;
namespace fs = std::filesystem;

namespace {

// Uses every name of docs/dialect.md's prelude table.
const char* const kWholeDialect = R"(
#if !defined(RK_DEVICE_DIALECT) || !defined(RK_DIALECT_OPENCL)
#error the OpenCL prelude must define RK_DEVICE_DIALECT and RK_DIALECT_OPENCL
#endif
#if defined(RK_DIALECT_CPU) || defined(RK_DIALECT_HOST) || defined(RK_DIALECT_CUDA) || defined(RK_DIALECT_HIP)
#error exactly one dialect macro
#endif
#if !defined(RK_ANY_IS_GENERIC)
#error the OpenCL prelude must define RK_ANY_IS_GENERIC
#endif
RK_INLINE RK_OVERLOADABLE uint32_t first_word(rk_any const uint32_t* p) { return p[0]; }
RK_INLINE uint32_t widths(void) {
  return (uint32_t)(sizeof(int8_t) + sizeof(int16_t) + sizeof(int32_t) + sizeof(int64_t) + sizeof(uint8_t) +
                    sizeof(uint16_t) + sizeof(uint32_t) + sizeof(uint64_t) + sizeof(uintptr_t));
}
RK_KERNEL void everything(rk_global uint32_t* w32, rk_global uint64_t* w64) {
  RK_SHARED_ARRAY(uint32_t, shared_words, 64);
  rk_shared uint32_t* shared_view = shared_words;
  uint32_t t = rk_thread_idx(0) + rk_thread_idx(1) + rk_thread_idx(2);
  uint32_t b = rk_block_idx(0) + rk_block_idx(1) + rk_block_idx(2);
  shared_view[t % 64u] = rk_block_dim(0) * rk_block_dim(1) * rk_block_dim(2) + rk_grid_dim(0) + rk_grid_dim(1) + rk_grid_dim(2);
  rk_sync_threads();
  if (t != 0u || b != 0u) return;
  uint32_t private_word = widths();
  w32[0] = first_word(&private_word);
  rk_store_release_u32(&w32[1], rk_load_acquire_u32(&w32[1]) + 1u);
  rk_store_relaxed_u32(&w32[2], rk_load_relaxed_u32(&w32[2]) + shared_view[0]);
  w32[3] = rk_fetch_add_u32(&w32[3], 5u);
  rk_store_release_u64(&w64[0], rk_load_acquire_u64(&w64[0]) + 1u);
  rk_store_relaxed_u64(&w64[1], rk_load_relaxed_u64(&w64[1]) + 2u);
  w64[2] = rk_fetch_add_u64(&w64[3], 7u);
  w32[4] = (uint32_t)rk_cas_u64(&w64[4], 0u, 42u);
  w32[5] = (uint32_t)rk_cas_u64(&w64[4], 0u, 43u);
  rk_fetch_max_u64(&w64[5], 9u);
  rk_fetch_min_u64(&w64[6], 3u);
  rk_fence_seq_cst();
  rk_pause();
  rk_yield();
  rk_park_u32(&w32[6], 12345u, 1000);
  rk_unpark_u32(&w32[6]);
  w64[7] = (uint64_t)rk_clock_ns();
}
)";

const char* const kStore = "RK_KERNEL void store(rk_global uint32_t* out, uint32_t v) { out[0] = v; }\n";

std::string use_fresh_cache_dir(const std::string& label) {
  auto stamp = std::chrono::steady_clock::now().time_since_epoch().count();
  fs::path dir = fs::path(RK_OPENCL_TEST_SCRATCH) / (label + "-" + std::to_string(stamp));
  fs::create_directories(dir);
  setenv("RINGKERNEL_CACHE_DIR", dir.c_str(), 1);
  return dir.string();
}

size_t cached_binaries(const std::string& cache_root) {
  size_t count = 0;
  for (const auto& entry : fs::directory_iterator(fs::path(cache_root) / "opencl")) count += entry.path().extension() == ".bin";
  return count;
}

}  // namespace

TEST_CASE("the prelude defines every name of the dialect", "[opencl][compile]") {
  rk_backend_module m = compile_ok(kWholeDialect);
  CHECK(function(m, "everything") != nullptr);
  table().module_destroy(m);
}

TEST_CASE("a broken kernel returns the compiler's build log", "[opencl][compile]") {
  Compiled c = compile("RK_KERNEL void broken(rk_global uint32_t* out) { out[0] = undeclared_identifier_xyz; }\n");
  CHECK(c.result == RK_ERROR_COMPILE_FAILED);
  CHECK(c.module == nullptr);
  INFO("build log: " << c.log);
  CHECK(c.log.find("undeclared_identifier_xyz") != std::string::npos);  // CL_PROGRAM_BUILD_LOG
  CHECK(c.log.find("error") != std::string::npos);
  std::string error = last_error();
  CHECK(error.find("undeclared_identifier_xyz") != std::string::npos);
  CHECK(error.find("-cl-std=") != std::string::npos);  // says how it was built
}

TEST_CASE("the second compile of a source is a cache hit", "[opencl][compile]") {
  std::string cache = use_fresh_cache_dir("cache");
  Compiled first = compile(kStore, nullptr, "first");
  INFO(first.log);
  REQUIRE(first.result == RK_SUCCESS);
  CHECK(first.log.find("opencl: cache miss, built " + cache) == 0);
  Compiled second = compile(kStore, nullptr, "second");  // another name, same program
  INFO(second.log);
  REQUIRE(second.result == RK_SUCCESS);
  CHECK(second.log.find("opencl: cache hit: " + cache) == 0);
  CHECK(function(second.module, "store") != nullptr);
  CHECK(cached_binaries(cache) == 1);
  SECTION("other build options are another binary") {
    Compiled other = compile(kStore, "-DSOMETHING=1");
    REQUIRE(other.result == RK_SUCCESS);
    CHECK(other.log.find("cache miss") != std::string::npos);
    CHECK(cached_binaries(cache) == 2);
    table().module_destroy(other.module);
  }
  table().module_destroy(first.module);
  table().module_destroy(second.module);
}

TEST_CASE("a cached binary the driver refuses is rebuilt", "[opencl][compile]") {
  std::string cache = use_fresh_cache_dir("broken");
  Compiled first = compile(kStore);
  REQUIRE(first.result == RK_SUCCESS);
  table().module_destroy(first.module);
  for (const auto& entry : fs::directory_iterator(fs::path(cache) / "opencl"))
    fs::resize_file(entry.path(), 10);  // as a full disk might leave it
  Compiled again = compile(kStore);
  INFO(again.log << "\n" << last_error());
  REQUIRE(again.result == RK_SUCCESS);
  CHECK(again.log.find("cache miss") != std::string::npos);
  table().module_destroy(again.module);
}

TEST_CASE("function_get names a kernel the module lacks", "[opencl][compile]") {
  rk_backend_module m = compile_ok(kStore);
  rk_backend_function f = nullptr;
  CHECK(table().function_get(m, "absent", &f) == RK_ERROR_NOT_FOUND);
  CHECK(last_error().find("'absent'") != std::string::npos);
  CHECK(function(m, "store") == function(m, "store"));  // one handle per name
  table().module_destroy(m);
}

TEST_CASE("a device binary compiles as RK_SOURCE_BINARY", "[opencl][compile]") {
  std::string cache = use_fresh_cache_dir("binary");
  rk_backend_context c = context();
  Compiled from_source = compile(kStore);
  REQUIRE(from_source.result == RK_SUCCESS);
  table().module_destroy(from_source.module);
  std::string bytes;
  for (const auto& entry : fs::directory_iterator(fs::path(cache) / "opencl")) {
    std::ifstream in(entry.path(), std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  REQUIRE_FALSE(bytes.empty());
  rk_compile_request request{sizeof(rk_compile_request), RK_SOURCE_BINARY, bytes.data(), bytes.size(), nullptr, "bin"};
  rk_backend_module m = nullptr;
  INFO(last_error());
  REQUIRE(table().module_compile(c, &request, &m, nullptr) == RK_SUCCESS);
  CHECK(function(m, "store") != nullptr);
  table().module_destroy(m);
  std::string junk = "not a binary";
  request.source = junk.data();
  request.source_size = junk.size();
  CHECK(table().module_compile(c, &request, &m, nullptr) == RK_ERROR_COMPILE_FAILED);
}
