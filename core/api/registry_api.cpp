// C entry points for discovery: registries, plugin status records and their names,
// devices, selection.
#include <atomic>
#include <cstddef>
#include <cstring>
#include <mutex>
#include <utility>

#include "api/error.hpp"
#include "api/struct_growth.hpp"
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

// The names behind rk_plugin_*_name. Scripts match on them (rk-info prints them), so a
// released name never changes; a new enum value is one new line here.
constexpr std::pair<rk_plugin_reason, const char*> kReasonNames[] = {
    {RK_PLUGIN_REASON_UNDEFINED, "undefined"},
    {RK_PLUGIN_REASON_OK, "ok"},
    {RK_PLUGIN_REASON_NO_DEVICES, "no_devices"},
    {RK_PLUGIN_REASON_NOT_INSTALLED, "not_installed"},
    {RK_PLUGIN_REASON_MISSING_DEPENDENCY, "missing_dependency"},
    {RK_PLUGIN_REASON_MISSING_SYMBOL, "missing_symbol"},
    {RK_PLUGIN_REASON_ABI_MISMATCH, "abi_mismatch"},
    {RK_PLUGIN_REASON_INIT_FAILED, "init_failed"},
    {RK_PLUGIN_REASON_NOT_A_PLUGIN, "not_a_plugin"},
    {RK_PLUGIN_REASON_DUPLICATE, "duplicate"},
};

constexpr std::pair<rk_plugin_outcome, const char*> kOutcomeNames[] = {
    {RK_PLUGIN_OUTCOME_UNDEFINED, "undefined"},
    {RK_PLUGIN_LOADED, "loaded"},
    {RK_PLUGIN_REJECTED, "rejected"},
};

// A caller may pass any integer (a newer header, a cast): those get "unknown", never NULL.
template <typename Enum, size_t N>
const char* name_in(const std::pair<Enum, const char*> (&names)[N], Enum value) {
  for (const auto& [candidate, name] : names)
    if (candidate == value) return name;
  return "unknown";
}

}  // namespace

extern "C" {

RK_API rk_result rk_registry_create(const rk_registry_options* options, rk_registry* registry) {
  clear_error();
  if (registry == nullptr) return fail(RK_ERROR_INVALID_ARGUMENT, "registry out-pointer is NULL");
  rk_registry_options given{};
  if (options)
    if (rk_result r = read_struct(*options, given); r != RK_SUCCESS) return r;
  auto created = std::make_unique<rk_registry_s>();
  scan_registry(*created, given.search_path, given.flags);
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
  if (index >= registry->plugins.size())
    return fail(RK_ERROR_INVALID_ARGUMENT, "plugin index " + std::to_string(index) + " out of range (" +
                                               std::to_string(registry->plugins.size()) + " plugins)");
  const PluginRecord& p = registry->plugins[index];
  return write_struct(rk_plugin_status{sizeof(rk_plugin_status), p.outcome, p.reason, p.abi_major, p.abi_minor,
                                       p.device_count, p.caps, p.path.c_str(), p.name.c_str(), p.detail.c_str()},
                      status);
}

RK_API uint32_t rk_registry_transport_count(rk_registry registry) {
  return registry ? static_cast<uint32_t>(registry_transports(*registry).size()) : 0u;
}

RK_API rk_result rk_registry_transport_status(rk_registry registry, uint32_t index, rk_plugin_status* status) {
  clear_error();
  if (registry == nullptr) return null_registry();
  if (status == nullptr) return fail(RK_ERROR_INVALID_ARGUMENT, "status out-pointer is NULL");
  const std::vector<TransportRecord>& transports = registry_transports(*registry);
  if (index >= transports.size())
    return fail(RK_ERROR_INVALID_ARGUMENT, "transport index " + std::to_string(index) + " out of range (" +
                                               std::to_string(transports.size()) + " transports)");
  const TransportRecord& t = transports[index];
  return write_struct(rk_plugin_status{sizeof(rk_plugin_status), t.outcome, t.reason, t.abi_major, t.abi_minor, 0, 0,
                                       t.path.c_str(), t.name.c_str(), t.detail.c_str()},
                      status);
}

RK_API const char* rk_plugin_reason_name(rk_plugin_reason reason) { return name_in(kReasonNames, reason); }
RK_API const char* rk_plugin_outcome_name(rk_plugin_outcome outcome) { return name_in(kOutcomeNames, outcome); }

RK_API const char* rk_registry_search_path(rk_registry registry) { return registry ? registry->search_path.c_str() : ""; }

RK_API uint32_t rk_registry_device_count(rk_registry registry) {
  return registry ? static_cast<uint32_t>(devices_of(registry).size()) : 0u;
}

RK_API rk_result rk_registry_device(rk_registry registry, uint32_t index, rk_device_entry* entry) {
  clear_error();
  if (registry == nullptr) return null_registry();
  if (entry == nullptr) return fail(RK_ERROR_INVALID_ARGUMENT, "entry out-pointer is NULL");
  std::vector<DeviceRef> devices = devices_of(registry);
  if (index >= devices.size())
    return fail(RK_ERROR_INVALID_ARGUMENT, "device index " + std::to_string(index) + " out of range (" +
                                               std::to_string(devices.size()) + " devices)");
  rk_device_entry found{};
  found.struct_size = sizeof(found);
  found.backend_device_index = devices[index].index;
  found.backend = devices[index].plugin->name.c_str();
  found.info = devices[index].plugin->devices[devices[index].index];
  // The nested info says how much of it fits in the caller's (maybe older) entry.
  size_t entry_bytes = 0;
  if (rk_result r = usable_bytes<rk_device_entry>(entry->struct_size, entry_bytes); r != RK_SUCCESS) return r;
  found.info.struct_size = static_cast<uint32_t>(entry_bytes - offsetof(rk_device_entry, info));
  return write_struct(found, entry);
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
