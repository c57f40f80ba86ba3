// hiprtc, dlopened (never linked), and the one compile step that needs no device: HIP C++
// source to an AMD GPU code object for a given gfx target. hip_compiler.cpp hands it to
// gpu_common/compile.cpp, which adds the cache and the driver; tests/plugins/hip builds
// this file into its test to compile for gfx90a and gfx942 on a machine without a GPU.
#pragma once

#include <string>
#include <vector>

#include "rk_result.h"

namespace rk::hip {

// Loads hiprtc once per process: libhiprtc.so.N (ROCm 6+ moved it there), else libamdhip64
// (ROCm 5.x ships hiprtc inside it). false with `reason` when none has it.
bool load_hiprtc(std::string& reason);

// "hiprtc 9.0, comgr 2.4": part of every cache key.
std::string hiprtc_identity();

// comgr's list of the ISAs its LLVM can target ("gfx90a", "gfx1030", ...), read from
// libamd_comgr. Empty with `reason` when comgr cannot be loaded.
std::vector<std::string> supported_targets(std::string& reason);

// "" when hiprtc can compile for `arch` ("gfx90a", "gfx90a:sramecc+:xnack-"), else why not.
// Asked before every compile: ROCm 5.2's hiprtc aborts the process (a bad free in its error
// path, inside amd_comgr_destroy_action_info) when given a target comgr does not know.
std::string check_target(const std::string& arch);

struct HiprtcResult {
  std::string image;  // the code object (an ELF) for hipModuleLoadData
  std::string log;    // hiprtc's program log (warnings on success, errors on failure)
};

// Default options every dialect and native build gets, for `arch`.
std::vector<std::string> default_options(const std::string& arch);

// Compiles `source` with `options` (an --offload-arch among them, checked first).
// RK_ERROR_COMPILE_FAILED with hiprtc's log in `error` (and out.log) when the source does not
// compile; RK_ERROR_UNSUPPORTED for a target hiprtc cannot build; RK_ERROR_BACKEND_UNAVAILABLE
// when hiprtc is missing.
rk_result hiprtc_compile(const std::string& source, const std::vector<std::string>& options, const char* name,
                         HiprtcResult& out, std::string& error);

// The HIP prelude followed by the user's dialect source (docs/dialect.md).
std::string dialect_source(const std::string& user);

}  // namespace rk::hip
