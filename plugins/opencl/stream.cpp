// Streams are in-order command queues. Query looks at the last command enqueued;
// synchronize is clFinish, plus the completion callbacks of cooperative launches.
#include "opencl.hpp"

namespace rk::opencl {
namespace {

bool cooperative_callbacks_pending(rk_backend_stream stream) {
  std::lock_guard lock(stream->context->cooperative_mutex);
  return stream->cooperative_pending != 0;
}

// CL_COMPLETE, a running state, or a negative error of the stream's newest command.
cl_int last_command_state(rk_backend_stream stream) {
  std::lock_guard lock(stream->last_mutex);
  if (stream->last == nullptr) return CL_COMPLETE;
  cl_int execution = CL_QUEUED;
  cl_int status = cl().clGetEventInfo(stream->last, CL_EVENT_COMMAND_EXECUTION_STATUS, sizeof(execution), &execution, nullptr);
  return status != CL_SUCCESS ? status : execution;
}

void forget_last(rk_backend_stream stream) {
  std::lock_guard lock(stream->last_mutex);
  if (stream->last) cl().clReleaseEvent(stream->last);
  stream->last = nullptr;
}

}  // namespace

void remember_and_flush(rk_backend_stream stream, cl_event event) {
  {
    std::lock_guard lock(stream->last_mutex);
    if (stream->last) cl().clReleaseEvent(stream->last);
    stream->last = event;
  }
  cl().clFlush(stream->queue);  // else a driver may hold the command until the next synchronize
}

// Callbacks run on a driver thread shortly after the command completes; clFinish does not
// wait for them.
void wait_for_cooperative_callbacks(rk_backend_stream stream) {
  rk_backend_context c = stream->context;
  std::unique_lock lock(c->cooperative_mutex);
  c->cooperative_done.wait(lock, [stream] { return stream->cooperative_pending == 0; });
}

rk_result stream_create(rk_backend_context context, rk_backend_stream* stream) {
  if (context == nullptr || stream == nullptr) return fail(RK_ERROR_INVALID_ARGUMENT, "context and stream must be set");
  cl_int status = CL_SUCCESS;
  cl_command_queue queue = make_queue(context, status);
  if (queue == nullptr) return fail(RK_ERROR_OUT_OF_MEMORY, "opencl: clCreateCommandQueue failed: " + cl_error_name(status));
  auto* created = new rk_backend_stream_s();
  created->context = context;
  created->queue = queue;
  *stream = created;
  return RK_SUCCESS;
}

rk_result stream_destroy(rk_backend_stream stream) {
  if (stream == nullptr) return RK_SUCCESS;
  cl().clFinish(stream->queue);  // queued work finishes first, as destroying a GPU stream does
  wait_for_cooperative_callbacks(stream);
  forget_last(stream);
  cl().clReleaseCommandQueue(stream->queue);
  delete stream;
  return RK_SUCCESS;
}

rk_result stream_synchronize(rk_backend_stream stream) {
  if (stream == nullptr) return fail(RK_ERROR_INVALID_ARGUMENT, "stream is NULL");
  cl_int status = cl().clFinish(stream->queue);
  if (status != CL_SUCCESS) return fail(RK_ERROR_LAUNCH_FAILED, "opencl: clFinish: " + cl_error_name(status));
  wait_for_cooperative_callbacks(stream);
  cl_int last = last_command_state(stream);
  if (last < 0) {
    forget_last(stream);  // reported once
    return fail(RK_ERROR_LAUNCH_FAILED, "opencl: work on the stream failed: " + cl_error_name(last));
  }
  return RK_SUCCESS;
}

rk_result stream_query(rk_backend_stream stream) {
  if (stream == nullptr) return fail(RK_ERROR_INVALID_ARGUMENT, "stream is NULL");
  cl_int last = last_command_state(stream);
  if (last < 0) {
    forget_last(stream);
    return fail(RK_ERROR_LAUNCH_FAILED, "opencl: work on the stream failed: " + cl_error_name(last));
  }
  return last == CL_COMPLETE && !cooperative_callbacks_pending(stream) ? RK_SUCCESS : RK_ERROR_NOT_READY;
}

}  // namespace rk::opencl
