// What a CUDA device is, in rk_device_info terms: limits and capabilities from
// cuDeviceGetAttribute.
#include <cstdio>

#include "cuda_api.hpp"
#include "cuda_backend.hpp"
#include "gpu_common/gpu.hpp"

namespace rk::cuda {
namespace {

uint32_t to_u32(int value) { return value > 0 ? static_cast<uint32_t>(value) : 0u; }

// Ring kernels need host-shared memory both sides address alike (UVA + mapped host memory),
// every block resident (cooperative launch) and system-scope atomics (sm_70+).
uint64_t device_caps(const gpu::Device& d) {
  // Loading a module waits for every running kernel (seen on an H200, driver 580, with
  // eager loading): the runtime parks ring kernels around each load.
  uint64_t caps = RK_CAP_ASYNC_COPY | RK_CAP_LOAD_WAITS_FOR_KERNELS;
  bool cooperative = device_attribute(d.handle, CU_DEVICE_ATTRIBUTE_COOPERATIVE_LAUNCH) != 0;
  if (cooperative) caps |= RK_CAP_COOPERATIVE_LAUNCH;
  if (d.host_mapped && cooperative && d.major >= 7)
    caps |= RK_CAP_PERSISTENT_KERNELS | RK_CAP_HOST_COHERENT | RK_CAP_K2K;
  return caps;
}

}  // namespace

void describe_device(gpu::Device& d, int index) {
  CUdevice handle = d.handle;
  rk_device_info& info = d.info;
  const gpu::DriverApi& api = gpu::api();
  info.struct_size = sizeof(rk_device_info);
  info.index = static_cast<uint32_t>(index);
  if (api.device_name(info.name, static_cast<int>(sizeof(info.name)), handle) != CUDA_SUCCESS)
    std::snprintf(info.name, sizeof(info.name), "CUDA device %d", index);
  std::snprintf(info.vendor, sizeof(info.vendor), "NVIDIA");
  int driver = 0;
  api.driver_version(&driver);
  d.major = device_attribute(handle, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR);
  d.minor = device_attribute(handle, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR);
  std::snprintf(info.driver_version, sizeof(info.driver_version), "CUDA %d.%d, sm_%d%d", driver / 1000,
                (driver % 1000) / 10, d.major, d.minor);
  size_t bytes = 0;
  if (api.device_total_memory(&bytes, handle) == CUDA_SUCCESS) info.global_memory_bytes = bytes;
  info.compute_units = to_u32(device_attribute(handle, CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT));
  info.max_block_size = to_u32(device_attribute(handle, CU_DEVICE_ATTRIBUTE_MAX_THREADS_PER_BLOCK));
  int optin = device_attribute(handle, CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN);
  int shared = device_attribute(handle, CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK);
  info.max_shared_memory_bytes = to_u32(optin > shared ? optin : shared);
  d.host_mapped = device_attribute(handle, CU_DEVICE_ATTRIBUTE_CAN_MAP_HOST_MEMORY) != 0 &&
                  device_attribute(handle, CU_DEVICE_ATTRIBUTE_UNIFIED_ADDRESSING) != 0;
  d.managed = device_attribute(handle, CU_DEVICE_ATTRIBUTE_MANAGED_MEMORY) != 0;
  info.caps = device_caps(d);
}

}  // namespace rk::cuda
