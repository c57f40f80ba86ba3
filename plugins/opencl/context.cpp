// One cl_context per device context, its queue for synchronous copies, its clock word,
// and the registry of its SVM allocations.
#include <algorithm>

#include "host_clock.hpp"
#include "opencl.hpp"

namespace rk::opencl {

void SvmRegistry::add(void* pointer) {
  std::lock_guard lock(mutex_);
  pointers_.push_back(pointer);
}

void SvmRegistry::remove(void* pointer) {
  std::lock_guard lock(mutex_);
  pointers_.erase(std::remove(pointers_.begin(), pointers_.end(), pointer), pointers_.end());
}

std::vector<void*> SvmRegistry::snapshot() const {
  std::lock_guard lock(mutex_);
  return pointers_;
}

namespace {

// In-order, no profiling: what a stream is.
cl_command_queue create_queue(cl_context context, cl_device_id device, cl_int& status) {
  if (cl().clCreateCommandQueueWithProperties)
    return cl().clCreateCommandQueueWithProperties(context, device, nullptr, &status);
  return cl().clCreateCommandQueue(context, device, 0, &status);
}

void release(rk_backend_context c) {
  c->clock.reset();  // stops its thread and frees the word while the context still exists
  if (c->copy_queue) cl().clReleaseCommandQueue(c->copy_queue);
  if (c->context) cl().clReleaseContext(c->context);
  delete c;
}

}  // namespace

cl_command_queue make_queue(rk_backend_context context, cl_int& status) {
  return create_queue(context->context, context->device->id, status);
}

rk_result context_create(uint32_t device, rk_backend_context* context) {
  Device* d = device_at(device);
  if (context == nullptr || d == nullptr)
    return fail(RK_ERROR_INVALID_ARGUMENT, "no OpenCL device " + std::to_string(device) + " (probe first)");
  auto* c = new rk_backend_context_s();
  c->device = d;
  cl_int status = CL_SUCCESS;
  c->context = cl().clCreateContext(nullptr, 1, &d->id, nullptr, nullptr, &status);
  if (c->context == nullptr) {
    release(c);
    return fail(RK_ERROR_BACKEND_UNAVAILABLE, std::string("opencl: clCreateContext for '") + d->info.name +
                                                  "' failed: " + cl_error_name(status));
  }
  c->copy_queue = make_queue(c, status);
  if (c->copy_queue == nullptr) {
    release(c);
    return fail(RK_ERROR_BACKEND_UNAVAILABLE, "opencl: cannot create a command queue: " + cl_error_name(status));
  }
  if (d->fine_grain_svm) {
    std::string error;
    c->clock = create_host_clock(c->context, error);
    if (!c->clock) {
      release(c);
      return fail(RK_ERROR_OUT_OF_MEMORY, "opencl: " + error);
    }
    c->svm.add(c->clock->word());
  }
  *context = c;
  return RK_SUCCESS;
}

rk_result context_destroy(rk_backend_context context) {
  if (context == nullptr) return RK_SUCCESS;
  cl().clFinish(context->copy_queue);
  {
    std::unique_lock lock(context->cooperative_mutex);
    context->cooperative_done.wait(lock, [context] { return context->cooperative_running == 0; });
  }
  release(context);
  return RK_SUCCESS;
}

}  // namespace rk::opencl
