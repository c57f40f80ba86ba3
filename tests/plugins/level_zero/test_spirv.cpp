// The SPIR-V the level_zero plugin generates, without a device: the dialect (OpenCL C
// prelude, as the opencl plugin assembles it) through clang + llvm-spirv, checked by
// spirv-val (spirv-tools). SKIPs with the reason where a tool is missing.
#include <cstdlib>

#include <catch2/catch_test_macros.hpp>

#include "opencl/dialect_source.hpp"
#include "ring_source.hpp"
#include "spirv_check.hpp"

using rk::test::compile_dialect;
using rk::test::spirv_val;

namespace {

void require_valid(const std::string& spirv, const std::string& name) {
  auto validation = spirv_val(spirv, name);
  if (!validation.ran) SKIP("spirv-val not found in PATH (Debian: spirv-tools): SPIR-V not validated");
  INFO(validation.output);
  CHECK(validation.valid);
}

}  // namespace

TEST_CASE("clang and llvm-spirv are found", "[level_zero][spirv]") {
  const auto& tools = rk::test::require_spirv_tools();
  INFO(tools.identity);
  CHECK_FALSE(tools.clang.empty());
  CHECK_FALSE(tools.llvm_spirv.empty());
  CHECK(tools.identity.find("version") != std::string::npos);  // --version output is in the cache key
}

TEST_CASE("SPIR-V is told apart from source by its magic number", "[level_zero][spirv]") {
  const char little[] = {0x03, 0x02, 0x23, 0x07, 0};
  const char big[] = {0x07, 0x23, 0x02, 0x03, 0};
  CHECK(rk::level_zero::is_spirv(little, 4));
  CHECK(rk::level_zero::is_spirv(big, 4));
  CHECK_FALSE(rk::level_zero::is_spirv("RK_K", 4));
  CHECK_FALSE(rk::level_zero::is_spirv(little, 3));
}

TEST_CASE("a dialect vector add compiles to valid SPIR-V", "[level_zero][spirv]") {
  auto out = compile_dialect(rk::test::kVectorAdd, "vector_add");
  REQUIRE(rk::level_zero::is_spirv(out.spirv.data(), out.spirv.size()));
  CHECK(out.spirv.find("vector_add") != std::string::npos);  // the entry point's name
  CHECK(out.log == "");
  require_valid(out.spirv, "vector_add");
}

TEST_CASE("the ring loop with an echo handler compiles to valid SPIR-V", "[level_zero][spirv][ring]") {
  auto out = compile_dialect(rk::test::ring_source(rk::test::kEchoHandler), "echo_ring");
  CHECK(out.spirv.find("rk_ring_main") != std::string::npos);
  INFO(out.log);
  CHECK(out.log.find("warning") == std::string::npos);  // the prelude and ring loop build clean
  require_valid(out.spirv, "echo_ring");
}

TEST_CASE("the ring loop with every option compiles to valid SPIR-V", "[level_zero][spirv][ring][trace]") {
  auto out = compile_dialect(rk::test::ring_source_with_every_option(), "traced_ring");
  CHECK(out.spirv.find("rk_ring_main") != std::string::npos);
  INFO(out.log);
  CHECK(out.log.find("warning") == std::string::npos);
  require_valid(out.spirv, "traced_ring");
}

TEST_CASE("the ring loop reading the context clock word compiles to valid SPIR-V", "[level_zero][spirv][ring]") {
  const auto& tools = rk::test::require_spirv_tools();
  int64_t word = 0;  // any address: only the compile is checked
  std::string program = rk::opencl::dialect_source(rk::test::ring_source(rk::test::kEchoHandler), &word);
  REQUIRE(program.find("#define RK_OPENCL_CLOCK_WORD") == 0);
  rk::level_zero::SpirvBuild out;
  std::string error;
  rk_result r = rk::level_zero::compile_to_spirv(tools, program, rk::level_zero::clang_options(nullptr), "clocked", out,
                                                 error);
  INFO(error);
  REQUIRE(r == RK_SUCCESS);
  require_valid(out.spirv, "echo_ring_clocked");
}

TEST_CASE("a broken source fails with the compiler's log", "[level_zero][spirv]") {
  const auto& tools = rk::test::require_spirv_tools();
  std::string user = std::string(rk::test::kEchoHandler) +
                     "\nRK_INLINE int32_t oops(void) { return not_declared_anywhere; }\n";
  rk::level_zero::SpirvBuild out;
  std::string error;
  rk_result r = rk::level_zero::compile_to_spirv(tools, rk::test::dialect_program(rk::test::ring_source(user)),
                                                 rk::level_zero::clang_options(nullptr), "broken", out, error);
  INFO(error);
  CHECK(r == RK_ERROR_COMPILE_FAILED);
  CHECK(error.find("not_declared_anywhere") != std::string::npos);
  CHECK(error.find("broken") != std::string::npos);          // names the module
  CHECK(out.log.find("user_source") != std::string::npos);   // #line points into the user's text
  CHECK(out.spirv.empty());
}

TEST_CASE("request options reach clang after the defaults", "[level_zero][spirv]") {
  auto options = rk::level_zero::clang_options(" -DRK_TEST_VALUE=3  -cl-std=CL2.0 ");
  REQUIRE(options.size() == 8);
  CHECK(options[0] == "-cl-std=CL3.0");
  CHECK(options[6] == "-DRK_TEST_VALUE=3");
  CHECK(options[7] == "-cl-std=CL2.0");  // later flags win in clang
  const auto& tools = rk::test::require_spirv_tools();
  rk::level_zero::SpirvBuild out;
  std::string error;
  std::string program = rk::test::dialect_program(
      "#if RK_TEST_VALUE != 3\n#error option lost\n#endif\nRK_KERNEL void k(rk_global uint32_t* p) { p[0] = 1u; }\n");
  rk_result r = rk::level_zero::compile_to_spirv(tools, program, options, "options", out, error);
  INFO(error);
  CHECK(r == RK_SUCCESS);
}

TEST_CASE("a missing SPIR-V tool is named in the error", "[level_zero][spirv]") {
  const char* saved = std::getenv("RINGKERNEL_LLVM_SPIRV");
  std::string restore = saved ? saved : "";
  setenv("RINGKERNEL_LLVM_SPIRV", "/nonexistent/llvm-spirv", 1);
  rk::level_zero::SpirvTools tools;
  std::string reason;
  bool found = rk::level_zero::search_spirv_tools(tools, reason);
  if (saved) setenv("RINGKERNEL_LLVM_SPIRV", restore.c_str(), 1);
  else unsetenv("RINGKERNEL_LLVM_SPIRV");
  INFO(reason);
  CHECK_FALSE(found);
  CHECK(reason.find("RINGKERNEL_LLVM_SPIRV=/nonexistent/llvm-spirv is not executable") != std::string::npos);
  CHECK(reason.find("llvm-spirv-14") != std::string::npos);  // says what to install
}
