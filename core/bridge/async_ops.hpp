// The operations behind rk_kernel_request_async and rk_kernel_set_output_handler, and the
// bridge's part of destroying a kernel or runtime.
#pragma once

#include "ringkernel.h"

namespace rk::core {

rk_result kernel_request_async(rk_kernel_s* kernel, uint32_t type_id, const void* payload, uint32_t size,
                               const rk_request_options* options, rk_completion_fn completion, void* user_data);
rk_result kernel_set_output_handler(rk_kernel_s* kernel, rk_output_fn fn, void* user_data);

// RK_ERROR_INVALID_STATE when called from a callback of this runtime's bridge on a
// kernel it serves (or, kernel NULL, for the runtime): the bridge cannot wait for itself.
rk_result check_may_destroy(rk_runtime_s* runtime, rk_kernel_s* kernel);
// Completes the kernel's pending requests with RK_ERROR_TERMINATED (on the bridge thread)
// and makes the bridge forget it. Before the kernel is freed.
void detach_from_bridge(rk_kernel_s* kernel);

}  // namespace rk::core
