// What rk-info reports: gathered once through the public C API, printed as text or JSON.
#pragma once

#include <string>
#include <vector>

#include "ringkernel.h"

namespace rkinfo {

struct Plugin {
  std::string name, outcome, reason, path, detail, caps;
  uint32_t abi_major = 0, abi_minor = 0, devices = 0;
};

struct Device {
  std::string backend, name, vendor, caps;
  uint32_t index = 0;
  double memory_gib = 0;
  uint32_t compute_units = 0, max_block_size = 0;
};

struct Report {
  std::string version, search_path;
  uint32_t abi_major = 0, abi_minor = 0;
  std::vector<Plugin> plugins;
  std::vector<Device> devices;
  std::string requested;            // RINGKERNEL_BACKEND, or the default name
  bool selection_from_env = false;  // RINGKERNEL_BACKEND was set
  std::string selected;             // backend the request resolves to
  std::string selection_error;      // why it cannot be used, when it cannot
};

Report gather(rk_registry registry);
std::string caps_text(uint64_t caps);
void print_text(const Report& report);
void print_json(const Report& report);

}  // namespace rkinfo
