// Streams: one non-blocking stream each. A persistent ring kernel holds its stream for its
// whole life, which is why the runtime gives each ring kernel a stream of its own.
#include "gpu_common/gpu.hpp"

namespace rk::gpu {
namespace {

// A failed asynchronous command (a faulting kernel) surfaces here; CUDA and HIP make it
// sticky for the context.
rk_result stream_status(Status status, const char* what) {
  if (succeeded(status)) return RK_SUCCESS;
  if (status == kBackend.status.not_ready) return fail(RK_ERROR_NOT_READY, prefixed("stream still running"));
  return fail_status(RK_ERROR_LAUNCH_FAILED, what, status);
}

}  // namespace

rk_result stream_create(rk_backend_context context, rk_backend_stream* stream) {
  if (context == nullptr || stream == nullptr) return fail(RK_ERROR_INVALID_ARGUMENT, "context and stream must be set");
  if (rk_result r = bind(context); r != RK_SUCCESS) return r;
  Stream handle = nullptr;
  Status status = api().stream_create(&handle, kBackend.constants.stream_non_blocking);
  if (!succeeded(status)) return fail_status(RK_ERROR_INTERNAL, "creating a stream", status);
  *stream = new rk_backend_stream_s{context, handle};
  track_stream(context, handle);
  return RK_SUCCESS;
}

rk_result stream_destroy(rk_backend_stream stream) {
  if (stream == nullptr) return RK_SUCCESS;
  if (rk_result r = bind(stream->context); r != RK_SUCCESS) return r;
  // Like cpu_sim: queued work finishes first (destroying alone would not wait), and a
  // kernel that faulted is reported, not lost with the stream.
  rk_result finished = stream_status(api().stream_synchronize(stream->stream), "finishing a stream's work");
  Status status = api().stream_destroy(stream->stream);
  untrack_stream(stream->context, stream->stream);  // may be the last running kernel's stream
  delete stream;
  if (finished != RK_SUCCESS) return finished;
  return succeeded(status) ? RK_SUCCESS : fail_status(RK_ERROR_INTERNAL, "destroying a stream", status);
}

rk_result stream_synchronize(rk_backend_stream stream) {
  if (stream == nullptr) return fail(RK_ERROR_INVALID_ARGUMENT, "stream must not be NULL");
  if (rk_result r = bind(stream->context); r != RK_SUCCESS) return r;
  return stream_status(api().stream_synchronize(stream->stream), "synchronizing a stream");
}

rk_result stream_query(rk_backend_stream stream) {
  if (stream == nullptr) return fail(RK_ERROR_INVALID_ARGUMENT, "stream must not be NULL");
  if (rk_result r = bind(stream->context); r != RK_SUCCESS) return r;
  return stream_status(api().stream_query(stream->stream), "querying a stream");
}

}  // namespace rk::gpu
