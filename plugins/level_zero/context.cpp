// One ze_context per device context, its synchronous command list for blocking copies, and
// its clock word in host USM (ring kernels read the time there, see common/host_clock.hpp).
#include "level_zero.hpp"

namespace rk::level_zero {
namespace {

void release(rk_backend_context c) {
  c->clock.reset();  // stops its thread and frees the word while the context still exists
  if (c->sync_list) ze().zeCommandListDestroy(c->sync_list);
  if (c->context) ze().zeContextDestroy(c->context);
  delete c;
}

rk_result create_sync_list(rk_backend_context c) {
  ze_command_queue_desc_t desc;
  desc.ordinal = c->device->compute_ordinal;
  desc.mode = ZE_COMMAND_QUEUE_MODE_SYNCHRONOUS;
  ze_result_t status = ze().zeCommandListCreateImmediate(c->context, c->device->handle, &desc, &c->sync_list);
  return status == ZE_RESULT_SUCCESS ? RK_SUCCESS
                                     : fail_ze(RK_ERROR_BACKEND_UNAVAILABLE, "zeCommandListCreateImmediate", status);
}

rk_result create_clock(rk_backend_context c) {
  ze_host_mem_alloc_desc_t desc;
  void* word = nullptr;
  // One 128-byte line of its own: kernels poll it, nothing else should share the line.
  ze_result_t status = ze().zeMemAllocHost(c->context, &desc, 128, 128, &word);
  if (status != ZE_RESULT_SUCCESS) return fail_ze(RK_ERROR_OUT_OF_MEMORY, "zeMemAllocHost of the clock word", status);
  ze_context_handle_t context = c->context;
  c->clock = std::make_unique<HostClock>(static_cast<int64_t*>(word),
                                         [context](void* pointer) { ze().zeMemFree(context, pointer); });
  return RK_SUCCESS;
}

}  // namespace

rk_result context_create(uint32_t device, rk_backend_context* context) {
  Device* d = device_at(device);
  if (context == nullptr || d == nullptr)
    return fail(RK_ERROR_INVALID_ARGUMENT, "no Level Zero device " + std::to_string(device) + " (probe first)");
  auto* c = new rk_backend_context_s();
  c->device = d;
  ze_context_desc_t desc;
  if (ze_result_t status = ze().zeContextCreate(d->driver, &desc, &c->context); status != ZE_RESULT_SUCCESS) {
    release(c);
    return fail_ze(RK_ERROR_BACKEND_UNAVAILABLE, std::string("zeContextCreate for '") + d->info.name + "'", status);
  }
  rk_result r = create_sync_list(c);
  if (r == RK_SUCCESS && d->ring_kernels) r = create_clock(c);
  if (r != RK_SUCCESS) {
    release(c);
    return r;
  }
  *context = c;
  return RK_SUCCESS;
}

rk_result context_destroy(rk_backend_context context) {
  if (context != nullptr) release(context);
  return RK_SUCCESS;
}

}  // namespace rk::level_zero
