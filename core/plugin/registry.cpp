#include "plugin/registry.hpp"

#include <cstdlib>

#include "api/error.hpp"

namespace rk::core {
namespace {

const char* reason_words(rk_plugin_reason reason) {
  switch (reason) {
    case RK_PLUGIN_REASON_OK: return "ok";
    case RK_PLUGIN_REASON_NO_DEVICES: return "no devices";
    case RK_PLUGIN_REASON_NOT_INSTALLED: return "not installed";
    case RK_PLUGIN_REASON_MISSING_DEPENDENCY: return "missing dependency";
    case RK_PLUGIN_REASON_MISSING_SYMBOL: return "missing entry symbol";
    case RK_PLUGIN_REASON_ABI_MISMATCH: return "ABI mismatch";
    case RK_PLUGIN_REASON_INIT_FAILED: return "init failed";
    case RK_PLUGIN_REASON_NOT_A_PLUGIN: return "not a shared object";
    case RK_PLUGIN_REASON_DUPLICATE: return "duplicate";
    default: return "unknown";
  }
}

std::string loaded_names(const rk_registry_s& registry) {
  std::string names;
  for (const PluginRecord& p : registry.plugins) {
    if (p.outcome != RK_PLUGIN_LOADED) continue;
    names += names.empty() ? "" : ", ";
    names += p.name;
  }
  return names.empty() ? "none" : names;
}

// First found wins, so a plugin early in the search path takes over a backend's name:
// say so loudly, since the one that lost may be the built-in a user expects.
void reject_duplicate(PluginRecord& record, const PluginRecord& earlier) {
  record.outcome = RK_PLUGIN_REJECTED;
  record.reason = RK_PLUGIN_REASON_DUPLICATE;
  record.detail = "backend '" + record.name + "' already loaded from " + earlier.path + " (first found wins)";
  record.device_count = 0;  // none of its devices can be used
  record.devices.clear();
  record.backend.reset();
  log_warn("backend '" + record.name + "' from " + record.path + " is ignored: " + earlier.path +
           ", earlier in the plugin search path, has that name");
}

}  // namespace

const char* plugin_reason_words(rk_plugin_reason reason) { return reason_words(reason); }

void scan_registry(rk_registry_s& registry, const char* search_path, uint32_t flags) {
  registry.search_dirs = plugin_search_dirs(search_path, flags);
  for (const std::string& dir : registry.search_dirs) {
    registry.search_path += registry.search_path.empty() ? "" : ":";
    registry.search_path += dir;
    for (const std::string& file : plugin_candidates(dir)) {
      PluginRecord record = load_plugin(file);
      for (const PluginRecord& earlier : registry.plugins) {
        if (record.outcome == RK_PLUGIN_LOADED && earlier.outcome == RK_PLUGIN_LOADED && earlier.name == record.name) {
          reject_duplicate(record, earlier);
          break;
        }
      }
      if (record.outcome == RK_PLUGIN_LOADED) log_info("backend '" + record.name + "' loaded from " + record.path);
      else log_debug("plugin " + file + ": " + reason_words(record.reason) + (record.detail.empty() ? "" : " (" + record.detail + ")"));
      registry.plugins.push_back(std::move(record));
    }
  }
}

const std::vector<TransportRecord>& registry_transports(rk_registry_s& registry) {
  std::call_once(registry.transports_scanned, [&registry] {
    for (const std::string& dir : registry.search_dirs) {
      for (const std::string& file : transport_candidates(dir)) {
        TransportRecord record = load_transport(file);
        for (const TransportRecord& earlier : registry.transports) {
          if (record.outcome == RK_PLUGIN_LOADED && earlier.outcome == RK_PLUGIN_LOADED && earlier.name == record.name) {
            record.outcome = RK_PLUGIN_REJECTED;
            record.reason = RK_PLUGIN_REASON_DUPLICATE;
            record.detail = "transport '" + record.name + "' already loaded from " + earlier.path + " (first found wins)";
            record.table = nullptr;
            record.library.unload();
            log_warn("transport '" + record.name + "' from " + record.path + " is ignored: " + earlier.path +
                     ", earlier in the plugin search path, has that name");
            break;
          }
        }
        if (record.outcome == RK_PLUGIN_LOADED) log_info("transport '" + record.name + "' loaded from " + record.path);
        else log_debug("transport " + file + ": " + reason_words(record.reason) + " (" + record.detail + ")");
        registry.transports.push_back(std::move(record));
      }
    }
  });
  return registry.transports;
}

rk_result select_backend(rk_registry_s& registry, const char* name, const PluginRecord** chosen) {
  std::string wanted = name && *name ? name : "";
  if (wanted.empty()) {
    const char* env = std::getenv("RINGKERNEL_BACKEND");
    wanted = env && *env ? env : "cpu_sim";
  }
  const PluginRecord* rejected = nullptr;
  for (const PluginRecord& p : registry.plugins) {
    if (p.name != wanted) continue;
    if (p.outcome == RK_PLUGIN_LOADED) {
      if (p.device_count == 0)
        return fail(RK_ERROR_NO_DEVICE, "backend '" + wanted + "' is loaded but has no device: " + p.detail);
      *chosen = &p;
      return RK_SUCCESS;
    }
    if (rejected == nullptr) rejected = &p;
  }
  if (rejected)
    return fail(RK_ERROR_BACKEND_UNAVAILABLE, "backend '" + wanted + "' cannot be used: " + reason_words(rejected->reason) +
                                                  " (" + rejected->path + ": " + rejected->detail + ")");
  return fail(RK_ERROR_NOT_FOUND, "backend '" + wanted + "' is not installed (loaded backends: " + loaded_names(registry) +
                                      "; searched: " + (registry.search_path.empty() ? "nothing" : registry.search_path) + ")");
}

}  // namespace rk::core
