// A context is the device's primary context (the one the CUDA runtime would use too), so
// memory from other CUDA libraries in the same process is addressable by our kernels.
#include "cuda.hpp"

namespace rk::cuda {

rk_result context_create(uint32_t device, rk_backend_context* context) {
  if (context == nullptr) return fail(RK_ERROR_INVALID_ARGUMENT, "context must not be NULL");
  Device* d = device_at(device);
  if (d == nullptr) return fail(RK_ERROR_NO_DEVICE, "cuda: no device " + std::to_string(device) + ": " + last_error());
  CUcontext primary = nullptr;
  CUresult status = cu().cuDevicePrimaryCtxRetain(&primary, d->handle);
  if (status != CUDA_SUCCESS) return fail_cu(RK_ERROR_BACKEND_UNAVAILABLE, "cuDevicePrimaryCtxRetain", status);
  *context = new rk_backend_context_s{d, primary};
  return RK_SUCCESS;
}

rk_result context_destroy(rk_backend_context context) {
  if (context == nullptr) return RK_SUCCESS;
  CUresult status = cu().cuDevicePrimaryCtxRelease(context->device->handle);
  delete context;
  return status == CUDA_SUCCESS ? RK_SUCCESS : fail_cu(RK_ERROR_INTERNAL, "cuDevicePrimaryCtxRelease", status);
}

}  // namespace rk::cuda
