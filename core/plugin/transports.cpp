#include "plugin/transports.hpp"

#include <cstddef>
#include <cstring>
#include <filesystem>

#include "plugin/discovery.hpp"

namespace rk::core {
namespace {

constexpr std::string_view kPrefix = "librk_transport_";
constexpr size_t kVersionEnd = offsetof(rk_transport_table, abi_minor) + sizeof(uint16_t);
constexpr size_t kTableEnd = offsetof(rk_transport_table, last_error) + sizeof(rk_transport_table::last_error);

void reject(TransportRecord& record, rk_plugin_reason reason, std::string detail) {
  record.outcome = RK_PLUGIN_REJECTED;
  record.reason = reason;
  record.detail = std::move(detail);
  record.table = nullptr;
}

// The table's version and every 1.0 entry (a transport has no optional ones yet).
bool table_valid(TransportRecord& record, const rk_transport_table* t) {
  if (t == nullptr) {
    reject(record, RK_PLUGIN_REASON_ABI_MISMATCH, "the entry returned RK_SUCCESS but no transport table");
    return false;
  }
  if (t->struct_size < kVersionEnd) {
    reject(record, RK_PLUGIN_REASON_ABI_MISMATCH,
           "transport table of " + std::to_string(t->struct_size) + " bytes is too short to hold its version");
    return false;
  }
  record.abi_major = t->abi_major;
  record.abi_minor = t->abi_minor;
  std::string version = "transport ABI " + std::to_string(t->abi_major) + "." + std::to_string(t->abi_minor) +
                        ", core " + std::to_string(RK_TRANSPORT_ABI_MAJOR) + "." + std::to_string(RK_TRANSPORT_ABI_MINOR);
  if (t->abi_major != RK_TRANSPORT_ABI_MAJOR) {
    reject(record, RK_PLUGIN_REASON_ABI_MISMATCH, version + ": major versions differ");
    return false;
  }
  if (t->struct_size < kTableEnd) {
    reject(record, RK_PLUGIN_REASON_ABI_MISMATCH, version + ": the table is " + std::to_string(t->struct_size) +
                                                      " bytes, 1.0 needs " + std::to_string(kTableEnd));
    return false;
  }
  const void* entries[] = {reinterpret_cast<const void*>(t->probe),       reinterpret_cast<const void*>(t->open),
                           reinterpret_cast<const void*>(t->local_address), reinterpret_cast<const void*>(t->connect_all),
                           reinterpret_cast<const void*>(t->send),        reinterpret_cast<const void*>(t->progress),
                           reinterpret_cast<const void*>(t->wait),        reinterpret_cast<const void*>(t->peer_state),
                           reinterpret_cast<const void*>(t->stats),       reinterpret_cast<const void*>(t->close),
                           reinterpret_cast<const void*>(t->last_error)};
  bool complete = t->name != nullptr && t->name[0] != '\0';
  for (const void* entry : entries) complete = complete && entry != nullptr;
  if (!complete) reject(record, RK_PLUGIN_REASON_ABI_MISMATCH, version + ": a name or an entry is missing");
  return complete;
}

void initialize(TransportRecord& record, rk_transport_entry_fn entry) {
  const rk_transport_table* table = nullptr;
  std::string error(4096, '\0');
  rk_text_out error_out{error.data(), error.size(), 0};
  if (rk_result r = entry(host_services_for(record.name), &table, &error_out); r != RK_SUCCESS) {
    error.resize(std::strlen(error.c_str()));
    return reject(record, r == RK_ERROR_ABI_MISMATCH ? RK_PLUGIN_REASON_ABI_MISMATCH : RK_PLUGIN_REASON_INIT_FAILED,
                  plugin_words(r, error));
  }
  if (!table_valid(record, table)) return;
  record.name = table->name;
  std::string why(1024, '\0');
  rk_text_out why_out{why.data(), why.size(), 0};
  rk_result r = table->probe(&why_out);
  why.resize(std::strlen(why.c_str()));
  if (r != RK_SUCCESS) return reject(record, RK_PLUGIN_REASON_INIT_FAILED, "cannot run here: " + plugin_words(r, why));
  record.outcome = RK_PLUGIN_LOADED;
  record.reason = RK_PLUGIN_REASON_OK;
  record.detail = why;
  record.table = table;
}

}  // namespace

std::vector<std::string> transport_candidates(const std::string& folder) { return library_candidates(folder, kPrefix); }

TransportRecord load_transport(const std::string& path) {
  TransportRecord record;
  record.path = path;
  std::string stem = std::filesystem::path(path).filename().string();
  record.name = stem.substr(kPrefix.size(), stem.size() - kPrefix.size() - 3);  // less ".so"
  try {
    record.library.load(path, boost::dll::load_mode::rtld_now | boost::dll::load_mode::rtld_local);
  } catch (const std::exception& e) {
    std::string text = dlerror_part(e.what());
    reject(record, classify_load_error(text, path), text);
    return record;
  }
  if (!record.library.has(RK_TRANSPORT_ENTRY_NAME)) {
    reject(record, RK_PLUGIN_REASON_MISSING_SYMBOL, std::string("no exported symbol '") + RK_TRANSPORT_ENTRY_NAME + "'");
    record.library.unload();
    return record;
  }
  auto entry = &record.library.get<rk_result(const rk_host_services*, const rk_transport_table**, rk_text_out*)>(
      RK_TRANSPORT_ENTRY_NAME);
  initialize(record, entry);
  if (record.outcome != RK_PLUGIN_LOADED) record.library.unload();
  return record;
}

}  // namespace rk::core
