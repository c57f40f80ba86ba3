#include "report.hpp"

#include <cstdio>
#include <cstdlib>

namespace rkinfo {
namespace {

const char* outcome_text(rk_plugin_outcome o) { return o == RK_PLUGIN_LOADED ? "loaded" : "rejected"; }

const char* reason_text(rk_plugin_reason r) {
  switch (r) {
    case RK_PLUGIN_REASON_OK: return "ok";
    case RK_PLUGIN_REASON_NO_DEVICES: return "no_devices";
    case RK_PLUGIN_REASON_NOT_INSTALLED: return "not_installed";
    case RK_PLUGIN_REASON_MISSING_DEPENDENCY: return "missing_dependency";
    case RK_PLUGIN_REASON_MISSING_SYMBOL: return "missing_symbol";
    case RK_PLUGIN_REASON_ABI_MISMATCH: return "abi_mismatch";
    case RK_PLUGIN_REASON_INIT_FAILED: return "init_failed";
    case RK_PLUGIN_REASON_NOT_A_PLUGIN: return "not_a_plugin";
    case RK_PLUGIN_REASON_DUPLICATE: return "duplicate";
    default: return "unknown";
  }
}

// JSON string literal: quotes, backslashes and control characters escaped; other bytes
// (UTF-8 in device names) pass through.
std::string json_string(const std::string& s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      case '\r': out += "\\r"; break;
      default:
        if (c < 0x20) {
          char escaped[8];
          std::snprintf(escaped, sizeof(escaped), "\\u%04x", c);
          out += escaped;
        } else {
          out += char(c);
        }
    }
  }
  return out + "\"";
}

}  // namespace

std::string caps_text(uint64_t caps) {
  const std::pair<uint64_t, const char*> names[] = {
      {RK_CAP_PERSISTENT_KERNELS, "persistent"}, {RK_CAP_HOST_COHERENT, "host-coherent"},
      {RK_CAP_K2K, "k2k"},                      {RK_CAP_ASYNC_COPY, "async-copy"},
      {RK_CAP_COOPERATIVE_LAUNCH, "cooperative"}, {RK_CAP_DEVICE_MEMORY_MAP, "device-map"},
      {RK_CAP_HOST_WAKEUP, "host-wakeup"}};
  std::string out;
  for (auto [bit, name] : names)
    if (caps & bit) out += (out.empty() ? "" : ",") + std::string(name);
  return out.empty() ? "none" : out;
}

Report gather(rk_registry registry) {
  Report r;
  r.version = rk_version_string();
  r.abi_major = rk_abi_major();
  r.abi_minor = rk_abi_minor();
  r.search_path = rk_registry_search_path(registry);
  for (uint32_t i = 0; i < rk_registry_plugin_count(registry); ++i) {
    rk_plugin_status s{};
    s.struct_size = sizeof(s);
    if (rk_registry_plugin_status(registry, i, &s) != RK_SUCCESS) continue;
    r.plugins.push_back({s.name, outcome_text(s.outcome), reason_text(s.reason), s.path, s.detail, caps_text(s.caps),
                         s.abi_major, s.abi_minor, s.device_count});
  }
  for (uint32_t i = 0; i < rk_registry_device_count(registry); ++i) {
    rk_device_entry e{};
    e.struct_size = sizeof(e);
    if (rk_registry_device(registry, i, &e) != RK_SUCCESS) continue;
    r.devices.push_back({e.backend, e.info.name, e.info.vendor, caps_text(e.info.caps), e.backend_device_index,
                         double(e.info.global_memory_bytes) / double(1ull << 30), e.info.compute_units,
                         e.info.max_block_size});
  }
  const char* env = std::getenv("RINGKERNEL_BACKEND");
  r.selection_from_env = env != nullptr && *env != '\0';
  r.requested = r.selection_from_env ? env : "cpu_sim";  // the core's default, as rk_registry_select documents
  const char* chosen = nullptr;
  if (rk_registry_select(registry, nullptr, &chosen) == RK_SUCCESS) r.selected = chosen;
  else r.selection_error = rk_last_error();
  return r;
}

void print_text(const Report& r) {
  std::printf("ringkernel %s, plugin ABI %u.%u\n", r.version.c_str(), r.abi_major, r.abi_minor);
  std::printf("plugin search path: %s\n\nplugins:\n", r.search_path.empty() ? "(none)" : r.search_path.c_str());
  if (r.plugins.empty()) std::printf("  (no plugin files found)\n");
  for (const Plugin& p : r.plugins) {
    // ABI 0.0 means the plugin never said (it did not load far enough to return a table).
    std::string abi = p.abi_major ? std::to_string(p.abi_major) + "." + std::to_string(p.abi_minor) : "-";
    std::printf("  %-20s %-8s %-18s ABI %-4s %s\n", p.name.c_str(), p.outcome.c_str(), p.reason.c_str(), abi.c_str(),
                p.path.c_str());
    if (!p.detail.empty()) std::printf("  %-20s %s\n", "", p.detail.c_str());
  }
  std::printf("\ndevices:\n");
  if (r.devices.empty()) std::printf("  (none)\n");
  for (const Device& d : r.devices)
    std::printf("  [%s:%u] %s, %.2f GiB, caps: %s\n", d.backend.c_str(), d.index, d.name.c_str(), d.memory_gib,
                d.caps.c_str());
  const char* source = r.selection_from_env ? "RINGKERNEL_BACKEND" : "default";
  if (r.selection_error.empty()) std::printf("\nselected backend (%s): %s\n", source, r.selected.c_str());
  else std::printf("\nselected backend (%s): none: %s\n", source, r.selection_error.c_str());
}

void print_json(const Report& r) {
  std::printf("{\n  \"version\": %s,\n  \"abi\": {\"major\": %u, \"minor\": %u},\n  \"search_path\": %s,\n  \"plugins\": [",
              json_string(r.version).c_str(), r.abi_major, r.abi_minor, json_string(r.search_path).c_str());
  for (size_t i = 0; i < r.plugins.size(); ++i) {
    const Plugin& p = r.plugins[i];
    std::printf("%s\n    {\"name\": %s, \"outcome\": %s, \"reason\": %s, \"abi\": \"%u.%u\", \"devices\": %u, \"caps\": %s, "
                "\"path\": %s, \"detail\": %s}",
                i ? "," : "", json_string(p.name).c_str(), json_string(p.outcome).c_str(), json_string(p.reason).c_str(),
                p.abi_major, p.abi_minor, p.devices, json_string(p.caps).c_str(), json_string(p.path).c_str(),
                json_string(p.detail).c_str());
  }
  std::printf("\n  ],\n  \"devices\": [");
  for (size_t i = 0; i < r.devices.size(); ++i) {
    const Device& d = r.devices[i];
    std::printf("%s\n    {\"backend\": %s, \"index\": %u, \"name\": %s, \"vendor\": %s, \"memory_gib\": %.2f, "
                "\"compute_units\": %u, \"max_block_size\": %u, \"caps\": %s}",
                i ? "," : "", json_string(d.backend).c_str(), d.index, json_string(d.name).c_str(),
                json_string(d.vendor).c_str(), d.memory_gib, d.compute_units, d.max_block_size, json_string(d.caps).c_str());
  }
  std::printf("\n  ],\n  \"requested\": %s,\n  \"requested_from_env\": %s,\n  \"selected\": %s,\n"
              "  \"selection_error\": %s\n}\n",
              json_string(r.requested).c_str(), r.selection_from_env ? "true" : "false", json_string(r.selected).c_str(),
              json_string(r.selection_error).c_str());
}

}  // namespace rkinfo
