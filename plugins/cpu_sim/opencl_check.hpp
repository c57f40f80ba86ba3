// cpu_sim's OpenCL C check: every dialect source is also parsed by clang as OpenCL C (the
// OpenCL prelude in front, -fsyntax-only), so a source that builds here but would not build
// on the OpenCL backend fails here too, where users run their CI. See docs/dialect.md,
// "Portable subset".
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "rk_plugin.h"

namespace rk::cpu_sim {

// Environment variable that turns the check off (any value but "" and "0").
inline constexpr const char* kSkipOpenclCheckVariable = "RINGKERNEL_SKIP_OPENCL_CHECK";

struct OpenclCheck {
  std::vector<std::string> argv;  // clang and its flags, less the file; empty: no check
  std::string identity;           // clang, its flags and the prelude, for the cache key; "" with no check
  std::string skipped_because;    // why there is no check (native source, the variable, no clang)
};

// Whether and with which clang a request's source is checked: dialect sources only, not
// when RINGKERNEL_SKIP_OPENCL_CHECK is set, and only where a clang is found
// (RINGKERNEL_CLANG, else clang-14 ... clang-18 in PATH). Starts no process.
OpenclCheck plan_opencl_check(const rk_compile_request* request);

// Parses the request's source as OpenCL C. RK_ERROR_COMPILE_FAILED, with clang's errors
// (kernel_source:<line>:<column>) and a hint for OpenCL C keywords used as names, in
// last_error. `scratch_dir` holds the temporary source file.
rk_result run_opencl_check(const OpenclCheck& check, const std::string& user_source,
                           const std::filesystem::path& scratch_dir);

}  // namespace rk::cpu_sim
