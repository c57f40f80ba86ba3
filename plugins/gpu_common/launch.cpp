// launch: the driver's kernel launch, or its cooperative launch for RK_LAUNCH_COOPERATIVE
// (ring kernels: every block resident at once). Asynchronous: returns once queued.
#include <vector>

#include "gpu_common/gpu.hpp"

namespace rk::gpu {
namespace {

rk_result check_shape(rk_backend_function f, const rk_launch_config& c) {
  for (int d = 0; d < 3; ++d)
    if (c.grid[d] == 0 || c.block[d] == 0)
      return fail(RK_ERROR_INVALID_ARGUMENT, prefixed("launch of '" + f->name + "' has a zero grid or block dimension"));
  uint64_t threads = uint64_t(c.block[0]) * c.block[1] * c.block[2];
  if (f->max_threads > 0 && threads > uint64_t(f->max_threads))
    return fail(RK_ERROR_INVALID_ARGUMENT, prefixed("block of " + std::to_string(threads) + " threads exceeds '" +
                                                    f->name + "''s limit of " + std::to_string(f->max_threads)));
  const Device& device = *f->module->context->device;
  if (c.shared_memory_bytes > device.info.max_shared_memory_bytes)
    return fail(RK_ERROR_INVALID_ARGUMENT, prefixed(std::to_string(c.shared_memory_bytes) +
                                                    " bytes of dynamic shared memory exceed the device's " +
                                                    std::to_string(device.info.max_shared_memory_bytes)));
  return RK_SUCCESS;
}

// The launch takes one pointer per parameter, to the parameter's bytes. Buffers become their
// device address (kept in `pointers`, reserved so its addresses stay put).
rk_result marshal(const rk_kernel_arg* args, uint32_t count, std::vector<DevicePtr>& pointers,
                  std::vector<void*>& params) {
  pointers.reserve(count);
  for (uint32_t i = 0; i < count; ++i) {
    const rk_kernel_arg& a = args[i];
    std::string which = prefixed("argument " + std::to_string(i));
    if (a.kind == RK_ARG_BUFFER) {
      if (a.buffer == nullptr) return fail(RK_ERROR_INVALID_ARGUMENT, which + " is a NULL buffer");
      pointers.push_back(a.buffer->device);
      params.push_back(&pointers.back());
    } else if (a.kind == RK_ARG_VALUE || a.kind == RK_ARG_DEVICE_ADDRESS) {
      // A device address is a uint64 passed as a pointer parameter: the same 8 bytes.
      if (a.value == nullptr) return fail(RK_ERROR_INVALID_ARGUMENT, which + " has no value");
      if (a.kind == RK_ARG_DEVICE_ADDRESS && a.size != 0 && a.size != sizeof(uint64_t))
        return fail(RK_ERROR_INVALID_ARGUMENT, which + ": a device address is 8 bytes");
      params.push_back(const_cast<void*>(a.value));
    } else {
      return fail(RK_ERROR_INVALID_ARGUMENT, which + " has an unknown kind");
    }
  }
  return RK_SUCCESS;
}

// CUDA needs an opt-in above 48 KiB of dynamic shared memory; HIP has no such step.
rk_result opt_in_shared(rk_backend_function f, uint32_t bytes) {
  const DriverConstants& k = kBackend.constants;
  if (bytes <= k.default_dynamic_shared || api().function_set_attribute == nullptr) return RK_SUCCESS;
  Status status = api().function_set_attribute(f->function, k.function_max_dynamic_shared, static_cast<int>(bytes));
  return succeeded(status) ? RK_SUCCESS : fail_status(RK_ERROR_INVALID_ARGUMENT, "opting in to dynamic shared memory", status);
}

rk_result launch_status(rk_backend_function f, Status status) {
  if (succeeded(status)) return RK_SUCCESS;
  std::string what = "launching '" + f->name + "'";
  if (status == kBackend.status.invalid_value || status == kBackend.status.launch_out_of_resources)
    return fail_status(RK_ERROR_INVALID_ARGUMENT, what, status);
  return fail_status(RK_ERROR_LAUNCH_FAILED, what, status);  // e.g. COOPERATIVE_LAUNCH_TOO_LARGE
}

}  // namespace

rk_result launch(rk_backend_stream stream, rk_backend_function function, const rk_launch_config* config,
                 const rk_kernel_arg* args, uint32_t arg_count) {
  if (stream == nullptr || function == nullptr || config == nullptr || (args == nullptr && arg_count > 0))
    return fail(RK_ERROR_INVALID_ARGUMENT, "stream, function and config must be set");
  const rk_launch_config& c = *config;
  if (rk_result r = check_shape(function, c); r != RK_SUCCESS) return r;
  std::vector<DevicePtr> pointers;
  std::vector<void*> params;
  if (rk_result r = marshal(args, arg_count, pointers, params); r != RK_SUCCESS) return r;
  if (rk_result r = bind(stream->context); r != RK_SUCCESS) return r;
  if (rk_result r = opt_in_shared(function, c.shared_memory_bytes); r != RK_SUCCESS) return r;
  void** p = params.empty() ? nullptr : params.data();
  // A one-block grid is co-resident by itself, so it takes the plain launch even when asked
  // for a cooperative one: a cooperative launch may keep other kernels off the device while
  // it runs, and a ring kernel (one block, for its whole life) would keep every later ring
  // kernel from starting.
  const bool one_block = c.grid[0] == 1 && c.grid[1] == 1 && c.grid[2] == 1;
  Status status =
      (c.flags & RK_LAUNCH_COOPERATIVE) && !one_block
          ? api().launch_cooperative_kernel(function->function, c.grid[0], c.grid[1], c.grid[2], c.block[0],
                                            c.block[1], c.block[2], c.shared_memory_bytes, stream->stream, p)
          : api().launch_kernel(function->function, c.grid[0], c.grid[1], c.grid[2], c.block[0], c.block[1],
                                c.block[2], c.shared_memory_bytes, stream->stream, p, nullptr);
  return launch_status(function, status);
}

}  // namespace rk::gpu
