// C entry points for discovery: registries, plugin status records, devices, selection.
#include <atomic>
#include <cstring>
#include <mutex>

#include "api/error.hpp"
#include "plugin/registry.hpp"

using namespace rk::core;

namespace {

// Set once, by rk_registry_default; read by rk_registry_destroy without creating it.
std::atomic<rk_registry_s*> default_registry{nullptr};

rk_result null_registry() { return fail(RK_ERROR_INVALID_ARGUMENT, "registry handle is NULL"); }

struct DeviceRef {
  const PluginRecord* plugin;
  uint32_t index;
};

std::vector<DeviceRef> devices_of(rk_registry registry) {
  std::vector<DeviceRef> out;
  for (const PluginRecord& p : registry->plugins)
    if (p.outcome == RK_PLUGIN_LOADED)
      for (uint32_t i = 0; i < p.devices.size(); ++i) out.push_back({&p, i});
  return out;
}

}  // namespace

extern "C" {

RK_API rk_result rk_registry_create(const rk_registry_options* options, rk_registry* registry) {
  clear_error();
  if (registry == nullptr) return fail(RK_ERROR_INVALID_ARGUMENT, "registry out-pointer is NULL");
  if (options && options->struct_size < sizeof(rk_registry_options))
    return fail(RK_ERROR_INVALID_ARGUMENT, "rk_registry_options.struct_size is too small");
  auto created = std::make_unique<rk_registry_s>();
  scan_registry(*created, options ? options->search_path : nullptr, options ? options->flags : 0u);
  *registry = created.release();
  return RK_SUCCESS;
}

RK_API rk_result rk_registry_destroy(rk_registry registry) {
  clear_error();
  if (registry != nullptr && registry == default_registry.load(std::memory_order_acquire))
    return fail(RK_ERROR_INVALID_ARGUMENT, "the default registry lives as long as the process");
  delete registry;  // runtimes keep their backend loaded through their own shared_ptr
  return RK_SUCCESS;
}

RK_API rk_result rk_registry_default(rk_registry* registry) {
  clear_error();
  if (registry == nullptr) return fail(RK_ERROR_INVALID_ARGUMENT, "registry out-pointer is NULL");
  static std::once_flag once;
  std::call_once(once, [] {
    auto instance = new rk_registry_s();  // never freed: runtimes may outlive static destruction order
    scan_registry(*instance, nullptr, 0u);
    default_registry.store(instance, std::memory_order_release);
  });
  *registry = default_registry.load(std::memory_order_acquire);
  return RK_SUCCESS;
}

RK_API uint32_t rk_registry_plugin_count(rk_registry registry) {
  return registry ? static_cast<uint32_t>(registry->plugins.size()) : 0u;
}

RK_API rk_result rk_registry_plugin_status(rk_registry registry, uint32_t index, rk_plugin_status* status) {
  clear_error();
  if (registry == nullptr) return null_registry();
  if (status == nullptr) return fail(RK_ERROR_INVALID_ARGUMENT, "status out-pointer is NULL");
  if (status->struct_size < sizeof(rk_plugin_status))  // the caller's struct may be older and shorter
    return fail(RK_ERROR_INVALID_ARGUMENT, "rk_plugin_status.struct_size must be set to sizeof(rk_plugin_status)");
  if (index >= registry->plugins.size())
    return fail(RK_ERROR_INVALID_ARGUMENT, "plugin index " + std::to_string(index) + " out of range (" +
                                               std::to_string(registry->plugins.size()) + " plugins)");
  const PluginRecord& p = registry->plugins[index];
  *status = rk_plugin_status{sizeof(rk_plugin_status), p.outcome,        p.reason,          p.abi_major,   p.abi_minor,
                             p.device_count,           p.caps,           p.path.c_str(),    p.name.c_str(), p.detail.c_str()};
  return RK_SUCCESS;
}

RK_API const char* rk_registry_search_path(rk_registry registry) { return registry ? registry->search_path.c_str() : ""; }

RK_API uint32_t rk_registry_device_count(rk_registry registry) {
  return registry ? static_cast<uint32_t>(devices_of(registry).size()) : 0u;
}

RK_API rk_result rk_registry_device(rk_registry registry, uint32_t index, rk_device_entry* entry) {
  clear_error();
  if (registry == nullptr) return null_registry();
  if (entry == nullptr) return fail(RK_ERROR_INVALID_ARGUMENT, "entry out-pointer is NULL");
  if (entry->struct_size < sizeof(rk_device_entry))
    return fail(RK_ERROR_INVALID_ARGUMENT, "rk_device_entry.struct_size must be set to sizeof(rk_device_entry)");
  std::vector<DeviceRef> devices = devices_of(registry);
  if (index >= devices.size())
    return fail(RK_ERROR_INVALID_ARGUMENT, "device index " + std::to_string(index) + " out of range (" +
                                               std::to_string(devices.size()) + " devices)");
  entry->struct_size = sizeof(*entry);
  entry->backend_device_index = devices[index].index;
  entry->backend = devices[index].plugin->name.c_str();
  entry->info = devices[index].plugin->devices[devices[index].index];
  return RK_SUCCESS;
}

RK_API rk_result rk_registry_select(rk_registry registry, const char* name, const char** chosen) {
  clear_error();
  if (registry == nullptr) return null_registry();
  const PluginRecord* record = nullptr;
  if (rk_result r = select_backend(*registry, name, &record); r != RK_SUCCESS) return r;
  if (chosen) *chosen = record->name.c_str();
  return RK_SUCCESS;
}

}  // extern "C"
