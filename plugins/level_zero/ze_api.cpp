// Resolves the Level Zero API from the loader with dlopen/dlsym and initializes it.
#include "ze_api.hpp"

#include <dlfcn.h>

#include <cstdio>
#include <mutex>

namespace rk::level_zero {
namespace {

ZeApi g_api;
std::string g_load_failure;
std::once_flag g_load_once;

template <class Fn>
bool resolve(void* library, const char* symbol, Fn& slot) {
  slot = reinterpret_cast<Fn>(dlsym(library, symbol));
  return slot != nullptr;
}

// Returns the first missing entry point, or "".
std::string resolve_all(void* library, ZeApi& api) {
#define RK_ZE(name) \
  if (!resolve(library, #name, api.name)) return #name
  RK_ZE(zeInit);
  RK_ZE(zeDriverGet);
  RK_ZE(zeDriverGetProperties);
  RK_ZE(zeDriverGetApiVersion);
  RK_ZE(zeDeviceGet);
  RK_ZE(zeDeviceGetProperties);
  RK_ZE(zeDeviceGetComputeProperties);
  RK_ZE(zeDeviceGetModuleProperties);
  RK_ZE(zeDeviceGetMemoryProperties);
  RK_ZE(zeDeviceGetMemoryAccessProperties);
  RK_ZE(zeDeviceGetCommandQueueGroupProperties);
  RK_ZE(zeContextCreate);
  RK_ZE(zeContextDestroy);
  RK_ZE(zeCommandQueueCreate);
  RK_ZE(zeCommandQueueDestroy);
  RK_ZE(zeCommandQueueExecuteCommandLists);
  RK_ZE(zeCommandQueueSynchronize);
  RK_ZE(zeCommandListCreate);
  RK_ZE(zeCommandListCreateImmediate);
  RK_ZE(zeCommandListDestroy);
  RK_ZE(zeCommandListClose);
  RK_ZE(zeCommandListAppendMemoryCopy);
  RK_ZE(zeCommandListAppendMemoryFill);
  RK_ZE(zeCommandListAppendLaunchKernel);
  RK_ZE(zeCommandListAppendLaunchCooperativeKernel);
  RK_ZE(zeMemAllocDevice);
  RK_ZE(zeMemAllocHost);
  RK_ZE(zeMemAllocShared);
  RK_ZE(zeMemFree);
  RK_ZE(zeModuleCreate);
  RK_ZE(zeModuleDestroy);
  RK_ZE(zeModuleBuildLogDestroy);
  RK_ZE(zeModuleBuildLogGetString);
  RK_ZE(zeKernelCreate);
  RK_ZE(zeKernelDestroy);
  RK_ZE(zeKernelSetGroupSize);
  RK_ZE(zeKernelSetArgumentValue);
  RK_ZE(zeKernelSetIndirectAccess);
  RK_ZE(zeKernelGetProperties);
  RK_ZE(zeKernelSuggestMaxCooperativeGroupCount);
#undef RK_ZE
  return "";
}

void load_once() {
  // Never dlclose'd: drivers start threads and register atexit handlers.
  void* library = dlopen(kLoaderName, RTLD_NOW | RTLD_LOCAL);
  if (library == nullptr) {
    const char* why = dlerror();
    g_load_failure = std::string(kLoaderName) + " not found (no Level Zero loader): " + (why ? why : "dlopen failed");
    return;
  }
  ZeApi api;
  if (std::string missing = resolve_all(library, api); !missing.empty()) {
    g_load_failure = std::string(kLoaderName) + " lacks " + missing + " (loader older than Level Zero 1.0?)";
    return;
  }
  g_api = api;
  // The loader answers UNINITIALIZED when it found no driver (none installed, or none
  // that sees a device): that is the machine having no Level Zero device, not an error.
  ze_result_t status = api.zeInit(0);
  if (status != ZE_RESULT_SUCCESS) {
    g_load_failure = "0 Level Zero drivers: zeInit: " + ze_error_name(status) + " (" + kLoaderName +
                     " found no driver; Intel GPUs need the compute runtime, Debian: intel-level-zero-gpu)";
    return;
  }
  uint32_t drivers = 0;
  status = api.zeDriverGet(&drivers, nullptr);
  if (status != ZE_RESULT_SUCCESS || drivers == 0)
    g_load_failure = "0 Level Zero drivers: zeDriverGet: " +
                     (status != ZE_RESULT_SUCCESS ? ze_error_name(status) : std::string("none listed"));
}

const char* result_name(ze_result_t code) {
  switch (code) {
    case ZE_RESULT_SUCCESS: return "ZE_RESULT_SUCCESS";
    case ZE_RESULT_NOT_READY: return "ZE_RESULT_NOT_READY";
    case ZE_RESULT_ERROR_DEVICE_LOST: return "ZE_RESULT_ERROR_DEVICE_LOST";
    case ZE_RESULT_ERROR_OUT_OF_HOST_MEMORY: return "ZE_RESULT_ERROR_OUT_OF_HOST_MEMORY";
    case ZE_RESULT_ERROR_OUT_OF_DEVICE_MEMORY: return "ZE_RESULT_ERROR_OUT_OF_DEVICE_MEMORY";
    case ZE_RESULT_ERROR_MODULE_BUILD_FAILURE: return "ZE_RESULT_ERROR_MODULE_BUILD_FAILURE";
    case ZE_RESULT_ERROR_UNINITIALIZED: return "ZE_RESULT_ERROR_UNINITIALIZED";
    case ZE_RESULT_ERROR_UNSUPPORTED_FEATURE: return "ZE_RESULT_ERROR_UNSUPPORTED_FEATURE";
    case ZE_RESULT_ERROR_INVALID_ARGUMENT: return "ZE_RESULT_ERROR_INVALID_ARGUMENT";
    case ZE_RESULT_ERROR_INVALID_KERNEL_NAME: return "ZE_RESULT_ERROR_INVALID_KERNEL_NAME";
    case ZE_RESULT_ERROR_INVALID_GROUP_SIZE_DIMENSION: return "ZE_RESULT_ERROR_INVALID_GROUP_SIZE_DIMENSION";
    case ZE_RESULT_ERROR_INVALID_KERNEL_ARGUMENT_INDEX: return "ZE_RESULT_ERROR_INVALID_KERNEL_ARGUMENT_INDEX";
    case ZE_RESULT_ERROR_INVALID_KERNEL_ARGUMENT_SIZE: return "ZE_RESULT_ERROR_INVALID_KERNEL_ARGUMENT_SIZE";
    default: return "ze_result_t";
  }
}

}  // namespace

const ZeApi* load_ze_api(std::string& reason) {
  std::call_once(g_load_once, load_once);
  reason = g_load_failure;
  return g_load_failure.empty() ? &g_api : nullptr;
}

const ZeApi& ze() { return g_api; }

std::string ze_error_name(ze_result_t code) {
  char number[16];
  std::snprintf(number, sizeof(number), "0x%x", static_cast<unsigned>(code));
  return std::string(result_name(code)) + " (" + number + ")";
}

}  // namespace rk::level_zero
