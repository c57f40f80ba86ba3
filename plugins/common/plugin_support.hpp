// What every backend plugin needs the same way: its per-thread last error, logging through
// the core's host services, and handing text back into a caller's rk_text_out. Compiled
// into each plugin (symbols stay hidden), so every plugin keeps its own state.
#pragma once

#include <string>

#include "rk_plugin.h"

namespace rk::plugin_common {

// Records `message` as this thread's last error and returns `code`.
rk_result fail(rk_result code, std::string message);
const char* last_error();
// Remembers the core's services for log(); NULL or an older core without `log`: quiet.
void set_host(const rk_host_services* host);
void log(rk_log_level level, const std::string& message);
// The services set_host kept (NULL when none): check RK_TABLE_HAS before newer entries.
const rk_host_services* host();
// Truncated, NUL-terminated copy into `out`, with the full length in out->size.
void write_text(rk_text_out* out, const std::string& text);

}  // namespace rk::plugin_common
