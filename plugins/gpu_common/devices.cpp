// Discovery: load the driver once, list its devices, let the backend describe each.
#include <cstring>
#include <deque>

#include "gpu_common/gpu.hpp"

namespace rk::gpu {
namespace {

std::once_flag g_probe_once;
const DriverApi* g_api = nullptr;
// deque: Device addresses stay put. Never destroyed: a runtime destroyed after main returned
// (a static one) still binds its device's context through it (a destroyed table there made
// bind() fail on an H100, and the error path then crashed).
std::deque<Device>& g_devices = *new std::deque<Device>();
std::string g_probe_reason;    // why there are no devices, if there are none

void probe_once() {
  g_api = kBackend.load(g_probe_reason);
  if (g_api == nullptr) return;
  int count = 0;
  Status status = g_api->device_count(&count);
  if (!succeeded(status)) {
    g_probe_reason = "counting devices failed: " + kBackend.error_name(status);
    return;
  }
  for (int i = 0; i < count; ++i) {
    Device d;
    if (!succeeded(g_api->device_get(&d.handle, i))) continue;
    kBackend.describe(d, static_cast<int>(g_devices.size()));
    g_devices.push_back(d);
  }
  if (g_devices.empty()) g_probe_reason = kBackend.no_device_reason;
}

}  // namespace

const DriverApi& api() { return *g_api; }

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
  if (d == nullptr) return fail(RK_ERROR_NO_DEVICE, prefixed("no device " + std::to_string(device)));
  uint32_t size = info->struct_size != 0 && info->struct_size < sizeof(rk_device_info) ? info->struct_size
                                                                                       : uint32_t(sizeof(rk_device_info));
  std::memcpy(info, &d->info, size);
  info->struct_size = size;
  return RK_SUCCESS;
}

}  // namespace rk::gpu
