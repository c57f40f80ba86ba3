// Compiling dialect source: success, the compiler's own log on failure, the cache.
#include <chrono>
#include <string>

#include "conformance_support.hpp"

using namespace conformance;

namespace {

std::string unique_kernel() {
  // A source no cache has seen: the first compile must really compile.
  auto stamp = std::chrono::steady_clock::now().time_since_epoch().count();
  return "RK_KERNEL void fresh(rk_global uint32_t* out) { out[0] = " + std::to_string(stamp % 1000000) + "u; }\n";
}

}  // namespace

TEST_CASE("a compile error returns the compiler's message", "[conformance][compile]") {
  for_each_backend([](Target& t) {
    rk_module_options options{};
    options.struct_size = sizeof(options);
    options.source = "RK_KERNEL void broken(rk_global uint32_t* out) { out[0] = undeclared_identifier_xyz; }\n";
    rk_module module = nullptr;
    CHECK(rk_module_compile(t.runtime, &options, &module) == RK_ERROR_COMPILE_FAILED);
    std::string log = rk_last_error();
    CHECK(log.find("undeclared_identifier_xyz") != std::string::npos);  // the compiler's words, not ours
    CHECK(module == nullptr);
  });
}

TEST_CASE("the second compile of a source is a cache hit", "[conformance][compile]") {
  for_each_backend([](Target& t) {
    std::string source = unique_kernel();
    rk_module first = compile(t, source, "cache_first");
    CHECK(std::string(rk_module_build_log(first)).find("cache hit") == std::string::npos);
    rk_module second = compile(t, source, "cache_second");
    CHECK(std::string(rk_module_build_log(second)).find("cache hit") != std::string::npos);
    rk_function f = nullptr;
    CHECK(rk_module_function(second, "fresh", &f) == RK_SUCCESS);
    rk_module_destroy(first);
    rk_module_destroy(second);
  });
}

TEST_CASE("asking for a function the module lacks names it", "[conformance][compile]") {
  for_each_backend([](Target& t) {
    rk_module module = compile(t, "RK_KERNEL void present(rk_global uint32_t* out) { out[0] = 1u; }\n", "lookup");
    rk_function f = nullptr;
    CHECK(rk_module_function(module, "absent", &f) == RK_ERROR_NOT_FOUND);
    CHECK(std::string(rk_last_error()).find("absent") != std::string::npos);
    rk_module_destroy(module);
  });
}
