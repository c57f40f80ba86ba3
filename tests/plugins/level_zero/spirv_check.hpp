// Helpers of the device-free SPIR-V tests: compile a dialect source as the plugin does
// (prelude + clang + llvm-spirv), and ask spirv-val about the result.
#pragma once

#include <string>

#include "spirv_compiler.hpp"

namespace rk::test {

extern const char* const kVectorAdd;  // a dialect vector add: c[i] = a[i] + b[i], i < n

// Skips (with the plugin's reason) where clang or llvm-spirv is missing.
const rk::level_zero::SpirvTools& require_spirv_tools();

// The OpenCL C program the plugin builds for a dialect source (no clock word: device-free).
std::string dialect_program(const std::string& user);

// Compiles a dialect source to SPIR-V; fails the test with the compiler's log otherwise.
rk::level_zero::SpirvBuild compile_dialect(const std::string& user, const char* name);

struct Validation {
  bool ran = false;    // spirv-val was found and started
  bool valid = false;  // exit code 0
  std::string output;
};

// Writes `spirv` under the scratch folder as <name>.spv and runs spirv-val on it.
Validation spirv_val(const std::string& spirv, const std::string& name);

}  // namespace rk::test
