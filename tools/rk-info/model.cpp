#include "model.hpp"

#include <cmath>
#include <cstdlib>
#include <utility>

namespace rkinfo {
namespace {

Plugin plugin_from(const rk_plugin_status& s) {
  return {s.name, rk_plugin_outcome_name(s.outcome), rk_plugin_reason_name(s.reason), s.path, s.detail,
          caps_text(s.caps), s.abi_major, s.abi_minor, s.device_count};
}

Device device_from(const rk_device_entry& e) {
  // Rounded here, not when printed, so the text and the JSON show the same number.
  double gib = std::round(double(e.info.global_memory_bytes) / double(1ull << 30) * 100.0) / 100.0;
  return {e.backend, e.info.name, e.info.vendor, caps_text(e.info.caps), e.backend_device_index, gib,
          e.info.compute_units, e.info.max_block_size};
}

void collect_selection(rk_registry registry, Model& m) {
  const char* env = std::getenv("RINGKERNEL_BACKEND");
  m.selection_from_env = env != nullptr && *env != '\0';
  m.requested = m.selection_from_env ? env : "cpu_sim";  // the core's default, as rk_registry_select documents
  const char* chosen = nullptr;
  if (rk_registry_select(registry, nullptr, &chosen) == RK_SUCCESS) m.selected = chosen;
  else m.selection_error = rk_last_error();
}

}  // namespace

std::string caps_text(uint64_t caps) {
  const std::pair<uint64_t, const char*> names[] = {
      {RK_CAP_PERSISTENT_KERNELS, "persistent"}, {RK_CAP_HOST_COHERENT, "host-coherent"},
      {RK_CAP_K2K, "k2k"},                      {RK_CAP_ASYNC_COPY, "async-copy"},
      {RK_CAP_COOPERATIVE_LAUNCH, "cooperative"}, {RK_CAP_DEVICE_MEMORY_MAP, "device-map"},
      {RK_CAP_HOST_WAKEUP, "host-wakeup"},      {RK_CAP_LOAD_WAITS_FOR_KERNELS, "load-waits-for-kernels"}};
  std::string out;
  for (auto [bit, name] : names)
    if (caps & bit) out += (out.empty() ? "" : ",") + std::string(name);
  return out.empty() ? "none" : out;
}

Model collect_model(rk_registry registry) {
  Model m;
  m.version = rk_version_string();
  m.abi_major = rk_abi_major();
  m.abi_minor = rk_abi_minor();
  m.search_path = rk_registry_search_path(registry);
  for (uint32_t i = 0; i < rk_registry_plugin_count(registry); ++i) {
    rk_plugin_status s = RK_PLUGIN_STATUS_INIT;
    if (rk_registry_plugin_status(registry, i, &s) == RK_SUCCESS) m.plugins.push_back(plugin_from(s));
  }
  for (uint32_t i = 0; i < rk_registry_transport_count(registry); ++i) {
    rk_plugin_status s = RK_PLUGIN_STATUS_INIT;
    if (rk_registry_transport_status(registry, i, &s) == RK_SUCCESS) m.transports.push_back(plugin_from(s));
  }
  for (uint32_t i = 0; i < rk_registry_device_count(registry); ++i) {
    rk_device_entry e = RK_DEVICE_ENTRY_INIT;
    if (rk_registry_device(registry, i, &e) == RK_SUCCESS) m.devices.push_back(device_from(e));
  }
  collect_selection(registry, m);
  return m;
}

}  // namespace rkinfo
