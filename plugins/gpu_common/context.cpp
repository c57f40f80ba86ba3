// A context is the device's primary context (the one the vendor's runtime uses too), so
// memory from other CUDA/HIP libraries in the same process is addressable by our kernels.
#include "gpu_common/gpu.hpp"

namespace rk::gpu {

rk_result context_create(uint32_t device, rk_backend_context* context) {
  if (context == nullptr) return fail(RK_ERROR_INVALID_ARGUMENT, "context must not be NULL");
  Device* d = device_at(device);
  if (d == nullptr) return fail(RK_ERROR_NO_DEVICE, prefixed("no device " + std::to_string(device) + ": " + last_error()));
  Context primary = nullptr;
  Status status = api().primary_context_retain(&primary, d->handle);
  if (!succeeded(status)) return fail_status(RK_ERROR_BACKEND_UNAVAILABLE, "retaining the primary context", status);
  *context = new rk_backend_context_s{d, primary};
  return RK_SUCCESS;
}

rk_result context_destroy(rk_backend_context context) {
  if (context == nullptr) return RK_SUCCESS;
  if (bind(context) == RK_SUCCESS) release_parked(context);
  Status status = api().primary_context_release(context->device->handle);
  delete context;
  return succeeded(status) ? RK_SUCCESS : fail_status(RK_ERROR_INTERNAL, "releasing the primary context", status);
}

}  // namespace rk::gpu
