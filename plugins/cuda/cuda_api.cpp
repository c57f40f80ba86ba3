// Resolves the CUDA driver API from libcuda.so.1 with dlopen/dlsym and initializes it.
#include "cuda_api.hpp"

#include <dlfcn.h>

#include <mutex>

namespace rk::cuda {
namespace {

CuApi g_api;
std::string g_load_failure;
std::once_flag g_load_once;

template <class Fn>
bool resolve(void* library, const char* symbol, Fn& slot) {
  slot = reinterpret_cast<Fn>(dlsym(library, symbol));
  return slot != nullptr;
}

// Returns the first missing entry point, or "". Versioned names are the ones cuda.h's
// macros select (the unversioned symbols keep old 32-bit signatures for old binaries).
std::string resolve_all(void* library, CuApi& api) {
#define RK_CU(member, symbol) \
  if (!resolve(library, symbol, api.member)) return symbol
  RK_CU(cuInit, "cuInit");
  RK_CU(cuDriverGetVersion, "cuDriverGetVersion");
  RK_CU(cuGetErrorName, "cuGetErrorName");
  RK_CU(cuDeviceGetCount, "cuDeviceGetCount");
  RK_CU(cuDeviceGet, "cuDeviceGet");
  RK_CU(cuDeviceGetName, "cuDeviceGetName");
  RK_CU(cuDeviceTotalMem, "cuDeviceTotalMem_v2");
  RK_CU(cuDeviceGetAttribute, "cuDeviceGetAttribute");
  RK_CU(cuDevicePrimaryCtxRetain, "cuDevicePrimaryCtxRetain");
  RK_CU(cuDevicePrimaryCtxRelease, "cuDevicePrimaryCtxRelease_v2");
  RK_CU(cuCtxSetCurrent, "cuCtxSetCurrent");
  RK_CU(cuStreamCreate, "cuStreamCreate");
  RK_CU(cuStreamDestroy, "cuStreamDestroy_v2");
  RK_CU(cuStreamSynchronize, "cuStreamSynchronize");
  RK_CU(cuStreamQuery, "cuStreamQuery");
  RK_CU(cuMemAlloc, "cuMemAlloc_v2");
  RK_CU(cuMemFree, "cuMemFree_v2");
  RK_CU(cuMemHostAlloc, "cuMemHostAlloc");
  RK_CU(cuMemFreeHost, "cuMemFreeHost");
  RK_CU(cuMemHostGetDevicePointer, "cuMemHostGetDevicePointer_v2");
  RK_CU(cuMemAllocManaged, "cuMemAllocManaged");
  RK_CU(cuMemsetD8, "cuMemsetD8_v2");
  RK_CU(cuMemcpyHtoD, "cuMemcpyHtoD_v2");
  RK_CU(cuMemcpyDtoH, "cuMemcpyDtoH_v2");
  RK_CU(cuMemcpyHtoDAsync, "cuMemcpyHtoDAsync_v2");
  RK_CU(cuMemcpyDtoHAsync, "cuMemcpyDtoHAsync_v2");
  RK_CU(cuModuleLoadData, "cuModuleLoadData");
  RK_CU(cuModuleUnload, "cuModuleUnload");
  RK_CU(cuModuleGetFunction, "cuModuleGetFunction");
  RK_CU(cuFuncGetAttribute, "cuFuncGetAttribute");
  RK_CU(cuFuncSetAttribute, "cuFuncSetAttribute");
  RK_CU(cuLaunchKernel, "cuLaunchKernel");
  RK_CU(cuLaunchCooperativeKernel, "cuLaunchCooperativeKernel");
#undef RK_CU
  return "";
}

void load_once() {
  // Never dlclose'd: the driver starts threads and registers atexit handlers.
  void* library = dlopen(kDriverName, RTLD_NOW | RTLD_LOCAL);
  if (library == nullptr) {
    const char* why = dlerror();
    g_load_failure = std::string(kDriverName) + " not found (no NVIDIA driver): " + (why ? why : "dlopen failed");
    return;
  }
  CuApi api;
  std::string missing = resolve_all(library, api);
  if (!missing.empty()) {
    g_load_failure = std::string(kDriverName) + " lacks " + missing + " (driver too old?)";
    return;
  }
  g_api = api;  // cu_error_name needs cuGetErrorName from here on
  CUresult status = api.cuInit(0);
  if (status != CUDA_SUCCESS) g_load_failure = "cuInit failed: " + cu_error_name(status);
}

}  // namespace

const CuApi* load_cu_api(std::string& reason) {
  std::call_once(g_load_once, load_once);
  reason = g_load_failure;
  return g_load_failure.empty() ? &g_api : nullptr;
}

const CuApi& cu() { return g_api; }

std::string cu_error_name(CUresult code) {
  const char* name = nullptr;
  if (g_api.cuGetErrorName == nullptr || g_api.cuGetErrorName(code, &name) != CUDA_SUCCESS || name == nullptr)
    name = "CUresult";
  return std::string(name) + " (" + std::to_string(code) + ")";
}

}  // namespace rk::cuda
