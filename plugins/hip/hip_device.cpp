// What a HIP device is, in rk_device_info terms: limits and capabilities from
// hipDeviceGetAttribute, the gfx target from hipGetDeviceProperties.
#include <cstdio>

#include "gpu_common/gpu.hpp"
#include "hip_api.hpp"
#include "hip_backend.hpp"

namespace rk::hip {
namespace {

uint32_t to_u32(int value) { return value > 0 ? static_cast<uint32_t>(value) : 0u; }

// Ring kernels need coherent host memory at one address on both sides (every AMD GPU under
// ROCm maps pinned host memory into its unified address space), every block resident and
// system-scope atomics (gfx9 and later).
uint64_t device_caps(const gpu::Device& d) {
  uint64_t caps = RK_CAP_ASYNC_COPY;
  bool cooperative = device_attribute(d.handle, hipDeviceAttributeCooperativeLaunch) != 0;
  if (cooperative) caps |= RK_CAP_COOPERATIVE_LAUNCH;
  if (d.host_mapped && cooperative && !d.arch.empty())
    caps |= RK_CAP_PERSISTENT_KERNELS | RK_CAP_HOST_COHERENT | RK_CAP_K2K;
  return caps;
}

}  // namespace

void describe_device(gpu::Device& d, int index) {
  int handle = d.handle;
  rk_device_info& info = d.info;
  const gpu::DriverApi& api = gpu::api();
  info.struct_size = sizeof(rk_device_info);
  info.index = static_cast<uint32_t>(index);
  if (api.device_name(info.name, static_cast<int>(sizeof(info.name)), handle) != hipSuccess)
    std::snprintf(info.name, sizeof(info.name), "HIP device %d", index);
  std::snprintf(info.vendor, sizeof(info.vendor), "AMD");
  d.arch = device_arch(handle);
  int driver = 0;
  api.driver_version(&driver);  // HIP_VERSION: major * 10^7 + minor * 10^5 + patch
  std::snprintf(info.driver_version, sizeof(info.driver_version), "HIP %d.%d, %s", driver / 10000000,
                (driver / 100000) % 100, d.arch.empty() ? "unknown gfx target" : d.arch.c_str());
  size_t bytes = 0;
  if (api.device_total_memory(&bytes, handle) == hipSuccess) info.global_memory_bytes = bytes;
  info.compute_units = to_u32(device_attribute(handle, hipDeviceAttributeMultiprocessorCount));
  info.max_block_size = to_u32(device_attribute(handle, hipDeviceAttributeMaxThreadsPerBlock));
  info.max_shared_memory_bytes = to_u32(device_attribute(handle, hipDeviceAttributeMaxSharedMemoryPerBlock));
  d.host_mapped = device_attribute(handle, hipDeviceAttributeCanMapHostMemory) != 0;
  d.managed = device_attribute(handle, hipDeviceAttributeManagedMemory) != 0;
  info.caps = device_caps(d);
}

}  // namespace rk::hip
