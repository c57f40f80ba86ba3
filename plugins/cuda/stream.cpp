// Streams: one non-blocking CUstream each. A persistent ring kernel holds its stream for its
// whole life, which is why the runtime gives each ring kernel a stream of its own.
#include "cuda.hpp"

namespace rk::cuda {
namespace {

// A failed asynchronous command (a faulting kernel) surfaces here; the context is then
// unusable, as CUDA makes it sticky.
rk_result stream_status(CUresult status, const char* what) {
  if (status == CUDA_SUCCESS) return RK_SUCCESS;
  if (status == CUDA_ERROR_NOT_READY) return fail(RK_ERROR_NOT_READY, "cuda: stream still running");
  return fail_cu(RK_ERROR_LAUNCH_FAILED, what, status);
}

}  // namespace

rk_result stream_create(rk_backend_context context, rk_backend_stream* stream) {
  if (context == nullptr || stream == nullptr) return fail(RK_ERROR_INVALID_ARGUMENT, "context and stream must be set");
  if (rk_result r = bind(context); r != RK_SUCCESS) return r;
  CUstream handle = nullptr;
  CUresult status = cu().cuStreamCreate(&handle, CU_STREAM_NON_BLOCKING);
  if (status != CUDA_SUCCESS) return fail_cu(RK_ERROR_INTERNAL, "cuStreamCreate", status);
  *stream = new rk_backend_stream_s{context, handle};
  return RK_SUCCESS;
}

rk_result stream_destroy(rk_backend_stream stream) {
  if (stream == nullptr) return RK_SUCCESS;
  if (rk_result r = bind(stream->context); r != RK_SUCCESS) return r;
  // Like cpu_sim: queued work finishes first (cuStreamDestroy alone would not wait).
  cu().cuStreamSynchronize(stream->stream);
  CUresult status = cu().cuStreamDestroy(stream->stream);
  delete stream;
  return status == CUDA_SUCCESS ? RK_SUCCESS : fail_cu(RK_ERROR_INTERNAL, "cuStreamDestroy", status);
}

rk_result stream_synchronize(rk_backend_stream stream) {
  if (stream == nullptr) return fail(RK_ERROR_INVALID_ARGUMENT, "stream must not be NULL");
  if (rk_result r = bind(stream->context); r != RK_SUCCESS) return r;
  return stream_status(cu().cuStreamSynchronize(stream->stream), "cuStreamSynchronize");
}

rk_result stream_query(rk_backend_stream stream) {
  if (stream == nullptr) return fail(RK_ERROR_INVALID_ARGUMENT, "stream must not be NULL");
  if (rk_result r = bind(stream->context); r != RK_SUCCESS) return r;
  return stream_status(cu().cuStreamQuery(stream->stream), "cuStreamQuery");
}

}  // namespace rk::cuda
