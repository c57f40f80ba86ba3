// Discovery: every CUDA device the driver lists, its limits and capabilities.
#include <cstdio>
#include <cstring>
#include <deque>

#include "cuda.hpp"

namespace rk::cuda {
namespace {

std::once_flag g_probe_once;
std::deque<Device> g_devices;  // deque: Device addresses stay put
std::string g_probe_reason;    // why there are no devices, if there are none

int attribute(CUdevice device, int which) {
  int value = 0;
  if (cu().cuDeviceGetAttribute(&value, which, device) != CUDA_SUCCESS) return 0;
  return value;
}

uint32_t to_u32(int value) { return value > 0 ? static_cast<uint32_t>(value) : 0u; }

// Ring kernels need host-shared memory both sides address alike (UVA + mapped host memory),
// every block resident (cooperative launch) and system-scope atomics (sm_70+).
uint64_t device_caps(const Device& d, CUdevice handle) {
  uint64_t caps = RK_CAP_ASYNC_COPY;
  bool cooperative = attribute(handle, CU_DEVICE_ATTRIBUTE_COOPERATIVE_LAUNCH) != 0;
  if (cooperative) caps |= RK_CAP_COOPERATIVE_LAUNCH;
  if (d.host_mapped && cooperative && d.major >= 7)
    caps |= RK_CAP_PERSISTENT_KERNELS | RK_CAP_HOST_COHERENT | RK_CAP_K2K;
  return caps;
}

void describe(Device& d, int index) {
  CUdevice handle = d.handle;
  rk_device_info& info = d.info;
  info.struct_size = sizeof(rk_device_info);
  info.index = static_cast<uint32_t>(index);
  if (cu().cuDeviceGetName(info.name, static_cast<int>(sizeof(info.name)), handle) != CUDA_SUCCESS)
    std::snprintf(info.name, sizeof(info.name), "CUDA device %d", index);
  std::snprintf(info.vendor, sizeof(info.vendor), "NVIDIA");
  int driver = 0;
  cu().cuDriverGetVersion(&driver);
  d.major = attribute(handle, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR);
  d.minor = attribute(handle, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR);
  std::snprintf(info.driver_version, sizeof(info.driver_version), "CUDA %d.%d, sm_%d%d", driver / 1000,
                (driver % 1000) / 10, d.major, d.minor);
  size_t bytes = 0;
  if (cu().cuDeviceTotalMem(&bytes, handle) == CUDA_SUCCESS) info.global_memory_bytes = bytes;
  info.compute_units = to_u32(attribute(handle, CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT));
  info.max_block_size = to_u32(attribute(handle, CU_DEVICE_ATTRIBUTE_MAX_THREADS_PER_BLOCK));
  d.shared_optin = attribute(handle, CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN);
  int shared = attribute(handle, CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK);
  info.max_shared_memory_bytes = to_u32(d.shared_optin > shared ? d.shared_optin : shared);
  d.host_mapped = attribute(handle, CU_DEVICE_ATTRIBUTE_CAN_MAP_HOST_MEMORY) != 0 &&
                  attribute(handle, CU_DEVICE_ATTRIBUTE_UNIFIED_ADDRESSING) != 0;
  d.managed = attribute(handle, CU_DEVICE_ATTRIBUTE_MANAGED_MEMORY) != 0;
  info.caps = device_caps(d, handle);
}

void probe_once() {
  if (load_cu_api(g_probe_reason) == nullptr) return;
  int count = 0;
  CUresult status = cu().cuDeviceGetCount(&count);
  if (status != CUDA_SUCCESS) {
    g_probe_reason = "cuDeviceGetCount failed: " + cu_error_name(status);
    return;
  }
  for (int i = 0; i < count; ++i) {
    Device d;
    if (cu().cuDeviceGet(&d.handle, i) != CUDA_SUCCESS) continue;
    describe(d, static_cast<int>(g_devices.size()));
    g_devices.push_back(d);
  }
  if (g_devices.empty()) g_probe_reason = "the NVIDIA driver reports no CUDA device";
}

}  // namespace

rk_result probe(uint32_t* device_count) {
  if (device_count == nullptr) return fail(RK_ERROR_INVALID_ARGUMENT, "device_count must not be NULL");
  std::call_once(g_probe_once, probe_once);
  *device_count = static_cast<uint32_t>(g_devices.size());
  if (g_devices.empty()) fail(RK_SUCCESS, g_probe_reason);  // 0 devices: the reason, no error
  return RK_SUCCESS;
}

Device* device_at(uint32_t index) {
  uint32_t count = 0;
  probe(&count);
  return index < count ? &g_devices[index] : nullptr;
}

rk_result get_device_info(uint32_t device, rk_device_info* info) {
  if (info == nullptr) return fail(RK_ERROR_INVALID_ARGUMENT, "info must not be NULL");
  Device* d = device_at(device);
  if (d == nullptr) return fail(RK_ERROR_NO_DEVICE, "cuda: no device " + std::to_string(device));
  uint32_t size = info->struct_size != 0 && info->struct_size < sizeof(rk_device_info) ? info->struct_size
                                                                                       : uint32_t(sizeof(rk_device_info));
  std::memcpy(info, &d->info, size);
  info->struct_size = size;
  return RK_SUCCESS;
}

}  // namespace rk::cuda
