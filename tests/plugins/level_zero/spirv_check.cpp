#include "spirv_check.hpp"

#include <filesystem>
#include <fstream>

#include <catch2/catch_test_macros.hpp>

#include "common/process.hpp"
#include "opencl/dialect_source.hpp"

namespace rk::test {

const char* const kVectorAdd = R"(
RK_KERNEL void vector_add(rk_global const float* a, rk_global const float* b, rk_global float* c, uint32_t n) {
  uint32_t i = rk_block_idx(0) * rk_block_dim(0) + rk_thread_idx(0);
  if (i < n) c[i] = a[i] + b[i];
}
)";

const rk::level_zero::SpirvTools& require_spirv_tools() {
  std::string reason;
  const rk::level_zero::SpirvTools* tools = rk::level_zero::find_spirv_tools(reason);
  if (tools == nullptr) SKIP(reason);
  return *tools;
}

std::string dialect_program(const std::string& user) { return rk::opencl::dialect_source(user, nullptr); }

rk::level_zero::SpirvBuild compile_dialect(const std::string& user, const char* name) {
  const auto& tools = require_spirv_tools();
  rk::level_zero::SpirvBuild out;
  std::string error;
  rk_result r = rk::level_zero::compile_to_spirv(tools, dialect_program(user), rk::level_zero::clang_options(nullptr),
                                                 name, out, error);
  INFO(error);
  REQUIRE(r == RK_SUCCESS);
  return out;
}

Validation spirv_val(const std::string& spirv, const std::string& name) {
  std::filesystem::path scratch = RK_LEVEL_ZERO_TEST_SCRATCH;
  std::filesystem::create_directories(scratch);
  std::filesystem::path file = scratch / (name + ".spv");
  {
    std::ofstream out(file, std::ios::binary);
    out << spirv;
  }
  auto result = rk::plugin_common::run_process({"spirv-val", file.string()}, scratch / (name + ".spirv-val.txt"));
  Validation validation;
  validation.ran = result.exit_code >= 0;
  validation.valid = result.exit_code == 0;
  validation.output = result.output;
  return validation;
}

}  // namespace rk::test
