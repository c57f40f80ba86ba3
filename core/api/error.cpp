#include "api/error.hpp"

#include <cstdint>
#include <cstdlib>
#include <mutex>
#include <string_view>

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

namespace rk::core {
namespace {

// This thread's last error. At exit, thread_local objects die before static ones, yet a
// static runtime's destructor may still report through here; once this thread's slot is
// gone, its errors go to a string that is never freed (only in that rare case, so threads
// that come and go leak nothing).
// One trivially destructible word says whether text is held and whether the slot is gone:
// every API call clears the error, and in a shared library each thread_local is a call
// into the loader's TLS lookup, so the common case (nothing held) reads this word alone.
constexpr uint8_t kErrorHeld = 1, kErrorSlotGone = 2;
thread_local uint8_t error_flags = 0;  // readable until the thread ends

struct ErrorSlot {
  std::string text;
  ~ErrorSlot() { error_flags |= kErrorSlotGone; }
};

std::string& last_error_storage() {
  if (error_flags & kErrorSlotGone) {
    thread_local std::string* after_exit = new std::string();
    return *after_exit;
  }
  thread_local ErrorSlot slot;
  return slot.text;
}

// RINGKERNEL_LOG_LEVEL = trace|debug|info|warn|error|off; unset or unknown: warn (quiet by
// default, but a misspelt level must not silence the warnings).
spdlog::level::level_enum level_from_env() {
  const char* env = std::getenv("RINGKERNEL_LOG_LEVEL");
  if (env == nullptr || *env == '\0') return spdlog::level::warn;
  spdlog::level::level_enum level = spdlog::level::from_str(env);  // unknown names come back as "off"
  return level == spdlog::level::off && std::string_view(env) != "off" ? spdlog::level::warn : level;
}

spdlog::logger& logger() {
  static std::shared_ptr<spdlog::logger> instance = [] {
    auto l = spdlog::stderr_color_mt("ringkernel");
    l->set_pattern("[ringkernel %^%l%$] %v");
    l->set_level(level_from_env());
    return l;
  }();
  return *instance;
}

spdlog::level::level_enum to_spdlog(rk_log_level level) {
  switch (level) {
    case RK_LOG_LEVEL_TRACE: return spdlog::level::trace;
    case RK_LOG_LEVEL_DEBUG: return spdlog::level::debug;
    case RK_LOG_LEVEL_INFO: return spdlog::level::info;
    case RK_LOG_LEVEL_WARN: return spdlog::level::warn;
    case RK_LOG_LEVEL_ERROR: return spdlog::level::err;
    case RK_LOG_LEVEL_OFF: return spdlog::level::off;
    default: return spdlog::level::info;  // a plugin's unknown level is still worth a line
  }
}

}  // namespace

rk_result fail(rk_result code, const std::string& detail) {
  last_error_storage() = detail;
  error_flags |= kErrorHeld;
  logger().debug("{}: {}", rk_result_name(code), detail);
  return code;
}

void clear_error() {
  if ((error_flags & kErrorHeld) == 0) return;
  last_error_storage().clear();
  error_flags &= static_cast<uint8_t>(~kErrorHeld);
}
const std::string& last_error_text() { return last_error_storage(); }

void log_debug(const std::string& message) { logger().debug("{}", message); }
void log_info(const std::string& message) { logger().info("{}", message); }
void log_warn(const std::string& message) { logger().warn("{}", message); }
void log_error(const std::string& message) { logger().error("{}", message); }

void log_from_plugin(const char* plugin, rk_log_level level, const char* message, size_t length) {
  // "Off" is no level to write at, and spdlog would print it even with logging off.
  if (level == RK_LOG_LEVEL_OFF) return;
  std::string_view text = message ? std::string_view(message, length) : std::string_view();
  logger().log(to_spdlog(level), "[{}] {}", plugin, text);
}

// RK_LOG_LEVEL_UNDEFINED (0) goes back to the default: RINGKERNEL_LOG_LEVEL, else warn.
void set_log_level(rk_log_level level) {
  logger().set_level(level == RK_LOG_LEVEL_UNDEFINED ? level_from_env() : to_spdlog(level));
}

}  // namespace rk::core

extern "C" {

RK_API uint32_t rk_abi_major(void) { return RK_PLUGIN_ABI_MAJOR; }
RK_API uint32_t rk_abi_minor(void) { return RK_PLUGIN_ABI_MINOR; }
RK_API const char* rk_version_string(void) { return RINGKERNEL_VERSION; }
RK_API uint32_t rk_api_version(void) { return RK_API_VERSION; }
RK_API const char* rk_last_error(void) { return rk::core::last_error_text().c_str(); }

RK_API void rk_set_log_level(rk_log_level level) { rk::core::set_log_level(level); }

RK_API const char* rk_result_name(rk_result result) {
  switch (result) {
    case RK_SUCCESS: return "RK_SUCCESS";
    case RK_ERROR_INVALID_ARGUMENT: return "RK_ERROR_INVALID_ARGUMENT";
    case RK_ERROR_UNSUPPORTED: return "RK_ERROR_UNSUPPORTED";
    case RK_ERROR_OUT_OF_MEMORY: return "RK_ERROR_OUT_OF_MEMORY";
    case RK_ERROR_NOT_FOUND: return "RK_ERROR_NOT_FOUND";
    case RK_ERROR_NO_DEVICE: return "RK_ERROR_NO_DEVICE";
    case RK_ERROR_BACKEND_UNAVAILABLE: return "RK_ERROR_BACKEND_UNAVAILABLE";
    case RK_ERROR_ABI_MISMATCH: return "RK_ERROR_ABI_MISMATCH";
    case RK_ERROR_COMPILE_FAILED: return "RK_ERROR_COMPILE_FAILED";
    case RK_ERROR_LAUNCH_FAILED: return "RK_ERROR_LAUNCH_FAILED";
    case RK_ERROR_INVALID_STATE: return "RK_ERROR_INVALID_STATE";
    case RK_ERROR_QUEUE_FULL: return "RK_ERROR_QUEUE_FULL";
    case RK_ERROR_QUEUE_EMPTY: return "RK_ERROR_QUEUE_EMPTY";
    case RK_ERROR_TIMEOUT: return "RK_ERROR_TIMEOUT";
    case RK_ERROR_MESSAGE_TOO_LARGE: return "RK_ERROR_MESSAGE_TOO_LARGE";
    case RK_ERROR_UNKNOWN_MESSAGE_TYPE: return "RK_ERROR_UNKNOWN_MESSAGE_TYPE";
    case RK_ERROR_UNKNOWN_KERNEL: return "RK_ERROR_UNKNOWN_KERNEL";
    case RK_ERROR_CLOCK_SKEW: return "RK_ERROR_CLOCK_SKEW";
    case RK_ERROR_TERMINATED: return "RK_ERROR_TERMINATED";
    case RK_ERROR_DEVICE_FAULT: return "RK_ERROR_DEVICE_FAULT";
    case RK_ERROR_NOT_READY: return "RK_ERROR_NOT_READY";
    case RK_ERROR_INTERNAL: return "RK_ERROR_INTERNAL";
    case RK_ERROR_HANDLER_FAILED: return "RK_ERROR_HANDLER_FAILED";
    case RK_ERROR_KERNEL_FAULTED: return "RK_ERROR_KERNEL_FAULTED";
    case RK_ERROR_PEER_LOST: return "RK_ERROR_PEER_LOST";
    default: return "RK_ERROR_UNKNOWN_CODE";
  }
}

}  // extern "C"
