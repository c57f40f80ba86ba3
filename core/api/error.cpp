#include "api/error.hpp"

#include <cstdlib>
#include <mutex>
#include <string_view>

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

namespace rk::core {
namespace {

// Deliberately never freed: at exit, thread_local objects die before static ones, and a
// static runtime's destructor still reports through here. One small string per thread.
std::string& last_error_storage() {
  thread_local std::string* text = new std::string();
  return *text;
}

spdlog::level::level_enum level_from_env() {
  const char* env = std::getenv("RINGKERNEL_LOG_LEVEL");
  if (env == nullptr || *env == '\0') return spdlog::level::warn;
  return spdlog::level::from_str(env);  // unknown names map to "off" in spdlog; warn instead
}

spdlog::logger& logger() {
  static std::shared_ptr<spdlog::logger> instance = [] {
    auto l = spdlog::stderr_color_mt("ringkernel");
    l->set_pattern("[ringkernel %^%l%$] %v");
    const char* env = std::getenv("RINGKERNEL_LOG_LEVEL");
    auto level = level_from_env();
    if (env && *env && level == spdlog::level::off && std::string_view(env) != "off") level = spdlog::level::warn;
    l->set_level(level);
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
    default: return spdlog::level::off;
  }
}

}  // namespace

rk_result fail(rk_result code, const std::string& detail) {
  last_error_storage() = detail;
  logger().debug("{}: {}", rk_result_name(code), detail);
  return code;
}

void clear_error() { last_error_storage().clear(); }
const std::string& last_error_text() { return last_error_storage(); }

void log_debug(const std::string& message) { logger().debug("{}", message); }
void log_info(const std::string& message) { logger().info("{}", message); }
void log_warn(const std::string& message) { logger().warn("{}", message); }
void log_error(const std::string& message) { logger().error("{}", message); }

void log_from_plugin(const char* plugin, rk_log_level level, const char* message, size_t length) {
  logger().log(to_spdlog(level), "[{}] {}", plugin, std::string_view(message, length));
}

void set_log_level(rk_log_level level) { logger().set_level(to_spdlog(level)); }

}  // namespace rk::core

extern "C" {

RK_API uint32_t rk_abi_major(void) { return RK_PLUGIN_ABI_MAJOR; }
RK_API uint32_t rk_abi_minor(void) { return RK_PLUGIN_ABI_MINOR; }
RK_API const char* rk_version_string(void) { return RINGKERNEL_VERSION; }
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
    default: return "RK_ERROR_UNKNOWN_CODE";
  }
}

}  // extern "C"
