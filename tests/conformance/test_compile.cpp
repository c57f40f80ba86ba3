// Compiling dialect source: the compiler's own message on failure, and the kernel cache.
#include <random>
#include <string>

#include "conformance_support.hpp"

using namespace conformance;

namespace {

// A source no cache has seen, so its first compile really compiles.
std::string never_seen_kernel() {
  static std::mt19937_64 random{std::random_device{}()};
  return "RK_KERNEL void fresh(rk_global uint32_t* out) { out[0] = " + std::to_string(random() % 1000000007u) +
         "u; }\n/* nonce " + std::to_string(random()) + " */\n";
}

}  // namespace

TEST_CASE("a compile error returns the compiler's message", "[conformance][compile]") {
  for_each_backend([](Target& t) {
    rk_module_options options{};
    options.struct_size = sizeof(options);
    options.source = "RK_KERNEL void broken(rk_global uint32_t* out) { out[0] = undeclared_identifier_xyz; }\n";
    options.name = "broken";
    rk_module module = nullptr;
    CHECK(rk_module_compile(t.runtime, &options, &module) == RK_ERROR_COMPILE_FAILED);
    CHECK(module == nullptr);
    std::string error = rk_last_error();
    INFO(error);
    CHECK(error.find("undeclared_identifier_xyz") != std::string::npos);  // the compiler's words, not ours
    CHECK(error.find("error") != std::string::npos);
  });
}

// Backends with a kernel cache say so in the build log: "<backend>: cache hit: <path>"
// (docs/backends.md). A fresh compile must not claim a hit.
TEST_CASE("the second compile of a source is a cache hit", "[conformance][compile]") {
  for_each_backend([](Target& t) {
    skip_known_gap(t, "kernel cache");
    std::string source = never_seen_kernel();
    rk_module first = compile(t, source, "cache_first");
    CHECK(std::string(rk_module_build_log(first)).find("cache hit") == std::string::npos);
    rk_module second = compile(t, source, "cache_second");
    INFO(rk_module_build_log(second));
    CHECK(std::string(rk_module_build_log(second)).find(t.backend + ": cache hit: ") != std::string::npos);
    rk_function f = nullptr;
    CHECK(rk_module_function(second, "fresh", &f) == RK_SUCCESS);
    rk_module_destroy(first);
    rk_module_destroy(second);
  });
}

TEST_CASE("several kernels in one module are each found", "[conformance][compile]") {
  for_each_backend([](Target& t) {
    rk_module module = compile(t,
                               "RK_KERNEL void first(rk_global uint32_t* out) { out[0] = 1u; }\n"
                               "RK_INLINE uint32_t twice(uint32_t x) { return 2u * x; }\n"
                               "RK_KERNEL void second(rk_global uint32_t* out) { out[0] = twice(2u); }\n",
                               "two_kernels");
    rk_function f = nullptr;
    CHECK(rk_module_function(module, "first", &f) == RK_SUCCESS);
    CHECK(rk_module_function(module, "second", &f) == RK_SUCCESS);
    rk_module_destroy(module);
  });
}
