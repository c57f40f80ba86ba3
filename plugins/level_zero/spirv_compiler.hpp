// OpenCL C to SPIR-V with the tools Level Zero drivers do not ship: clang (-target spir64,
// LLVM bitcode) then llvm-spirv (SPIR-V 1.2, the version every Level Zero driver accepts).
// Both are found at run time, so this needs no device: tests/plugins/level_zero compiles
// the ring loop with it on machines without a GPU.
#pragma once

#include <string>
#include <vector>

#include "rk_result.h"

namespace rk::level_zero {

struct SpirvTools {
  std::string clang;       // path
  std::string llvm_spirv;  // path
  std::string identity;    // both paths and their --version output: part of the cache key
};

// RINGKERNEL_CLANG / RINGKERNEL_LLVM_SPIRV, else a clang-N / llvm-spirv-N pair of one LLVM
// version (N = 18 down to 14; bitcode must not be newer than llvm-spirv), else plain clang /
// llvm-spirv in PATH. Searched once per process. nullptr with `reason` naming what is missing.
const SpirvTools* find_spirv_tools(std::string& reason);
// The same search, uncached (for tests of the environment variables): false with `reason`.
bool search_spirv_tools(SpirvTools& tools, std::string& reason);

// True when `bytes` start with the SPIR-V magic number (0x07230203, either byte order).
bool is_spirv(const char* bytes, size_t size);

// clang's flags for a program: -cl-std=CL3.0 -target spir64 -O2, then `extra` split at
// whitespace (the request's options; later flags win).
std::vector<std::string> clang_options(const char* extra);

struct SpirvBuild {
  std::string spirv;  // the module
  std::string log;    // what the tools printed (warnings), "" when silent
};

// Compiles `source` (OpenCL C) with `options` (clang_options). On failure returns
// RK_ERROR_COMPILE_FAILED with `error` = "level_zero: clang failed to compile '<name>':\n<log>"
// and out.log = the tool's output.
rk_result compile_to_spirv(const SpirvTools& tools, const std::string& source, const std::vector<std::string>& options,
                           const char* name, SpirvBuild& out, std::string& error);

}  // namespace rk::level_zero
