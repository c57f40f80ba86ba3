// The core's per-thread last error and logging (spdlog stays inside the core).
#pragma once

#include <string>

#include "ringkernel.h"

namespace rk::core {

// Records `detail` as this thread's last error and returns `code`, so call sites read
// `return fail(RK_ERROR_X, "why");`.
rk_result fail(rk_result code, const std::string& detail);
void clear_error();
const std::string& last_error_text();

void log_debug(const std::string& message);
void log_info(const std::string& message);
void log_warn(const std::string& message);
void log_error(const std::string& message);
// Plugins log through the host services; this forwards into the core's logger.
void log_from_plugin(const char* plugin, rk_log_level level, const char* message, size_t length);
void set_log_level(rk_log_level level);

}  // namespace rk::core
