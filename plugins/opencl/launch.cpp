// opencl launch: an NDRange of grid x block work-items in work-groups of block, arguments
// by kind, every live SVM allocation made reachable, then enqueue + flush (asynchronous).
//
// Cooperative launches (ring kernels) need every work-group resident at once, and hold
// their work-groups until they return. A device is taken to keep one work-group per
// compute unit resident (PoCL's CPU device: one worker thread each), so a cooperative
// launch that does not fit beside those already running is refused with the numbers,
// never queued behind them to wait forever.
#include "host_clock.hpp"
#include "opencl.hpp"

namespace rk::opencl {
namespace {

struct Geometry {
  size_t global[3] = {1, 1, 1};
  size_t local[3] = {1, 1, 1};
  uint64_t groups = 1;
};

rk_result plan_geometry(const rk_launch_config* config, const rk_backend_function_s& f, Geometry& g) {
  if (config == nullptr || config->struct_size < sizeof(rk_launch_config))
    return fail(RK_ERROR_INVALID_ARGUMENT, "launch config is NULL or its struct_size is too small");
  uint64_t threads = 1;
  for (int d = 0; d < 3; ++d) {
    if (config->grid[d] == 0 || config->block[d] == 0)
      return fail(RK_ERROR_INVALID_ARGUMENT, "grid and block dimensions must all be >= 1");
    g.local[d] = config->block[d];
    g.global[d] = size_t{config->grid[d]} * config->block[d];
    g.groups *= config->grid[d];
    threads *= config->block[d];
  }
  if (threads > f.max_work_group)
    return fail(RK_ERROR_INVALID_ARGUMENT, "opencl: a block of " + std::to_string(threads) + " threads exceeds kernel '" +
                                               f.name + "''s work-group limit of " + std::to_string(f.max_work_group));
  if (config->shared_memory_bytes > 0)
    return fail(RK_ERROR_UNSUPPORTED, "opencl: dynamic shared memory needs a __local kernel parameter, which the dialect "
                                      "does not have; use RK_SHARED_ARRAY");
  return RK_SUCCESS;
}

rk_result arg_failed(const rk_backend_function_s& f, uint32_t index, cl_int status) {
  return fail(RK_ERROR_INVALID_ARGUMENT, "opencl: argument " + std::to_string(index) + " of kernel '" + f.name +
                                             "': " + cl_error_name(status) +
                                             " (buffers and device addresses are pointers; values must match the "
                                             "parameter's size)");
}

cl_int set_buffer_arg(cl_kernel kernel, uint32_t index, const rk_backend_buffer_s& buffer) {
  if (buffer.svm) return cl().clSetKernelArgSVMPointer(kernel, index, buffer.svm);
  return cl().clSetKernelArg(kernel, index, sizeof(cl_mem), &buffer.mem);
}

cl_int set_address_arg(cl_kernel kernel, uint32_t index, const void* value) {
  uint64_t address = *static_cast<const uint64_t*>(value);
  return cl().clSetKernelArgSVMPointer(kernel, index, reinterpret_cast<const void*>(static_cast<uintptr_t>(address)));
}

rk_result set_arg(rk_backend_function_s& f, uint32_t index, const rk_kernel_arg& a) {
  cl_int status = CL_SUCCESS;
  if (a.kind == RK_ARG_BUFFER) {
    if (a.buffer == nullptr) return fail(RK_ERROR_INVALID_ARGUMENT, "argument " + std::to_string(index) + " has no buffer");
    status = set_buffer_arg(f.kernel, index, *a.buffer);
  } else if (a.kind == RK_ARG_DEVICE_ADDRESS) {
    if (a.value == nullptr) return fail(RK_ERROR_INVALID_ARGUMENT, "argument " + std::to_string(index) + " has no value");
    if (!cl().has_svm())
      return fail(RK_ERROR_UNSUPPORTED, "opencl: device addresses need OpenCL 2.0 SVM, which the ICD loader lacks");
    status = set_address_arg(f.kernel, index, a.value);
  } else if (a.kind == RK_ARG_VALUE) {
    if (a.value == nullptr || a.size == 0)
      return fail(RK_ERROR_INVALID_ARGUMENT, "argument " + std::to_string(index) + " has no value");
    status = cl().clSetKernelArg(f.kernel, index, a.size, a.value);
  } else {
    return fail(RK_ERROR_INVALID_ARGUMENT, "argument " + std::to_string(index) + " has an unknown kind");
  }
  return status == CL_SUCCESS ? RK_SUCCESS : arg_failed(f, index, status);
}

rk_result set_args(rk_backend_function_s& f, const rk_kernel_arg* args, uint32_t count) {
  if (count > 0 && args == nullptr) return fail(RK_ERROR_INVALID_ARGUMENT, "arg_count > 0 but args is NULL");
  if (count != f.arg_count)
    return fail(RK_ERROR_INVALID_ARGUMENT, "opencl: kernel '" + f.name + "' takes " + std::to_string(f.arg_count) +
                                               " arguments, the launch passes " + std::to_string(count));
  for (uint32_t i = 0; i < count; ++i)
    if (rk_result r = set_arg(f, i, args[i]); r != RK_SUCCESS) return r;
  return RK_SUCCESS;
}

// Ring kernels follow SVM pointers stored in memory (env -> queues, routes -> peers), not
// just their arguments: name every SVM allocation of the context that exists now.
rk_result share_svm(rk_backend_function_s& f, const rk_backend_context_s& context) {
  std::vector<void*> pointers = context.svm.snapshot();
  if (pointers.empty() || !cl().clSetKernelExecInfo) return RK_SUCCESS;
  cl_int status = cl().clSetKernelExecInfo(f.kernel, CL_KERNEL_EXEC_INFO_SVM_PTRS, pointers.size() * sizeof(void*),
                                           pointers.data());
  if (status != CL_SUCCESS)
    return fail(RK_ERROR_LAUNCH_FAILED, "opencl: clSetKernelExecInfo(SVM_PTRS) for '" + f.name + "': " + cl_error_name(status));
  return RK_SUCCESS;
}

// Takes `groups` of the device's resident work-group slots, or says why not.
rk_result reserve_residency(Device& device, uint64_t groups) {
  if (!device.ring_kernels)
    return fail(RK_ERROR_UNSUPPORTED, std::string("opencl: device '") + device.info.name +
                                          "' cannot run cooperative (persistent) launches: no fine-grained SVM with "
                                          "atomics and OpenCL C 2.0+ atomics");
  const uint32_t limit = device.info.compute_units;
  uint32_t held = device.resident_groups.load();
  do {
    if (groups > limit - held)
      return fail(RK_ERROR_LAUNCH_FAILED,
                  "opencl: cooperative launch of " + std::to_string(groups) + " work-group(s) does not fit: '" +
                      device.info.name + "' keeps " + std::to_string(limit) + " resident (one per compute unit) and " +
                      std::to_string(held) + " are held by running ring kernels (PoCL: raise POCL_MAX_PTHREAD_COUNT)");
  } while (!device.resident_groups.compare_exchange_weak(held, held + static_cast<uint32_t>(groups)));
  return RK_SUCCESS;
}

struct CooperativeLaunch {
  rk_backend_stream stream;
  uint32_t groups;
};

void release_cooperative(rk_backend_stream stream, uint32_t groups) {
  rk_backend_context context = stream->context;
  context->device->resident_groups.fetch_sub(groups);
  if (context->clock) context->clock->persistent_finished();
  std::lock_guard lock(context->cooperative_mutex);
  --context->cooperative_running;
  --stream->cooperative_pending;
  context->cooperative_done.notify_all();  // under the lock: stream and context may go once it is released
}

void CL_CALLBACK cooperative_finished(cl_event, cl_int, void* data) {
  auto* launch = static_cast<CooperativeLaunch*>(data);
  release_cooperative(launch->stream, launch->groups);
  delete launch;
}

void begin_cooperative(rk_backend_stream stream) {
  rk_backend_context context = stream->context;
  {
    std::lock_guard lock(context->cooperative_mutex);
    ++context->cooperative_running;
    ++stream->cooperative_pending;
  }
  if (context->clock) context->clock->persistent_started();
}

rk_result enqueue_failed(const rk_backend_function_s& f, cl_int status) {
  bool caller_error = status == CL_INVALID_WORK_GROUP_SIZE || status == CL_INVALID_WORK_ITEM_SIZE ||
                      status == CL_INVALID_GLOBAL_WORK_SIZE || status == CL_INVALID_KERNEL_ARGS;
  return fail(caller_error ? RK_ERROR_INVALID_ARGUMENT : RK_ERROR_LAUNCH_FAILED,
              "opencl: clEnqueueNDRangeKernel('" + f.name + "'): " + cl_error_name(status));
}

rk_result enqueue(rk_backend_stream stream, rk_backend_function_s& f, const Geometry& g, bool cooperative) {
  if (cooperative) begin_cooperative(stream);
  cl_event done = nullptr;
  cl_int status = cl().clEnqueueNDRangeKernel(stream->queue, f.kernel, 3, nullptr, g.global, g.local, 0, nullptr, &done);
  if (status != CL_SUCCESS) {
    if (cooperative) release_cooperative(stream, static_cast<uint32_t>(g.groups));
    return enqueue_failed(f, status);
  }
  if (cooperative) {
    auto* launch = new CooperativeLaunch{stream, static_cast<uint32_t>(g.groups)};
    if (cl().clSetEventCallback(done, CL_COMPLETE, cooperative_finished, launch) != CL_SUCCESS) {
      // Without a callback its end cannot be seen: give the slots back now rather than
      // hold them (and make context_destroy wait) forever.
      log(RK_LOG_LEVEL_WARN, "opencl: clSetEventCallback failed; residency of '" + f.name + "' is not tracked");
      cooperative_finished(done, CL_COMPLETE, launch);
    }
  }
  remember_and_flush(stream, done);
  return RK_SUCCESS;
}

}  // namespace

rk_result launch(rk_backend_stream stream, rk_backend_function function, const rk_launch_config* config,
                 const rk_kernel_arg* args, uint32_t arg_count) {
  if (stream == nullptr || function == nullptr) return fail(RK_ERROR_INVALID_ARGUMENT, "stream and function must be set");
  Geometry geometry;
  if (rk_result r = plan_geometry(config, *function, geometry); r != RK_SUCCESS) return r;
  bool cooperative = (config->flags & RK_LAUNCH_COOPERATIVE) != 0;
  std::lock_guard lock(function->launch_mutex);
  if (rk_result r = set_args(*function, args, arg_count); r != RK_SUCCESS) return r;
  if (rk_result r = share_svm(*function, *stream->context); r != RK_SUCCESS) return r;
  Device& device = *stream->context->device;
  if (cooperative)
    if (rk_result r = reserve_residency(device, geometry.groups); r != RK_SUCCESS) return r;
  if (stream->context->clock) stream->context->clock->refresh();
  return enqueue(stream, *function, geometry, cooperative);  // gives the residency back if it fails
}

}  // namespace rk::opencl
