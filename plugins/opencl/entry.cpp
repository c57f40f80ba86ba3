// The opencl plugin's one exported symbol, its backend table, errors and logging.
#include <algorithm>
#include <cstring>

#include "opencl.hpp"

namespace rk::opencl {
namespace {

thread_local std::string t_last_error;
// Set by every rk_plugin_entry call (a second registry may load this same library), read
// by any thread that logs.
std::atomic<const rk_host_services*> g_host{nullptr};

// What the backend can offer at all; each device says what it has (devices.cpp).
constexpr uint64_t kCaps = RK_CAP_PERSISTENT_KERNELS | RK_CAP_HOST_COHERENT | RK_CAP_K2K | RK_CAP_ASYNC_COPY |
                           RK_CAP_COOPERATIVE_LAUNCH;

const rk_backend_table kTable = {
    sizeof(rk_backend_table), RK_PLUGIN_ABI_MAJOR, RK_PLUGIN_ABI_MINOR, 0, "opencl", kCaps,
    probe, get_device_info, last_error,
    context_create, context_destroy,
    stream_create, stream_destroy, stream_synchronize, stream_query,
    buffer_alloc, buffer_free, buffer_map, buffer_device_address, copy_to_device, copy_to_host,
    module_compile, module_destroy, function_get, launch,
};

}  // namespace

rk_result fail(rk_result code, std::string message) {
  t_last_error = std::move(message);
  return code;
}

const char* last_error() { return t_last_error.c_str(); }

void set_host(const rk_host_services* host) { g_host.store(host); }

void log(rk_log_level level, const std::string& message) {
  const rk_host_services* host = g_host.load();
  if (host && host->log) host->log(host->user, level, message.data(), message.size());
}

void write_text(rk_text_out* out, const std::string& text) {
  if (out == nullptr) return;
  out->size = text.size();
  if (out->data == nullptr || out->capacity == 0) return;
  size_t n = std::min(text.size(), out->capacity - 1);
  std::memcpy(out->data, text.data(), n);
  out->data[n] = '\0';
}

}  // namespace rk::opencl

extern "C" RK_PLUGIN_EXPORT rk_result rk_plugin_entry(const rk_host_services* host, const rk_backend_table** table,
                                                      rk_text_out* error) {
  if (host == nullptr || table == nullptr) return RK_ERROR_INVALID_ARGUMENT;
  if (host->core_abi_major != RK_PLUGIN_ABI_MAJOR) {
    rk::opencl::write_text(error, "opencl is built for plugin ABI " + std::to_string(RK_PLUGIN_ABI_MAJOR) +
                                      ", the core speaks " + std::to_string(host->core_abi_major));
    return RK_ERROR_ABI_MISMATCH;
  }
  // An older core's shorter services struct may lack the log callback: then stay quiet.
  if (RK_TABLE_HAS(host, rk_host_services, log)) rk::opencl::set_host(host);
  *table = &rk::opencl::kTable;
  return RK_SUCCESS;
}
