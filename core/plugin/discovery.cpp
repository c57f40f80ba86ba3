#include "plugin/discovery.hpp"

#include <dlfcn.h>

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <filesystem>
#include <mutex>

#include "api/error.hpp"

namespace fs = std::filesystem;

namespace rk::core {
namespace {

constexpr std::string_view kPrefix = "librk_backend_";
constexpr std::string_view kSuffix = ".so";

void split_into(const char* list, std::vector<std::string>& out) {
  if (list == nullptr) return;
  std::string_view rest(list);
  while (!rest.empty()) {
    size_t colon = rest.find(':');
    std::string_view part = rest.substr(0, colon);
    if (!part.empty()) out.emplace_back(part);
    if (colon == std::string_view::npos) break;
    rest.remove_prefix(colon + 1);
  }
}

std::string core_library_folder() {
  Dl_info info{};
  if (dladdr(reinterpret_cast<void*>(&core_library_folder), &info) == 0 || info.dli_fname == nullptr) return {};
  std::error_code ec;
  fs::path self = fs::canonical(info.dli_fname, ec);
  return ec ? std::string() : self.parent_path().string();
}

constexpr uint32_t kMaxDevices = 4096;
constexpr size_t kVersionEnd = offsetof(rk_backend_table, abi_minor) + sizeof(uint32_t);
constexpr size_t kHeadEnd = offsetof(rk_backend_table, last_error) + sizeof(rk_backend_table::last_error);

std::string version_words(const rk_backend_table* t) {
  return "plugin ABI " + std::to_string(t->abi_major) + "." + std::to_string(t->abi_minor) + ", core ABI " +
         std::to_string(RK_PLUGIN_ABI_MAJOR) + "." + std::to_string(RK_PLUGIN_ABI_MINOR);
}

// The entries every 1.0 table must fill; the rest may be absent (they answer UNSUPPORTED).
const char* missing_head_entry(const rk_backend_table* t) {
  if (t->name == nullptr || t->name[0] == '\0') return "name";
  if (t->probe == nullptr) return "probe";
  if (t->get_device_info == nullptr) return "get_device_info";
  if (t->last_error == nullptr) return "last_error";
  return nullptr;
}

// struct_size is read before anything else: it is the one field every ABI keeps at offset 0,
// and it says how much of the rest may be read at all.
bool table_header_valid(const rk_backend_table* t, std::string& why) {
  if (t == nullptr) {
    why = "the entry returned RK_SUCCESS but no backend table";
    return false;
  }
  if (t->struct_size < kVersionEnd) {
    why = "backend table of " + std::to_string(t->struct_size) + " bytes is too short to hold its version";
    return false;
  }
  if (t->abi_major != RK_PLUGIN_ABI_MAJOR) {
    why = version_words(t) + ": major versions differ";
    return false;
  }
  if (t->struct_size < kHeadEnd) {
    why = version_words(t) + ": backend table is " + std::to_string(t->struct_size) + " bytes, the 1.0 head needs " +
          std::to_string(kHeadEnd);
    return false;
  }
  if (const char* missing = missing_head_entry(t)) {
    why = version_words(t) + ": mandatory table entry '" + missing + "' is NULL";
    return false;
  }
  return true;
}

void reject(PluginRecord& record, rk_plugin_reason reason, std::string detail) {
  record.outcome = RK_PLUGIN_REJECTED;
  record.reason = reason;
  record.detail = std::move(detail);
  record.backend.reset();
}


// Calls rk_plugin_entry. A refusal is "init failed" (or "ABI mismatch" when the plugin
// itself says so) in the plugin's own words.
bool call_entry(PluginRecord& record, rk_plugin_entry_fn entry, const rk_backend_table*& table) {
  std::string error(4096, '\0');
  rk_text_out error_out{error.data(), error.size(), 0};
  rk_result r = entry(host_services_for(record.name), &table, &error_out);
  if (r == RK_SUCCESS) return true;
  error.resize(std::min(error_out.size, error.size() - 1));
  error.resize(std::strlen(error.c_str()));  // a plugin may report a size it did not write
  reject(record, r == RK_ERROR_ABI_MISMATCH ? RK_PLUGIN_REASON_ABI_MISMATCH : RK_PLUGIN_REASON_INIT_FAILED,
         plugin_words(r, error));
  return false;
}

// probe() and every device's info; the table entries are known present (header checked).
bool probe_devices(PluginRecord& record, const Backend& backend) {
  const rk_backend_table* table = backend.table();
  uint32_t count = 0;
  if (rk_result r = table->probe(&count); r != RK_SUCCESS) {
    reject(record, RK_PLUGIN_REASON_INIT_FAILED, "probe failed: " + plugin_words(r, backend.plugin_error()));
    return false;
  }
  if (count > kMaxDevices) {  // an uninitialised count, not a machine: do not ask for 4 billion infos
    reject(record, RK_PLUGIN_REASON_INIT_FAILED, "probe reported " + std::to_string(count) + " devices");
    return false;
  }
  for (uint32_t i = 0; i < count; ++i) {
    rk_device_info info{};
    info.struct_size = sizeof(info);
    if (rk_result r = table->get_device_info(i, &info); r != RK_SUCCESS) {
      reject(record, RK_PLUGIN_REASON_INIT_FAILED,
             "get_device_info(" + std::to_string(i) + ") failed: " + plugin_words(r, backend.plugin_error()));
      return false;
    }
    info.name[sizeof(info.name) - 1] = '\0';  // a plugin's strings are never trusted to end
    info.vendor[sizeof(info.vendor) - 1] = '\0';
    info.driver_version[sizeof(info.driver_version) - 1] = '\0';
    record.devices.push_back(info);
  }
  record.device_count = count;
  return true;
}

// Entry, table checks, probe and device infos. Any early return drops the library, which
// unloads the plugin.
void initialize(PluginRecord& record, rk_plugin_entry_fn entry, boost::dll::shared_library library) {
  const rk_backend_table* table = nullptr;
  if (!call_entry(record, entry, table)) return;
  if (table && table->struct_size >= kVersionEnd) {
    record.abi_major = table->abi_major;
    record.abi_minor = table->abi_minor;
  }
  std::string why;
  if (!table_header_valid(table, why)) return reject(record, RK_PLUGIN_REASON_ABI_MISMATCH, why);
  record.name = table->name;
  record.caps = table->caps;
  auto backend = std::make_shared<Backend>(std::move(library), table, record.path);
  if (!probe_devices(record, *backend)) return;
  record.outcome = RK_PLUGIN_LOADED;
  record.reason = record.device_count > 0 ? RK_PLUGIN_REASON_OK : RK_PLUGIN_REASON_NO_DEVICES;
  if (record.device_count == 0) {
    record.detail = backend->plugin_error();
    if (record.detail.empty()) record.detail = "the backend found no device and gave no reason";
  }
  record.backend = std::move(backend);
}

// A record named after the file's stem until the plugin says its name.
PluginRecord record_for(const std::string& path) {
  PluginRecord record;
  record.path = path;
  std::string stem = fs::path(path).filename().string();
  record.name = stem.substr(kPrefix.size(), stem.size() - kPrefix.size() - kSuffix.size());
  return record;
}

std::atomic<bool (*)()> g_idle_assist{nullptr};  // set_idle_assist
std::atomic<bool (*)(const void*)> g_kernel_idle_assist{nullptr};  // set_kernel_idle_assist

}  // namespace

void set_idle_assist(bool (*assist)()) { g_idle_assist.store(assist, std::memory_order_release); }
void set_kernel_idle_assist(bool (*assist)(const void*)) { g_kernel_idle_assist.store(assist, std::memory_order_release); }

// Host services handed to each plugin; `user` names the plugin in its log lines. Kept for
// the life of the process because a plugin may log until it is unloaded; one per name, so
// a program that scans again and again (a registry per test) does not pile them up.
const rk_host_services* host_services_for(const std::string& label) {
  static std::mutex mutex;
  static std::deque<std::pair<std::string, rk_host_services>> all;
  std::lock_guard lock(mutex);
  for (auto& [name, services] : all)
    if (name == label) return &services;
  auto& [name, services] = all.emplace_back(label, rk_host_services{});
  services.struct_size = sizeof(rk_host_services);
  services.core_abi_major = RK_PLUGIN_ABI_MAJOR;
  services.core_abi_minor = RK_PLUGIN_ABI_MINOR;
  services.user = &name;
  services.log = [](void* user, rk_log_level level, const char* message, size_t length) {
    log_from_plugin(static_cast<std::string*>(user)->c_str(), level, message, length);
  };
  services.clock_ns = [](void*) -> int64_t {
    timespec ts{};
    clock_gettime(CLOCK_REALTIME, &ts);
    return int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
  };
  services.idle_assist = [](void*) -> int {
    bool (*assist)() = g_idle_assist.load(std::memory_order_acquire);
    return assist != nullptr && assist() ? 1 : 0;
  };
  services.kernel_idle_assist = [](void*, const void* control_block) -> int {
    bool (*assist)(const void*) = g_kernel_idle_assist.load(std::memory_order_acquire);
    return assist != nullptr && assist(control_block) ? 1 : 0;
  };
  return &services;
}

// dlopen's words decide the reason: a library the plugin needs vs a file that is no plugin.
rk_plugin_reason classify_load_error(const std::string& text, const std::string& path) {
  auto has = [&](const char* s) { return text.find(s) != std::string::npos; };
  if (has("undefined symbol")) return RK_PLUGIN_REASON_MISSING_DEPENDENCY;
  if (has("version `") && has("not found")) return RK_PLUGIN_REASON_MISSING_DEPENDENCY;  // e.g. a newer GLIBC_2.xx
  if (has("cannot open shared object file")) {
    size_t colon = text.find(": cannot open shared object file");
    std::string missing = text.substr(0, colon);
    size_t start = missing.rfind('(');
    if (start != std::string::npos) missing = missing.substr(start + 1);
    if (missing.find(fs::path(path).filename().string()) == std::string::npos) return RK_PLUGIN_REASON_MISSING_DEPENDENCY;
  }
  return RK_PLUGIN_REASON_NOT_A_PLUGIN;
}

std::string dlerror_part(const std::string& what) {
  const std::string marker = "dlerror system message: ";
  size_t at = what.find(marker);
  if (at == std::string::npos) return what;
  // Boost wraps it as "... (dlerror system message: TEXT): <errc text>".
  std::string text = what.substr(at + marker.size());
  size_t end = text.rfind("): ");
  if (end != std::string::npos) text.resize(end);
  else if (!text.empty() && text.back() == ')') text.pop_back();
  return text;
}

std::string plugin_words(rk_result result, const std::string& text) {
  return std::string(rk_result_name(result)) + (text.empty() ? " (the plugin gave no reason)" : ": " + text);
}

std::vector<std::string> plugin_search_dirs(const char* search_path, uint32_t flags) {
  std::vector<std::string> wanted;
  split_into(search_path, wanted);
  if (!(flags & RK_REGISTRY_NO_ENV_PATH)) split_into(std::getenv("RINGKERNEL_PLUGIN_PATH"), wanted);
  if (!(flags & RK_REGISTRY_NO_DEFAULT_DIRS)) {
    // The folder beside libringcore finds an installed tree wherever it was moved; the
    // compiled-in folder names the configure-time prefix, so each is listed only if it exists.
    std::error_code ec;
    std::string beside = core_library_folder();
    if (!beside.empty() && fs::is_directory(beside + "/ringkernel/plugins", ec)) wanted.push_back(beside + "/ringkernel/plugins");
    if (fs::is_directory(RINGKERNEL_INSTALL_PLUGIN_DIR, ec)) wanted.emplace_back(RINGKERNEL_INSTALL_PLUGIN_DIR);
  }
  std::vector<std::string> dirs;
  std::vector<fs::path> seen;
  for (std::string dir : wanted) {
    std::error_code ec;
    if (fs::path(dir).is_relative()) {  // resolved once, here: never against a later working folder
      std::string absolute = fs::absolute(dir, ec).lexically_normal().string();
      log_info("relative plugin folder " + dir + " resolved to " + absolute);
      dir = absolute;
    }
    if (!fs::is_directory(dir, ec)) log_warn("plugin folder " + dir + " does not exist (searched anyway)");
    fs::path real = fs::weakly_canonical(dir, ec);
    if (ec) real = dir;
    if (std::find(seen.begin(), seen.end(), real) != seen.end()) continue;
    seen.push_back(real);
    dirs.push_back(dir);
  }
  return dirs;
}

std::vector<std::string> library_candidates(const std::string& folder, std::string_view prefix) {
  std::vector<std::string> files;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(folder, ec)) {
    std::string name = entry.path().filename().string();
    if (name.starts_with(prefix) && name.ends_with(kSuffix) && !entry.is_directory()) files.push_back(entry.path().string());
  }
  std::sort(files.begin(), files.end());
  return files;
}

