#include "report.hpp"

#include <cstdio>
#include <string>
#include <vector>

namespace rkinfo {
namespace {

std::string abi_text(uint32_t major, uint32_t minor) { return std::to_string(major) + "." + std::to_string(minor); }

void print_plugin_line(const Plugin& p) {
  // ABI 0.0 means the plugin never said (it did not load far enough to return a table).
  std::string abi = p.abi_major ? abi_text(p.abi_major, p.abi_minor) : "-";
  std::printf("  %-20s %-8s %-18s ABI %-4s %s\n", p.name.c_str(), p.outcome.c_str(), p.reason.c_str(), abi.c_str(),
              p.path.c_str());
  if (!p.detail.empty()) std::printf("  %-20s %s\n", "", p.detail.c_str());
}

nlohmann::ordered_json plugin_json(const Plugin& p) {
  return {{"name", p.name}, {"outcome", p.outcome}, {"reason", p.reason}, {"abi", abi_text(p.abi_major, p.abi_minor)},
          {"devices", p.devices}, {"caps", p.caps}, {"path", p.path}, {"detail", p.detail}};
}

nlohmann::ordered_json device_json(const Device& d) {
  return {{"backend", d.backend}, {"index", d.index}, {"name", d.name}, {"vendor", d.vendor},
          {"memory_gib", d.memory_gib}, {"compute_units", d.compute_units}, {"max_block_size", d.max_block_size},
          {"caps", d.caps}};
}

// Plugins that lost their backend name to one found earlier: easy to miss in the list, and
// the loser may be the built-in backend a user expects.
std::vector<const Plugin*> shadowed(const Model& m) {
  std::vector<const Plugin*> out;
  for (const Plugin& p : m.plugins)
    if (p.reason == "duplicate") out.push_back(&p);
  return out;
}

}  // namespace

void print_text(const Model& m) {
  std::printf("ringkernel %s, plugin ABI %u.%u\n", m.version.c_str(), m.abi_major, m.abi_minor);
  std::printf("plugin search path: %s\n\nplugins:\n", m.search_path.empty() ? "(none)" : m.search_path.c_str());
  if (m.plugins.empty()) std::printf("  (no plugin files found)\n");
  for (const Plugin& p : m.plugins) print_plugin_line(p);
  for (const Plugin* p : shadowed(m))
    std::printf("\nwarning: %s is ignored: %s\n", p->path.c_str(), p->detail.c_str());
  std::printf("\ntransports (between processes, docs/transports.md):\n");
  if (m.transports.empty()) std::printf("  (none found: multi-process runs are not available)\n");
  for (const Plugin& t : m.transports) print_plugin_line(t);
  std::printf("\ndevices:\n");
  if (m.devices.empty()) std::printf("  (none)\n");
  for (const Device& d : m.devices)
    std::printf("  [%s:%u] %s, %.2f GiB, caps: %s\n", d.backend.c_str(), d.index, d.name.c_str(), d.memory_gib,
                d.caps.c_str());
  const char* source = m.selection_from_env ? "RINGKERNEL_BACKEND" : "default";
  if (m.selection_error.empty()) std::printf("\nselected backend (%s): %s\n", source, m.selected.c_str());
  else std::printf("\nselected backend (%s): none: %s\n", source, m.selection_error.c_str());
}

nlohmann::ordered_json to_json(const Model& m) {
  nlohmann::ordered_json plugins = nlohmann::ordered_json::array(), devices = nlohmann::ordered_json::array();
  for (const Plugin& p : m.plugins) plugins.push_back(plugin_json(p));
  nlohmann::ordered_json transports = nlohmann::ordered_json::array();
  for (const Plugin& t : m.transports) transports.push_back(plugin_json(t));
  for (const Device& d : m.devices) devices.push_back(device_json(d));
  nlohmann::ordered_json ignored = nlohmann::ordered_json::array();
  for (const Plugin* p : shadowed(m)) ignored.push_back(p->path);
  return {{"version", m.version},
          {"abi", {{"major", m.abi_major}, {"minor", m.abi_minor}}},
          {"search_path", m.search_path},
          {"plugins", std::move(plugins)},
          {"transports", std::move(transports)},
          {"devices", std::move(devices)},
          {"shadowed_plugins", std::move(ignored)},
          {"requested", m.requested},
          {"requested_from_env", m.selection_from_env},
          {"selected", m.selected},
          {"selection_error", m.selection_error}};
}

void print_json(const Model& m) {
  // Device and plugin names are passed through as the library gave them; replace, not
  // throw, on bytes that are not UTF-8, so one odd name never loses the whole report.
  std::puts(to_json(m).dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace).c_str());
}

}  // namespace rkinfo
