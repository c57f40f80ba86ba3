// Address spaces and names on the device: rk_any takes a pointer from any address space
// (the generic space where the device has one, else one overload per named space), and
// what cpu_sim's OpenCL C check rejects (tests/plugins/cpu_sim/test_opencl_check.cpp) the
// device rejects too.
#include <catch2/generators/catch_generators.hpp>
#include <vector>

#include "opencl_fixture.hpp"
#include "ring_source.hpp"

using namespace opencl_test;

namespace {

// The shared any-address-space helper (tests/plugins/common), plus which space this device has.
const std::string kAnySpace = std::string(rk::test::kSumBytesAnySpace) + R"(#ifdef __opencl_c_generic_address_space
  out[3] = 1u;
#else
  out[3] = 0u;
#endif
  out[4] = RK_ANY_IS_GENERIC;
}
)";

const char* const kGlobalToPrivate = R"(RK_INLINE uint32_t sum(const uint8_t* bytes, uint32_t n) {
  uint32_t total = 0u;
  for (uint32_t i = 0u; i < n; ++i) total += bytes[i];
  return total;
}
RK_KERNEL void sums(rk_global uint32_t* out, rk_global const uint8_t* in) {
  out[0] = sum(in, 4u);
}
)";

// Runs `sums` once on bytes 100..103; returns out[0..4].
std::vector<uint32_t> run_sums(rk_backend_module m) {
  const uint8_t input[4] = {100, 101, 102, 103};
  std::vector<uint32_t> result(5, 0xffffffffu);
  size_t result_bytes = result.size() * sizeof(uint32_t);
  rk_backend_buffer out = alloc(result_bytes);
  rk_backend_buffer in = alloc(sizeof(input));
  REQUIRE(table().copy_to_device(default_stream(), in, 0, input, sizeof(input)) == RK_SUCCESS);
  rk_kernel_arg args[] = {buffer_arg(out), buffer_arg(in)};
  rk_launch_config config = grid_1d(1, 1);
  INFO(last_error());
  REQUIRE(table().launch(default_stream(), function(m, "sums"), &config, args, 2) == RK_SUCCESS);
  REQUIRE(table().copy_to_host(default_stream(), result.data(), out, 0, result_bytes) == RK_SUCCESS);
  REQUIRE(table().stream_synchronize(default_stream()) == RK_SUCCESS);
  table().buffer_free(out);
  table().buffer_free(in);
  return result;
}

}  // namespace

TEST_CASE("a payload helper stamped for every address space runs on the device", "[opencl][address_space]") {
  require_device();
  rk_backend_module m = compile_ok(kAnySpace);
  std::vector<uint32_t> result = run_sums(m);
  CHECK(result[0] == 406u);
  CHECK(result[1] == 10u);
  CHECK(result[2] == 100u);
  INFO("__opencl_c_generic_address_space: " << result[3] << ", RK_ANY_IS_GENERIC: " << result[4]);
  CHECK(result[3] == result[4]);  // rk_any is __generic exactly where the compiler has it
  table().module_destroy(m);
}

TEST_CASE("a global pointer passed as an unqualified one builds only with a generic address space",
          "[opencl][address_space]") {
  require_device();
  rk_backend_module probe = compile_ok(kAnySpace);  // does this device have the generic space?
  bool generic = run_sums(probe)[3] != 0u;
  table().module_destroy(probe);
  Compiled c = compile(kGlobalToPrivate);
  INFO("build log: " << c.log);
  if (generic) {
    CHECK(c.result == RK_SUCCESS);
  } else {
    CHECK(c.result == RK_ERROR_COMPILE_FAILED);  // what cpu_sim's check reports, PoCL 3.x reports too
    CHECK(c.log.find("changes address space of pointer") != std::string::npos);
  }
  if (c.module) table().module_destroy(c.module);
}

TEST_CASE("OpenCL C keywords cannot name variables on the device", "[opencl][address_space]") {
  require_device();
  std::string word = GENERATE("local", "global", "kernel", "constant", "private");
  Compiled c = compile("RK_KERNEL void store(rk_global uint32_t* out, uint32_t v) {\n  uint32_t " + word +
                       " = v;\n  out[0] = " + word + ";\n}\n");
  INFO("build log: " << c.log);
  CHECK(c.result == RK_ERROR_COMPILE_FAILED);
}
