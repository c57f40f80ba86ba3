// Streams: one asynchronous command queue each. Every operation is a command list closed
// and executed on it; zeCommandQueueSynchronize waits (timeout: forever) or polls (0).
#include <cstdint>

#include "level_zero.hpp"

namespace rk::level_zero {
namespace {

// Lists the queue has finished (every submission up to `sequence`) are no longer read by
// the device: destroy them. Cooperative launches among them have ended: the clock may rest.
void retire(rk_backend_stream stream, uint64_t sequence) {
  std::lock_guard lock(stream->mutex);
  HostClock* clock = stream->context->clock.get();
  auto done = stream->in_flight.begin();
  for (; done != stream->in_flight.end() && done->sequence <= sequence; ++done) {
    ze().zeCommandListDestroy(done->list);
    if (done->persistent && clock) clock->persistent_finished();
  }
  stream->in_flight.erase(stream->in_flight.begin(), done);
}

// Waits up to `timeout_ns` for everything submitted so far.
rk_result wait(rk_backend_stream stream, uint64_t timeout_ns) {
  uint64_t sequence = 0;
  {
    std::lock_guard lock(stream->mutex);
    sequence = stream->submitted;
  }
  // Not under the mutex: a persistent kernel may hold the queue for a long time, and
  // zeCommandQueueSynchronize may be called from several threads.
  ze_result_t status = ze().zeCommandQueueSynchronize(stream->queue, timeout_ns);
  if (status == ZE_RESULT_NOT_READY) return fail(RK_ERROR_NOT_READY, "level_zero: the stream still has work running");
  if (status != ZE_RESULT_SUCCESS) return fail_ze(RK_ERROR_LAUNCH_FAILED, "zeCommandQueueSynchronize", status);
  retire(stream, sequence);
  return RK_SUCCESS;
}

}  // namespace

rk_result stream_create(rk_backend_context context, rk_backend_stream* stream) {
  if (context == nullptr || stream == nullptr) return fail(RK_ERROR_INVALID_ARGUMENT, "context and stream must be set");
  ze_command_queue_desc_t desc;
  desc.ordinal = context->device->compute_ordinal;
  desc.mode = ZE_COMMAND_QUEUE_MODE_ASYNCHRONOUS;
  ze_command_queue_handle_t queue = nullptr;
  ze_result_t status = ze().zeCommandQueueCreate(context->context, context->device->handle, &desc, &queue);
  if (status != ZE_RESULT_SUCCESS) return fail_ze(RK_ERROR_BACKEND_UNAVAILABLE, "zeCommandQueueCreate", status);
  *stream = new rk_backend_stream_s();
  (*stream)->context = context;
  (*stream)->queue = queue;
  return RK_SUCCESS;
}

rk_result stream_destroy(rk_backend_stream stream) {
  if (stream == nullptr) return RK_SUCCESS;
  // The device may still read the lists: on failure, leak rather than free them under it.
  if (rk_result r = wait(stream, UINT64_MAX); r != RK_SUCCESS) return r;
  ze().zeCommandQueueDestroy(stream->queue);
  delete stream;
  return RK_SUCCESS;
}

rk_result stream_synchronize(rk_backend_stream stream) {
  if (stream == nullptr) return fail(RK_ERROR_INVALID_ARGUMENT, "stream is NULL");
  return wait(stream, UINT64_MAX);
}

rk_result stream_query(rk_backend_stream stream) {
  if (stream == nullptr) return fail(RK_ERROR_INVALID_ARGUMENT, "stream is NULL");
  return wait(stream, 0);
}

rk_result open_list(rk_backend_stream stream, ze_command_list_handle_t& list) {
  ze_command_list_desc_t desc;
  desc.commandQueueGroupOrdinal = stream->context->device->compute_ordinal;
  ze_result_t status =
      ze().zeCommandListCreate(stream->context->context, stream->context->device->handle, &desc, &list);
  return status == ZE_RESULT_SUCCESS ? RK_SUCCESS : fail_ze(RK_ERROR_OUT_OF_MEMORY, "zeCommandListCreate", status);
}

rk_result submit(rk_backend_stream stream, ze_command_list_handle_t list, bool persistent) {
  ze_result_t status = ze().zeCommandListClose(list);
  std::lock_guard lock(stream->mutex);
  if (status == ZE_RESULT_SUCCESS) status = ze().zeCommandQueueExecuteCommandLists(stream->queue, 1, &list, nullptr);
  if (status != ZE_RESULT_SUCCESS) {
    ze().zeCommandListDestroy(list);
    return fail_ze(RK_ERROR_LAUNCH_FAILED, "zeCommandQueueExecuteCommandLists", status);
  }
  stream->in_flight.push_back({++stream->submitted, list, persistent});
  return RK_SUCCESS;
}

}  // namespace rk::level_zero
