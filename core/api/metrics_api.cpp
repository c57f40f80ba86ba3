// C entry point for metrics: the Prometheus text of core/observability/metrics.cpp.
#include <algorithm>
#include <cstring>

#include "api/error.hpp"
#include "observability/metrics.hpp"
#include "runtime/runtime.hpp"

using namespace rk::core;

extern "C" {

RK_API rk_result rk_runtime_metrics_text(rk_runtime runtime, char* buffer, size_t capacity, size_t* size) {
  clear_error();
  if (runtime == nullptr || size == nullptr) return fail(RK_ERROR_INVALID_ARGUMENT, "runtime and size must not be NULL");
  if (buffer == nullptr && capacity > 0) return fail(RK_ERROR_INVALID_ARGUMENT, "buffer is NULL but capacity > 0");
  const std::string text = metrics_text(runtime);
  *size = text.size();
  if (capacity == 0) return RK_SUCCESS;
  const size_t copied = std::min(text.size(), capacity - 1);
  std::memcpy(buffer, text.data(), copied);
  buffer[copied] = '\0';
  return RK_SUCCESS;
}

}  // extern "C"
