// struct rk_registry_s: the result of one discovery pass. Loaded plugins stay loaded for
// the registry's life; runtimes keep their backend alive through a shared_ptr.
#pragma once

#include <mutex>
#include <string>
#include <vector>

#include "plugin/discovery.hpp"
#include "plugin/transports.hpp"

struct rk_registry_s {
  std::vector<std::string> search_dirs;
  std::string search_path;  // ':'-joined, for rk_registry_search_path
  std::vector<rk::core::PluginRecord> plugins;
  // librk_transport_*.so in the same folders, loaded only when first asked for: a program
  // that never looks at transports never loads a network library (UCX patches mmap when it
  // loads, which ThreadSanitizer does not survive).
  std::once_flag transports_scanned;
  std::vector<rk::core::TransportRecord> transports;
};

namespace rk::core {

// Scans the folders and loads every candidate, in order; later duplicates are rejected.
void scan_registry(rk_registry_s& registry, const char* search_path, uint32_t flags);

// The registry's transports, scanned in its folders on the first call (thread-safe).
const std::vector<TransportRecord>& registry_transports(rk_registry_s& registry);

// The backend `name` (else RINGKERNEL_BACKEND, else cpu_sim) or an error that says why it
// cannot be used. Never another backend.
rk_result select_backend(rk_registry_s& registry, const char* name, const PluginRecord** chosen);

const char* plugin_reason_words(rk_plugin_reason reason);

}  // namespace rk::core
