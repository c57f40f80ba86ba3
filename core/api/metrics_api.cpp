// C entry points for observability: the Prometheus text (core/observability/metrics.cpp),
// the hang dump (core/observability/dump.cpp) and message traces (observability/trace*.cpp).
#include <algorithm>
#include <cstring>

#include "api/error.hpp"
#include "bridge/remote_k2k.hpp"
#include "observability/dump.hpp"
#include "observability/metrics.hpp"
#include "observability/trace_json.hpp"
#include "runtime/runtime.hpp"

using namespace rk::core;

namespace {

// The buffer protocol of both: *size the full length, at most `capacity` bytes written.
rk_result copy_out(const std::string& text, char* buffer, size_t capacity, size_t* size) {
  *size = text.size();
  if (capacity == 0) return RK_SUCCESS;
  const size_t copied = std::min(text.size(), capacity - 1);
  std::memcpy(buffer, text.data(), copied);
  buffer[copied] = '\0';
  return RK_SUCCESS;
}

rk_result check_text_args(rk_runtime runtime, char* buffer, size_t capacity, size_t* size) {
  if (runtime == nullptr || size == nullptr) return fail(RK_ERROR_INVALID_ARGUMENT, "runtime and size must not be NULL");
  if (buffer == nullptr && capacity > 0) return fail(RK_ERROR_INVALID_ARGUMENT, "buffer is NULL but capacity > 0");
  return RK_SUCCESS;
}

}  // namespace

extern "C" {

RK_API rk_result rk_runtime_metrics_text(rk_runtime runtime, char* buffer, size_t capacity, size_t* size) {
  clear_error();
  if (rk_result r = check_text_args(runtime, buffer, capacity, size); r != RK_SUCCESS) return r;
  return copy_out(metrics_text(runtime), buffer, capacity, size);
}

RK_API rk_result rk_runtime_dump(rk_runtime runtime, char* buffer, size_t capacity, size_t* size) {
  clear_error();
  if (rk_result r = check_text_args(runtime, buffer, capacity, size); r != RK_SUCCESS) return r;
  std::string text;
  {
    auto directory = hold_directory();
    text = dump_text_locked(runtime);
  }
  return copy_out(text, buffer, capacity, size);
}

RK_API rk_result rk_runtime_write_trace(rk_runtime runtime, const char* path) {
  clear_error();
  if (runtime == nullptr || path == nullptr) return fail(RK_ERROR_INVALID_ARGUMENT, "runtime and path must not be NULL");
  return write_trace_file(runtime->trace->snapshot(runtime->backend->name()), path);
}

}  // extern "C"
