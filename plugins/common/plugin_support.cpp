#include "common/plugin_support.hpp"

#include <algorithm>
#include <atomic>
#include <cstring>

namespace rk::plugin_common {
namespace {

// This thread's last error, safe at exit as libringcore's is (core/api/error.cpp): a
// thread's thread_local objects die before static ones, yet a static runtime's destructor
// may still call into the plugin, and a driver already torn down by its own atexit handler
// fails there (seen with CUDA: bind() during rk_runtime_destroy after main returned, and
// the write into the destroyed string was a double free). Once the slot is gone, errors go
// to a string that is never freed.
thread_local bool t_error_slot_gone = false;  // trivially destructible: readable until the thread ends

struct ErrorSlot {
  std::string text;
  ~ErrorSlot() { t_error_slot_gone = true; }
};

std::string& last_error_storage() {
  if (t_error_slot_gone) {
    thread_local std::string* after_exit = new std::string();
    return *after_exit;
  }
  thread_local ErrorSlot slot;
  return slot.text;
}

std::atomic<const rk_host_services*> g_host{nullptr};

}  // namespace

rk_result fail(rk_result code, std::string message) {
  last_error_storage() = std::move(message);
  return code;
}

const char* last_error() { return last_error_storage().c_str(); }

void set_host(const rk_host_services* host) {
  // An older core's shorter services struct may lack the log callback.
  g_host.store(host && RK_TABLE_HAS(host, rk_host_services, log) ? host : nullptr);
}

const rk_host_services* host() { return g_host.load(); }

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
