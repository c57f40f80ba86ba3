// Plugin discovery: which folders are searched, and what happened to each candidate file.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "plugin/backend.hpp"
#include "ringkernel.h"

namespace rk::core {

struct PluginRecord {
  rk_plugin_outcome outcome = RK_PLUGIN_REJECTED;
  rk_plugin_reason reason = RK_PLUGIN_REASON_UNDEFINED;
  uint32_t abi_major = 0;
  uint32_t abi_minor = 0;
  uint32_t device_count = 0;
  uint64_t caps = 0;
  std::string path;
  std::string name;    // backend name, or the file's stem until the plugin says
  std::string detail;  // the loader's or the plugin's words
  std::shared_ptr<Backend> backend;  // set when loaded
  std::vector<rk_device_info> devices;
};

// Folders in search order, each once: search_path, RINGKERNEL_PLUGIN_PATH, the plugins
// folder beside libringcore, the install folder (flags: RK_REGISTRY_*).
std::vector<std::string> plugin_search_dirs(const char* search_path, uint32_t flags);

// librk_backend_*.so files in a folder, sorted.
std::vector<std::string> plugin_candidates(const std::string& folder);
// <prefix>*.so files in a folder, sorted (transports: "librk_transport_").
std::vector<std::string> library_candidates(const std::string& folder, std::string_view prefix);

// Shared with transport discovery (transports.cpp):
// the host services a plugin named `label` gets (kept for the process's life);
const rk_host_services* host_services_for(const std::string& label);
// What rk_host_services.idle_assist runs: set by the forwarding code (bridge/remote_k2k.cpp)
// when forwarding first starts; until then idle_assist answers 0 at once.
void set_idle_assist(bool (*assist)());
// What rk_host_services.kernel_idle_assist runs: set by the bridge (bridge/kernel_assist.cpp)
// when a kernel first gets an async consumer; until then it answers 0 at once.
void set_kernel_idle_assist(bool (*assist)(const void* control_block));
// dlopen's words: a library the plugin needs is missing, or the file is no plugin;
rk_plugin_reason classify_load_error(const std::string& text, const std::string& path);
// the text of dlerror inside Boost.DLL's exception message;
std::string dlerror_part(const std::string& what);
// "RK_ERROR_X: the plugin's words".
std::string plugin_words(rk_result result, const std::string& text);

// Loads one candidate and classifies the outcome. Never throws; a failed load unloads.
PluginRecord load_plugin(const std::string& path);

// What load_plugin does once the library is open, for an entry already in memory (the fuzz
// harness's fake plugins): the entry, the table checks, probe and every device's info.
// `path` names a librk_backend_*.so candidate, as in load_plugin.
PluginRecord load_plugin_entry(const std::string& path, rk_plugin_entry_fn entry);

}  // namespace rk::core
