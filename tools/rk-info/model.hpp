// What rk-info reports, collected once through the public C API. The text and the JSON
// report are both printed from this, so they cannot disagree.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ringkernel.h"

namespace rkinfo {

struct Plugin {
  std::string name, outcome, reason;  // outcome and reason: rk_plugin_*_name
  std::string path, detail, caps;
  uint32_t abi_major = 0, abi_minor = 0;  // 0.0: the plugin never returned a table
  uint32_t devices = 0;
};

struct Device {
  std::string backend, name, vendor, caps;
  uint32_t index = 0;     // N in [backend:N]
  double memory_gib = 0;  // rounded to 2 decimals, as both reports show it
  uint32_t compute_units = 0, max_block_size = 0;
};

struct Model {
  std::string version, search_path;
  uint32_t abi_major = 0, abi_minor = 0;
  std::vector<Plugin> plugins;
  std::vector<Plugin> transports;  // librk_transport_*.so: "ok" can run here, else why not
  std::vector<Device> devices;
  std::string requested;            // RINGKERNEL_BACKEND, or the default name
  bool selection_from_env = false;  // RINGKERNEL_BACKEND was set
  std::string selected;             // backend the request resolves to
  std::string selection_error;      // why it cannot be used, when it cannot
};

Model collect_model(rk_registry registry);
std::string caps_text(uint64_t caps);  // "persistent,k2k" or "none"

}  // namespace rkinfo
