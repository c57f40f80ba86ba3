// cpu_sim streams: in-order work on one worker thread, like a GPU stream.
#include "cpu_sim.hpp"

namespace rk::cpu_sim {
namespace {

void run_worker(rk_backend_stream s) {
  std::unique_lock lock(s->mutex);
  for (;;) {
    s->changed.wait(lock, [s] { return s->stopping || !s->work.empty(); });
    if (s->work.empty()) return;  // stopping, and everything queued has run
    std::function<void()> job = std::move(s->work.front());
    s->work.pop_front();
    s->busy = true;
    lock.unlock();
    job();
    lock.lock();
    s->busy = false;
    s->changed.notify_all();
  }
}

}  // namespace

rk_result stream_create(rk_backend_context, rk_backend_stream* stream) {
  if (stream == nullptr) return fail(RK_ERROR_INVALID_ARGUMENT, "stream out-pointer is NULL");
  auto* s = new rk_backend_stream_s();
  s->worker = std::thread(run_worker, s);
  *stream = s;
  return RK_SUCCESS;
}

rk_result stream_destroy(rk_backend_stream stream) {
  if (stream == nullptr) return RK_SUCCESS;
  {
    std::lock_guard lock(stream->mutex);
    stream->stopping = true;
  }
  stream->changed.notify_all();
  stream->worker.join();  // finishes queued work first, as destroying a GPU stream does
  delete stream;
  return RK_SUCCESS;
}

rk_result stream_synchronize(rk_backend_stream stream) {
  if (stream == nullptr) return fail(RK_ERROR_INVALID_ARGUMENT, "stream is NULL");
  std::unique_lock lock(stream->mutex);
  stream->changed.wait(lock, [stream] { return stream->work.empty() && !stream->busy; });
  return RK_SUCCESS;
}

rk_result stream_query(rk_backend_stream stream) {
  if (stream == nullptr) return fail(RK_ERROR_INVALID_ARGUMENT, "stream is NULL");
  std::lock_guard lock(stream->mutex);
  return stream->work.empty() && !stream->busy ? RK_SUCCESS : RK_ERROR_NOT_READY;
}

void stream_enqueue(rk_backend_stream stream, std::function<void()> job) {
  {
    std::lock_guard lock(stream->mutex);
    stream->work.push_back(std::move(job));
  }
  stream->changed.notify_all();
}

}  // namespace rk::cpu_sim
