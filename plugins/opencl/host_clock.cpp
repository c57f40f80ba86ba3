#include "host_clock.hpp"

#include <ctime>

#include "opencl.hpp"

namespace rk::opencl {
namespace {

int64_t realtime_ns() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}

}  // namespace

std::unique_ptr<HostClock> HostClock::create(cl_context context, std::string& error) {
  // One 128-byte line of its own: kernels poll it, nothing else should share the line.
  void* word = cl().clSVMAlloc(context, CL_MEM_READ_WRITE | CL_MEM_SVM_FINE_GRAIN_BUFFER | CL_MEM_SVM_ATOMICS, 128, 128);
  if (word == nullptr) {
    error = "clSVMAlloc of the 128-byte clock word failed";
    return nullptr;
  }
  auto clock = std::unique_ptr<HostClock>(new HostClock(context, static_cast<int64_t*>(word)));
  clock->refresh();
  return clock;
}

HostClock::HostClock(cl_context context, int64_t* word) : context_(context), word_(word) {
  thread_ = std::thread([this] { run(); });
}

HostClock::~HostClock() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  changed_.notify_all();
  thread_.join();
  cl().clSVMFree(context_, word_);
}

void HostClock::refresh() { __atomic_store_n(word_, realtime_ns(), __ATOMIC_RELEASE); }

void HostClock::persistent_started() {
  refresh();
  {
    std::lock_guard lock(mutex_);
    ++persistent_;
  }
  changed_.notify_all();
}

void HostClock::persistent_finished() {
  std::lock_guard lock(mutex_);
  if (persistent_ > 0) --persistent_;
}

// Sleeps while no persistent kernel runs; otherwise refreshes every kRefresh.
void HostClock::run() {
  std::unique_lock lock(mutex_);
  for (;;) {
    changed_.wait(lock, [this] { return stopping_ || persistent_ > 0; });
    if (stopping_) return;
    lock.unlock();
    refresh();
    std::this_thread::sleep_for(kRefresh);
    lock.lock();
  }
}

}  // namespace rk::opencl
