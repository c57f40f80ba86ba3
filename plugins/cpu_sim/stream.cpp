// cpu_sim streams: in-order work on one worker thread, like a GPU stream. A failure of
// queued work (a launch that could not start its threads) is kept and reported by the next
// synchronize or query, as a GPU reports an asynchronous fault.
#include "cpu_sim.hpp"

namespace rk::cpu_sim {
namespace {

bool idle(const rk_backend_stream_s& s) { return s.work.empty() && !s.busy; }

void run_worker(rk_backend_stream s) {
  std::unique_lock lock(s->mutex);
  for (;;) {
    s->changed.wait(lock, [s] { return s->stopping || !s->work.empty(); });
    if (s->work.empty()) return;  // stopping, and everything queued has run
    StreamJob job = std::move(s->work.front());
    s->work.pop_front();
    s->busy = true;
    lock.unlock();
    std::string failure = job();
    lock.lock();
    if (s->failure.empty()) s->failure = std::move(failure);
    s->busy = false;
    s->changed.notify_all();
  }
}

// Hands the kept failure to this thread's last error, once. Caller holds the mutex.
rk_result take_failure(rk_backend_stream_s& s) {
  if (s.failure.empty()) return RK_SUCCESS;
  rk_result r = fail(RK_ERROR_LAUNCH_FAILED, std::move(s.failure));
  s.failure.clear();
  return r;
}

}  // namespace

rk_result stream_create(rk_backend_context, rk_backend_stream* stream) {
  if (stream == nullptr) return fail(RK_ERROR_INVALID_ARGUMENT, "stream out-pointer is NULL");
  auto* s = new rk_backend_stream_s();
  try {
    s->worker = std::thread(run_worker, s);
  } catch (const std::system_error& e) {
    delete s;
    return fail(RK_ERROR_OUT_OF_MEMORY, std::string("cpu_sim: cannot start a stream thread: ") + e.what());
  }
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
  stream->changed.wait(lock, [stream] { return idle(*stream); });
  return take_failure(*stream);
}

rk_result stream_query(rk_backend_stream stream) {
  if (stream == nullptr) return fail(RK_ERROR_INVALID_ARGUMENT, "stream is NULL");
  std::lock_guard lock(stream->mutex);
  if (!idle(*stream)) return RK_ERROR_NOT_READY;
  return take_failure(*stream);
}

void stream_enqueue(rk_backend_stream stream, StreamJob job) {
  {
    std::lock_guard lock(stream->mutex);
    stream->work.push_back(std::move(job));
  }
  stream->changed.notify_all();
}

}  // namespace rk::cpu_sim
