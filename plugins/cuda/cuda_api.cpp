// Resolves the CUDA driver API from libcuda.so.1 into gpu_common's driver table, and
// initializes it. Only names and constants live here; the logic is in gpu_common.
#include "cuda_api.hpp"

#include <cstdlib>
#include <mutex>

#include "common/plugin_support.hpp"
#include "gpu_common/resolve.hpp"

namespace rk::cuda {
namespace {

gpu::DriverApi g_api;
CUresult (*g_get_error_name)(CUresult error, const char** name) = nullptr;
std::string g_load_failure;
std::once_flag g_load_once;

// Returns the first missing entry point, or "". Versioned names are the ones cuda.h's
// macros select (the unversioned symbols keep old 32-bit signatures for old binaries).
std::string resolve_all(void* library, gpu::DriverApi& api) {
#define RK_CU(member, symbol) \
  if (!gpu::resolve(library, symbol, api.member)) return symbol
  RK_CU(driver_version, "cuDriverGetVersion");
  RK_CU(device_count, "cuDeviceGetCount");
  RK_CU(device_get, "cuDeviceGet");
  RK_CU(device_name, "cuDeviceGetName");
  RK_CU(device_total_memory, "cuDeviceTotalMem_v2");
  RK_CU(device_attribute, "cuDeviceGetAttribute");
  RK_CU(primary_context_retain, "cuDevicePrimaryCtxRetain");
  RK_CU(primary_context_release, "cuDevicePrimaryCtxRelease_v2");
  RK_CU(context_set_current, "cuCtxSetCurrent");
  RK_CU(stream_create, "cuStreamCreate");
  RK_CU(stream_destroy, "cuStreamDestroy_v2");
  RK_CU(stream_synchronize, "cuStreamSynchronize");
  RK_CU(stream_query, "cuStreamQuery");
  RK_CU(mem_alloc, "cuMemAlloc_v2");
  RK_CU(mem_free, "cuMemFree_v2");
  RK_CU(host_alloc, "cuMemHostAlloc");
  RK_CU(host_free, "cuMemFreeHost");
  RK_CU(host_device_pointer, "cuMemHostGetDevicePointer_v2");
  RK_CU(managed_alloc, "cuMemAllocManaged");
  RK_CU(memset_d8, "cuMemsetD8_v2");
  RK_CU(copy_htod, "cuMemcpyHtoD_v2");
  RK_CU(copy_dtoh, "cuMemcpyDtoH_v2");
  RK_CU(copy_htod_async, "cuMemcpyHtoDAsync_v2");
  RK_CU(copy_dtoh_async, "cuMemcpyDtoHAsync_v2");
  RK_CU(module_load_data, "cuModuleLoadData");
  RK_CU(module_unload, "cuModuleUnload");
  RK_CU(module_get_function, "cuModuleGetFunction");
  RK_CU(module_get_global, "cuModuleGetGlobal_v2");
  RK_CU(function_attribute, "cuFuncGetAttribute");
  RK_CU(function_set_attribute, "cuFuncSetAttribute");
  RK_CU(launch_kernel, "cuLaunchKernel");
  RK_CU(launch_cooperative_kernel, "cuLaunchCooperativeKernel");
#undef RK_CU
  if (!gpu::resolve(library, "cuGetErrorName", g_get_error_name)) return "cuGetErrorName";
  return "";
}

// CUmoduleLoadingMode: CU_MODULE_LAZY_LOADING. cuModuleGetLoadingMode exists from CUDA 11.7.
constexpr int kLazyLoading = 0x2;

void warn_if_lazy_loading(void* library) {
  CUresult (*get_mode)(int* mode) = nullptr;
  int mode = 0;
  if (!gpu::resolve(library, "cuModuleGetLoadingMode", get_mode) || get_mode(&mode) != CUDA_SUCCESS) return;
  if (mode == kLazyLoading)
    plugin_common::log(RK_LOG_LEVEL_WARN,
                       "cuda: CUDA loads kernels lazily in this process (CUDA_MODULE_LOADING=LAZY, or CUDA was "
                       "initialized before ringkernel): launching a ring kernel while another one runs may wait "
                       "for it forever; set CUDA_MODULE_LOADING=EAGER");
}

void load_once() {
  // Never dlclose'd: the driver starts threads and registers atexit handlers.
  void* library = dlopen(kDriverName, RTLD_NOW | RTLD_LOCAL);
  if (library == nullptr) {
    const char* why = dlerror();
    g_load_failure = std::string(kDriverName) + " not found (no NVIDIA driver): " + (why ? why : "dlopen failed");
    return;
  }
  gpu::DriverApi api;
  std::string missing = resolve_all(library, api);
  CUresult (*init)(unsigned flags) = nullptr;
  if (missing.empty() && !gpu::resolve(library, "cuInit", init)) missing = "cuInit";
  if (!missing.empty()) {
    g_load_failure = std::string(kDriverName) + " lacks " + missing + " (driver too old?)";
    return;
  }
  g_api = api;
  // Lazy loading (the default since CUDA 12.2) loads a kernel's code when it is first used,
  // and that load may wait for every running kernel to finish: launching a second ring
  // kernel while the first one runs would wait forever. Eager loading loads a module's code
  // in cuModuleLoadData. Only the first cuInit in the process reads the variable, and a
  // user's own setting wins.
  setenv("CUDA_MODULE_LOADING", "EAGER", 0);
  CUresult status = init(0);
  if (status != CUDA_SUCCESS) {
    g_load_failure = "cuInit failed: " + cu_error_name(status);
    return;
  }
  warn_if_lazy_loading(library);
}

}  // namespace

const gpu::DriverApi* load_cu_api(std::string& reason) {
  std::call_once(g_load_once, load_once);
  reason = g_load_failure;
  return g_load_failure.empty() ? &g_api : nullptr;
}

std::string cu_error_name(CUresult code) {
  const char* name = nullptr;
  if (g_get_error_name == nullptr || g_get_error_name(code, &name) != CUDA_SUCCESS || name == nullptr)
    name = "CUresult";
  return std::string(name) + " (" + std::to_string(code) + ")";
}

int device_attribute(CUdevice device, int attribute) {
  int value = 0;
  if (g_api.device_attribute == nullptr || g_api.device_attribute(&value, attribute, device) != CUDA_SUCCESS) return 0;
  return value;
}

}  // namespace rk::cuda
