// Discovery: every device of every Level Zero driver, its limits and capabilities.
#include <cstdio>
#include <cstring>
#include <deque>

#include "level_zero.hpp"

namespace rk::level_zero {
namespace {

std::once_flag g_probe_once;
std::deque<Device> g_devices;  // deque: Device addresses stay put
std::string g_probe_reason;    // why there are no devices, if there are none

constexpr uint32_t kHostSharedCaps = ZE_MEMORY_ACCESS_CAP_FLAG_RW | ZE_MEMORY_ACCESS_CAP_FLAG_ATOMIC |
                                     ZE_MEMORY_ACCESS_CAP_FLAG_CONCURRENT |
                                     ZE_MEMORY_ACCESS_CAP_FLAG_CONCURRENT_ATOMIC;

// The first compute group, preferring one that also runs cooperative kernels: every stream
// uses it, so a ring kernel's cooperative launch can go on any stream.
void pick_compute_group(Device& d) {
  uint32_t count = 0;
  if (ze().zeDeviceGetCommandQueueGroupProperties(d.handle, &count, nullptr) != ZE_RESULT_SUCCESS) return;
  std::vector<ze_command_queue_group_properties_t> groups(count);
  if (ze().zeDeviceGetCommandQueueGroupProperties(d.handle, &count, groups.data()) != ZE_RESULT_SUCCESS) return;
  bool found = false;
  for (uint32_t i = 0; i < count; ++i) {
    if (!(groups[i].flags & ZE_COMMAND_QUEUE_GROUP_PROPERTY_FLAG_COMPUTE)) continue;
    bool cooperative = (groups[i].flags & ZE_COMMAND_QUEUE_GROUP_PROPERTY_FLAG_COOPERATIVE_KERNELS) != 0;
    if (found && (d.cooperative || !cooperative)) continue;
    d.compute_ordinal = i;
    d.cooperative = cooperative;
    found = true;
  }
}

uint64_t total_memory(ze_device_handle_t handle) {
  uint32_t count = 0;
  if (ze().zeDeviceGetMemoryProperties(handle, &count, nullptr) != ZE_RESULT_SUCCESS) return 0;
  std::vector<ze_device_memory_properties_t> memories(count);
  if (ze().zeDeviceGetMemoryProperties(handle, &count, memories.data()) != ZE_RESULT_SUCCESS) return 0;
  uint64_t total = 0;
  for (const auto& memory : memories) total += memory.totalSize;
  return total;
}

// Ring kernels need host USM the device reads and writes atomically while the host does
// (concurrent atomic access), 64-bit atomics and co-resident work-groups.
void add_capabilities(Device& d) {
  ze_device_memory_access_properties_t access;
  ze_device_module_properties_t module;
  ze().zeDeviceGetMemoryAccessProperties(d.handle, &access);
  ze().zeDeviceGetModuleProperties(d.handle, &module);
  d.host_usm = (access.hostAllocCapabilities & ZE_MEMORY_ACCESS_CAP_FLAG_RW) != 0;
  d.shared_usm = (access.sharedSingleDeviceAllocCapabilities & ZE_MEMORY_ACCESS_CAP_FLAG_RW) != 0;
  bool int64_atomics = (module.flags & ZE_DEVICE_MODULE_FLAG_INT64_ATOMICS) != 0;
  d.ring_kernels = d.cooperative && int64_atomics && (access.hostAllocCapabilities & kHostSharedCaps) == kHostSharedCaps;
  d.info.caps = RK_CAP_ASYNC_COPY;
  if (d.cooperative) d.info.caps |= RK_CAP_COOPERATIVE_LAUNCH;
  if (d.ring_kernels) d.info.caps |= RK_CAP_PERSISTENT_KERNELS | RK_CAP_HOST_COHERENT | RK_CAP_K2K;
}

void describe(Device& d, uint32_t index) {
  rk_device_info& info = d.info;
  info.struct_size = sizeof(rk_device_info);
  info.index = index;
  ze_device_properties_t properties;
  ze().zeDeviceGetProperties(d.handle, &properties);
  std::snprintf(info.name, sizeof(info.name), "%s", properties.name[0] ? properties.name : "Level Zero device");
  if (properties.vendorId == 0x8086)
    std::snprintf(info.vendor, sizeof(info.vendor), "Intel");
  else
    std::snprintf(info.vendor, sizeof(info.vendor), "vendor 0x%04x", properties.vendorId);
  ze_driver_properties_t driver;
  uint32_t api = 0;
  ze().zeDriverGetProperties(d.driver, &driver);
  ze().zeDriverGetApiVersion(d.driver, &api);
  std::snprintf(info.driver_version, sizeof(info.driver_version), "Level Zero %u.%u, driver %u", api >> 16,
                api & 0xffffu, driver.driverVersion);
  info.global_memory_bytes = total_memory(d.handle);
  // EUs, as Intel's OpenCL driver counts compute units.
  info.compute_units = properties.numSlices * properties.numSubslicesPerSlice * properties.numEUsPerSubslice;
  ze_device_compute_properties_t compute;
  ze().zeDeviceGetComputeProperties(d.handle, &compute);
  info.max_block_size = compute.maxTotalGroupSize;
  info.max_shared_memory_bytes = 0;  // OpenCL C has no dynamic shared memory (see launch.cpp)
  pick_compute_group(d);
  add_capabilities(d);
}

void add_driver_devices(ze_driver_handle_t driver) {
  uint32_t count = 0;
  if (ze().zeDeviceGet(driver, &count, nullptr) != ZE_RESULT_SUCCESS || count == 0) return;
  std::vector<ze_device_handle_t> handles(count);
  if (ze().zeDeviceGet(driver, &count, handles.data()) != ZE_RESULT_SUCCESS) return;
  for (uint32_t i = 0; i < count; ++i) {
    Device& d = g_devices.emplace_back();
    d.driver = driver;
    d.handle = handles[i];
    describe(d, static_cast<uint32_t>(g_devices.size() - 1));
  }
}

void probe_once() {
  if (load_ze_api(g_probe_reason) == nullptr) return;
  uint32_t count = 0;
  ze().zeDriverGet(&count, nullptr);
  std::vector<ze_driver_handle_t> drivers(count);
  if (ze_result_t status = ze().zeDriverGet(&count, drivers.data()); status != ZE_RESULT_SUCCESS) {
    g_probe_reason = "zeDriverGet: " + ze_error_name(status);
    return;
  }
  for (ze_driver_handle_t driver : drivers) add_driver_devices(driver);
  if (g_devices.empty()) g_probe_reason = std::to_string(count) + " Level Zero driver(s) report no devices";
}

}  // namespace

rk_result fail_ze(rk_result code, const std::string& what, ze_result_t status) {
  return fail(code, "level_zero: " + what + ": " + ze_error_name(status));
}

rk_result probe(uint32_t* device_count) {
  if (device_count == nullptr) return fail(RK_ERROR_INVALID_ARGUMENT, "device_count is NULL");
  std::call_once(g_probe_once, probe_once);
  *device_count = static_cast<uint32_t>(g_devices.size());
  if (g_devices.empty()) fail(RK_SUCCESS, g_probe_reason);  // "0 devices" plus the reason
  return RK_SUCCESS;
}

Device* device_at(uint32_t index) { return index < g_devices.size() ? &g_devices[index] : nullptr; }

rk_result get_device_info(uint32_t device, rk_device_info* info) {
  Device* d = device_at(device);
  if (d == nullptr || info == nullptr)
    return fail(RK_ERROR_INVALID_ARGUMENT, "no Level Zero device " + std::to_string(device) + " (probe first)");
  size_t size = info->struct_size ? std::min<size_t>(info->struct_size, sizeof(rk_device_info)) : sizeof(rk_device_info);
  std::memcpy(info, &d->info, size);
  info->struct_size = static_cast<uint32_t>(size);
  return RK_SUCCESS;
}

}  // namespace rk::level_zero