std::vector<std::string> plugin_candidates(const std::string& folder) { return library_candidates(folder, kPrefix); }

PluginRecord load_plugin(const std::string& path) {
  PluginRecord record = record_for(path);
  boost::dll::shared_library library;
  try {
    library.load(path, boost::dll::load_mode::rtld_now | boost::dll::load_mode::rtld_local);
  } catch (const std::exception& e) {
    std::string text = dlerror_part(e.what());
    reject(record, classify_load_error(text, path), text);
    return record;
  }
  if (!library.has(RK_PLUGIN_ENTRY_NAME)) {
    reject(record, RK_PLUGIN_REASON_MISSING_SYMBOL, std::string("no exported symbol '") + RK_PLUGIN_ENTRY_NAME + "'");
    return record;
  }
  // Looked up before the call: the library is moved into initialize's parameter.
  rk_plugin_entry_fn entry =
      &library.get<rk_result(const rk_host_services*, const rk_backend_table**, rk_text_out*)>(RK_PLUGIN_ENTRY_NAME);
  initialize(record, entry, std::move(library));
  return record;
}

PluginRecord load_plugin_entry(const std::string& path, rk_plugin_entry_fn entry) {
  PluginRecord record = record_for(path);
  initialize(record, entry, boost::dll::shared_library());
  return record;
}

}  // namespace rk::core
