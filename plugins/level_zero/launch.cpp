// Launch: group size, arguments, then zeCommandListAppendLaunchKernel (or the cooperative
// form for RK_LAUNCH_COOPERATIVE) on a command list executed on the stream's queue. Level
// Zero captures the group size and argument values at append time, so a function's launch
// mutex covers set + append only.
#include "level_zero.hpp"

namespace rk::level_zero {
namespace {

rk_result check_config(const rk_backend_function_s& function, const rk_launch_config& config, uint32_t arg_count) {
  for (int d = 0; d < 3; ++d)
    if (config.grid[d] == 0 || config.block[d] == 0)
      return fail(RK_ERROR_INVALID_ARGUMENT, "level_zero: grid and block dimensions must be non-zero");
  // OpenCL C takes dynamic local memory only as a __local kernel parameter, which the
  // dialect has not got (RK_SHARED_ARRAY works).
  if (config.shared_memory_bytes > 0)
    return fail(RK_ERROR_UNSUPPORTED, "level_zero: dynamic shared memory is not supported (use RK_SHARED_ARRAY)");
  uint64_t threads = uint64_t{config.block[0]} * config.block[1] * config.block[2];
  uint32_t limit = function.module->context->device->info.max_block_size;
  if (limit > 0 && threads > limit)
    return fail(RK_ERROR_INVALID_ARGUMENT, "level_zero: a block of " + std::to_string(threads) +
                                               " threads exceeds the device's " + std::to_string(limit));
  if (function.arg_count != arg_count)
    return fail(RK_ERROR_INVALID_ARGUMENT, "level_zero: kernel '" + function.name + "' takes " +
                                               std::to_string(function.arg_count) + " arguments, " +
                                               std::to_string(arg_count) + " given");
  if ((config.flags & RK_LAUNCH_COOPERATIVE) && !function.module->context->device->cooperative)
    return fail(RK_ERROR_UNSUPPORTED, "level_zero: the device runs no cooperative kernels");
  return RK_SUCCESS;
}

// Buffers and device addresses are USM pointers, passed by value as 8-byte pointer arguments.
rk_result set_argument(ze_kernel_handle_t kernel, uint32_t index, const rk_kernel_arg& arg) {
  const void* value = arg.value;
  size_t size = arg.size;
  void* pointer = nullptr;
  if (arg.kind == RK_ARG_BUFFER) {
    if (arg.buffer == nullptr) return fail(RK_ERROR_INVALID_ARGUMENT, "argument " + std::to_string(index) + ": NULL buffer");
    pointer = arg.buffer->pointer;
  } else if (arg.kind == RK_ARG_DEVICE_ADDRESS) {
    if (arg.value == nullptr || arg.size != sizeof(uint64_t))
      return fail(RK_ERROR_INVALID_ARGUMENT, "argument " + std::to_string(index) + ": a device address is 8 bytes");
    pointer = reinterpret_cast<void*>(static_cast<uintptr_t>(*static_cast<const uint64_t*>(arg.value)));
  } else if (arg.kind != RK_ARG_VALUE || (arg.value == nullptr && arg.size > 0)) {
    return fail(RK_ERROR_INVALID_ARGUMENT, "argument " + std::to_string(index) + ": unknown kind or NULL value");
  }
  if (arg.kind != RK_ARG_VALUE) {
    value = &pointer;
    size = sizeof(pointer);
  }
  ze_result_t status = ze().zeKernelSetArgumentValue(kernel, index, size, value);
  if (status == ZE_RESULT_SUCCESS) return RK_SUCCESS;
  return fail_ze(RK_ERROR_INVALID_ARGUMENT, "argument " + std::to_string(index) + " (" + std::to_string(size) + " bytes)",
                 status);
}

// A cooperative grid must fit on the device at once, or it would wait for itself forever.
rk_result check_cooperative_fit(const rk_backend_function_s& function, const ze_group_count_t& groups) {
  uint32_t most = 0;
  ze_result_t status = ze().zeKernelSuggestMaxCooperativeGroupCount(function.kernel, &most);
  if (status != ZE_RESULT_SUCCESS) return fail_ze(RK_ERROR_LAUNCH_FAILED, "zeKernelSuggestMaxCooperativeGroupCount", status);
  uint64_t wanted = uint64_t{groups.groupCountX} * groups.groupCountY * groups.groupCountZ;
  if (wanted <= most) return RK_SUCCESS;
  return fail(RK_ERROR_LAUNCH_FAILED, "level_zero: a cooperative launch of " + std::to_string(wanted) +
                                          " work-groups does not fit; the device holds " + std::to_string(most));
}

rk_result append(rk_backend_function function, const rk_launch_config& config, const rk_kernel_arg* args,
                 uint32_t arg_count, ze_command_list_handle_t list) {
  bool cooperative = (config.flags & RK_LAUNCH_COOPERATIVE) != 0;
  ze_group_count_t groups{config.grid[0], config.grid[1], config.grid[2]};
  std::lock_guard lock(function->launch_mutex);
  ze_result_t status = ze().zeKernelSetGroupSize(function->kernel, config.block[0], config.block[1], config.block[2]);
  if (status != ZE_RESULT_SUCCESS) return fail_ze(RK_ERROR_INVALID_ARGUMENT, "zeKernelSetGroupSize", status);
  for (uint32_t i = 0; i < arg_count; ++i)
    if (rk_result r = set_argument(function->kernel, i, args[i]); r != RK_SUCCESS) return r;
  if (cooperative) {
    if (rk_result r = check_cooperative_fit(*function, groups); r != RK_SUCCESS) return r;
    status = ze().zeCommandListAppendLaunchCooperativeKernel(list, function->kernel, &groups, nullptr, 0, nullptr);
  } else {
    status = ze().zeCommandListAppendLaunchKernel(list, function->kernel, &groups, nullptr, 0, nullptr);
  }
  return status == ZE_RESULT_SUCCESS ? RK_SUCCESS : fail_ze(RK_ERROR_LAUNCH_FAILED, "append launch", status);
}

}  // namespace

rk_result launch(rk_backend_stream stream, rk_backend_function function, const rk_launch_config* config,
                 const rk_kernel_arg* args, uint32_t arg_count) {
  if (stream == nullptr || function == nullptr || config == nullptr || (args == nullptr && arg_count > 0))
    return fail(RK_ERROR_INVALID_ARGUMENT, "stream, function, config and args must be set");
  if (rk_result r = check_config(*function, *config, arg_count); r != RK_SUCCESS) return r;
  ze_command_list_handle_t list = nullptr;
  if (rk_result r = open_list(stream, list); r != RK_SUCCESS) return r;
  if (rk_result r = append(function, *config, args, arg_count, list); r != RK_SUCCESS) {
    ze().zeCommandListDestroy(list);
    return r;
  }
  bool persistent = (config->flags & RK_LAUNCH_COOPERATIVE) != 0;
  HostClock* clock = stream->context->clock.get();
  if (clock) persistent ? clock->persistent_started() : clock->refresh();
  rk_result r = submit(stream, list, persistent && clock);
  if (r != RK_SUCCESS && persistent && clock) clock->persistent_finished();
  return r;
}

}  // namespace rk::level_zero
