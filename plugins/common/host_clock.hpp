// The device's wall clock for backends whose kernel language has none (OpenCL C, and so
// SPIR-V for Level Zero): one int64 of CLOCK_REALTIME nanoseconds in memory the device
// reads while it runs (fine-grained SVM, host USM). Kernels read it at an address compiled
// into their source (RK_OPENCL_CLOCK_WORD, see plugins/opencl/prelude/). It is rewritten at
// every launch, and every kRefresh by a thread while a persistent (cooperative) launch runs.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>

namespace rk::plugin_common {

class HostClock {
 public:
  static constexpr std::chrono::microseconds kRefresh{50};

  // `word`: a 128-byte line of device-visible memory the clock owns from now on (kernels
  // poll it, nothing else should share the line); `release` frees it when the clock goes.
  HostClock(int64_t* word, std::function<void(void*)> release);
  ~HostClock();
  HostClock(const HostClock&) = delete;
  HostClock& operator=(const HostClock&) = delete;

  void* word() const { return word_; }
  void refresh();
  // A persistent launch started / finished: the refresh thread runs while any is live.
  void persistent_started();
  void persistent_finished();

 private:
  void run();

  int64_t* word_;
  std::function<void(void*)> release_;
  std::mutex mutex_;
  std::condition_variable changed_;
  uint32_t persistent_ = 0;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace rk::plugin_common
