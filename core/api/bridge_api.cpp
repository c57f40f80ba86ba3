// C entry points of the message bridge (docs/bridge.md): async requests and output handlers.
#include "api/error.hpp"
#include "bridge/async_ops.hpp"
#include "bridge/bridge.hpp"
#include "runtime/runtime.hpp"
#include "distributed/remote_kernel.hpp"

using namespace rk::core;

extern "C" {

RK_API rk_result rk_kernel_request_async(rk_kernel kernel, uint32_t type_id, const void* payload, uint32_t size,
                                         const rk_request_options* options, rk_completion_fn completion,
                                         void* user_data) {
  clear_error();
  if (kernel == nullptr) return fail(RK_ERROR_INVALID_ARGUMENT, "kernel handle is NULL");
  if (is_remote(kernel)) return refuse_remote(kernel, "rk_kernel_request_async");
  return kernel_request_async(kernel, type_id, payload, size, options, completion, user_data);
}

RK_API rk_result rk_kernel_set_output_handler(rk_kernel kernel, rk_output_fn fn, void* user_data) {
  clear_error();
  if (kernel == nullptr) return fail(RK_ERROR_INVALID_ARGUMENT, "kernel handle is NULL");
  if (is_remote(kernel)) return refuse_remote(kernel, "rk_kernel_set_output_handler");
  return kernel_set_output_handler(kernel, fn, user_data);
}

RK_API rk_result rk_runtime_progress(rk_runtime runtime, uint32_t* delivered) {
  clear_error();
  if (delivered) *delivered = 0;
  if (runtime == nullptr) return fail(RK_ERROR_INVALID_ARGUMENT, "runtime handle is NULL");
  if (Bridge::in_pass())
    return fail(RK_ERROR_INVALID_STATE, "rk_runtime_progress from a bridge callback: this thread is running a "
                                        "pass already, and the callbacks after this one wait for it to return");
  Bridge* bridge = nullptr;
  {
    std::lock_guard lock(runtime->bridge_mutex);  // started by another thread's first async call
    bridge = runtime->bridge.get();
  }
  uint32_t ran = bridge != nullptr ? bridge->progress() : 0u;  // no bridge: nothing is served yet
  if (delivered) *delivered = ran;
  return RK_SUCCESS;
}

}  // extern "C"
