// NVRTC, dlopened (never linked), and the one compile step that needs no device: CUDA C++
// source to CUBIN (or PTX) for a given compute capability. cuda_compiler.cpp hands it to
// gpu_common/compile.cpp, which adds the cache and the driver; tests/plugins/cuda builds
// this file into its test to compile for sm_90 on a machine without a GPU.
#pragma once

#include <string>
#include <vector>

#include "rk_result.h"

namespace rk::cuda {

using nvrtcResult = int;
using nvrtcProgram = struct _nvrtcProgram*;

struct NvrtcApi {
  nvrtcResult (*nvrtcVersion)(int* major, int* minor) = nullptr;
  const char* (*nvrtcGetErrorString)(nvrtcResult result) = nullptr;
  nvrtcResult (*nvrtcGetNumSupportedArchs)(int* count) = nullptr;
  nvrtcResult (*nvrtcGetSupportedArchs)(int* archs) = nullptr;
  nvrtcResult (*nvrtcCreateProgram)(nvrtcProgram* program, const char* source, const char* name, int headers,
                                    const char* const* contents, const char* const* include_names) = nullptr;
  nvrtcResult (*nvrtcDestroyProgram)(nvrtcProgram* program) = nullptr;
  nvrtcResult (*nvrtcCompileProgram)(nvrtcProgram program, int option_count, const char* const* options) = nullptr;
  nvrtcResult (*nvrtcGetProgramLogSize)(nvrtcProgram program, size_t* size) = nullptr;
  nvrtcResult (*nvrtcGetProgramLog)(nvrtcProgram program, char* log) = nullptr;
  nvrtcResult (*nvrtcGetPTXSize)(nvrtcProgram program, size_t* size) = nullptr;
  nvrtcResult (*nvrtcGetPTX)(nvrtcProgram program, char* ptx) = nullptr;
  // Absent before CUDA 11.1: then only PTX.
  nvrtcResult (*nvrtcGetCUBINSize)(nvrtcProgram program, size_t* size) = nullptr;
  nvrtcResult (*nvrtcGetCUBIN)(nvrtcProgram program, char* cubin) = nullptr;
};

// Loads NVRTC once per process: libnvrtc.so.13, .so.12, .so from the loader's path, then
// from $CUDA_HOME/lib64 and /usr/local/cuda/lib64. nullptr with `reason` when none loads.
const NvrtcApi* load_nvrtc(std::string& reason);

// "13.0": part of every cache key (another NVRTC may emit other code for the same source).
std::string nvrtc_version();

// The --gpu-architecture value for a device of compute capability major.minor: "sm_XY"
// (a CUBIN) when this NVRTC can target it, else "compute_XY" of the newest architecture it
// knows at or below the device (PTX, which the driver JIT-compiles). "" when there is none,
// with `reason`.
std::string pick_target(int major, int minor, std::string& reason);

struct NvrtcResult {
  std::string image;  // CUBIN for sm_XY targets, NUL-terminated PTX for compute_XY
  bool cubin = false;
  std::string log;    // NVRTC's program log (warnings on success, errors on failure)
};

// Default options every dialect and native build gets, for `target` ("sm_90").
std::vector<std::string> default_options(const std::string& target);

// Compiles `source` with `options`. RK_ERROR_COMPILE_FAILED with the NVRTC log in `error`
// (and out.log) when the source does not compile; RK_ERROR_BACKEND_UNAVAILABLE when NVRTC
// is missing.
rk_result nvrtc_compile(const std::string& source, const std::vector<std::string>& options, const char* name,
                        NvrtcResult& out, std::string& error);

// The CUDA prelude followed by the user's dialect source (docs/dialect.md).
std::string dialect_source(const std::string& user);

}  // namespace rk::cuda
