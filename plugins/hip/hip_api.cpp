// Resolves HIP's module API from libamdhip64 into gpu_common's driver table, and initializes
// it. Only names, constants and the one adapter HIP needs (cooperative launch) live here.
#include "hip_api.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <mutex>
#include <vector>

#include "gpu_common/resolve.hpp"

namespace rk::hip {
namespace {

using gpu::Function;
using gpu::Stream;

gpu::DriverApi g_api;
const char* (*g_get_error_name)(hipError_t error) = nullptr;
hipError_t (*g_get_device)(int* device) = nullptr;
hipError_t (*g_get_device_properties)(void* properties, int device) = nullptr;
hipError_t (*g_occupancy)(int* blocks, Function f, int block_size, size_t dynamic_shared) = nullptr;
std::string g_load_failure;
std::once_flag g_load_once;

// A cooperative launch is a plain launch whose grid the occupancy calculator says fits on
// the device at once: every block resident, as a ring kernel needs (it uses no grid-wide
// barrier). Not hipModuleLaunchCooperativeKernel (ROCm 6+): ROCm's runtime sends every
// cooperative launch to one exclusive device queue, so a second persistent ring kernel
// would wait behind the first forever (and K2K between them would deadlock).
hipError_t launch_resident(Function f, unsigned gx, unsigned gy, unsigned gz, unsigned bx, unsigned by, unsigned bz,
                           unsigned shared, Stream stream, void** params) {
  int device = 0, per_unit = 0;
  hipError_t status = g_get_device(&device);
  if (status == hipSuccess) status = g_occupancy(&per_unit, f, static_cast<int>(bx * by * bz), shared);
  if (status != hipSuccess) return status;
  uint64_t resident = uint64_t(per_unit) * uint64_t(device_attribute(device, hipDeviceAttributeMultiprocessorCount));
  if (uint64_t(gx) * gy * gz > resident) return hipErrorCooperativeLaunchTooLarge;
  return g_api.launch_kernel(f, gx, gy, gz, bx, by, bz, shared, stream, params, nullptr);
}

// Returns the first missing entry point, or "". Context calls are HIP's deprecated but
// present (5.x through 6.x) mirrors of CUDA's primary-context API: one context per device.
std::string resolve_all(void* library, gpu::DriverApi& api) {
#define RK_HIP(member, symbol) \
  if (!gpu::resolve(library, symbol, api.member)) return symbol
  RK_HIP(driver_version, "hipDriverGetVersion");
  RK_HIP(device_count, "hipGetDeviceCount");
  RK_HIP(device_get, "hipDeviceGet");
  RK_HIP(device_name, "hipDeviceGetName");
  RK_HIP(device_total_memory, "hipDeviceTotalMem");
  RK_HIP(device_attribute, "hipDeviceGetAttribute");
  RK_HIP(primary_context_retain, "hipDevicePrimaryCtxRetain");
  RK_HIP(primary_context_release, "hipDevicePrimaryCtxRelease");
  RK_HIP(context_set_current, "hipCtxSetCurrent");
  RK_HIP(stream_create, "hipStreamCreateWithFlags");
  RK_HIP(stream_destroy, "hipStreamDestroy");
  RK_HIP(stream_synchronize, "hipStreamSynchronize");
  RK_HIP(stream_query, "hipStreamQuery");
  RK_HIP(mem_alloc, "hipMalloc");
  RK_HIP(mem_free, "hipFree");
  RK_HIP(host_alloc, "hipHostMalloc");
  RK_HIP(host_free, "hipHostFree");
  RK_HIP(host_device_pointer, "hipHostGetDevicePointer");
  RK_HIP(managed_alloc, "hipMallocManaged");
  RK_HIP(memset_d8, "hipMemsetD8");
  RK_HIP(copy_htod, "hipMemcpyHtoD");
  RK_HIP(copy_dtoh, "hipMemcpyDtoH");
  RK_HIP(copy_htod_async, "hipMemcpyHtoDAsync");
  RK_HIP(copy_dtoh_async, "hipMemcpyDtoHAsync");
  RK_HIP(module_load_data, "hipModuleLoadData");
  RK_HIP(module_unload, "hipModuleUnload");
  RK_HIP(module_get_function, "hipModuleGetFunction");
  RK_HIP(function_attribute, "hipFuncGetAttribute");
  RK_HIP(launch_kernel, "hipModuleLaunchKernel");
#undef RK_HIP
  if (!gpu::resolve(library, "hipGetErrorName", g_get_error_name)) return "hipGetErrorName";
  if (!gpu::resolve(library, "hipGetDevice", g_get_device)) return "hipGetDevice";
  if (!gpu::resolve(library, "hipGetDeviceProperties", g_get_device_properties)) return "hipGetDeviceProperties";
  if (!gpu::resolve(library, "hipModuleOccupancyMaxActiveBlocksPerMultiprocessor", g_occupancy))
    return "hipModuleOccupancyMaxActiveBlocksPerMultiprocessor";
  api.launch_cooperative_kernel = launch_resident;
  return "";
}

void* open_library(std::string& tried) {
  for (const char* name : {"libamdhip64.so.7", "libamdhip64.so.6", "libamdhip64.so.5", "libamdhip64.so"}) {
    if (void* library = dlopen(name, RTLD_NOW | RTLD_LOCAL)) return library;  // never closed
    const char* why = dlerror();
    tried = why ? why : name;  // the last loader message names what was missing
  }
  return nullptr;
}

void load_once() {
  if (access(kKfdPath, F_OK) != 0) {
    g_load_failure = std::string(kKfdPath) + " not found (no AMD GPU kernel driver): " + std::strerror(errno);
    return;
  }
  std::string tried;
  void* library = open_library(tried);
  if (library == nullptr) {
    g_load_failure = "libamdhip64 not found (no ROCm HIP runtime): " + tried;
    return;
  }
  gpu::DriverApi api;
  std::string missing = resolve_all(library, api);
  hipError_t (*init)(unsigned flags) = nullptr;
  if (missing.empty() && !gpu::resolve(library, "hipInit", init)) missing = "hipInit";
  if (!missing.empty()) {
    g_load_failure = "libamdhip64 lacks " + missing + " (HIP too old?)";
    return;
  }
  g_api = api;
  hipError_t status = init(0);
  if (status != hipSuccess) g_load_failure = "hipInit failed: " + hip_error_name(status);
}

}  // namespace

const gpu::DriverApi* load_hip_api(std::string& reason) {
  std::call_once(g_load_once, load_once);
  reason = g_load_failure;
  return g_load_failure.empty() ? &g_api : nullptr;
}

std::string hip_error_name(hipError_t code) {
  const char* name = g_get_error_name ? g_get_error_name(code) : nullptr;
  return std::string(name ? name : "hipError_t") + " (" + std::to_string(code) + ")";
}

int device_attribute(int device, int attribute) {
  int value = 0;
  if (g_api.device_attribute == nullptr || g_api.device_attribute(&value, attribute, device) != hipSuccess) return 0;
  return value;
}

std::string device_arch(int device) {
  std::vector<char> properties(kDevicePropBufferSize, '\0');
  if (g_get_device_properties == nullptr || g_get_device_properties(properties.data(), device) != hipSuccess) return "";
  const char* name = properties.data() + kDevicePropGcnArchNameOffset;
  std::string arch(name, strnlen(name, 256));
  return arch.rfind("gfx", 0) == 0 ? arch : "";  // anything else: a layout we do not know
}

}  // namespace rk::hip
