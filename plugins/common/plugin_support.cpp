#include "common/plugin_support.hpp"

#include <algorithm>
#include <atomic>
#include <cstring>

namespace rk::plugin_common {
namespace {

thread_local std::string t_last_error;
std::atomic<const rk_host_services*> g_host{nullptr};

}  // namespace

rk_result fail(rk_result code, std::string message) {
  t_last_error = std::move(message);
  return code;
}

const char* last_error() { return t_last_error.c_str(); }

void set_host(const rk_host_services* host) {
  // An older core's shorter services struct may lack the log callback.
  g_host.store(host && RK_TABLE_HAS(host, rk_host_services, log) ? host : nullptr);
}

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

}  // namespace rk::plugin_common
