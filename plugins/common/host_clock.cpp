#include "common/host_clock.hpp"

#include <ctime>

namespace rk::plugin_common {
namespace {

int64_t realtime_ns() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}

}  // namespace

HostClock::HostClock(int64_t* word, std::function<void(void*)> release) : word_(word), release_(std::move(release)) {
  refresh();
  thread_ = std::thread([this] { run(); });
}

HostClock::~HostClock() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  changed_.notify_all();
  thread_.join();
  if (release_) release_(word_);
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

}  // namespace rk::plugin_common
