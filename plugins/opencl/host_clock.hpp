// The device's wall clock. OpenCL C cannot read a clock, so each context keeps one int64
// of CLOCK_REALTIME nanoseconds in fine-grained SVM; kernels read it (rk_clock_ns in the
// prelude, at the address compiled in as RK_OPENCL_CLOCK_WORD). It is rewritten at every
// launch, and every kRefresh by a thread while a persistent (cooperative) launch runs.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "cl_api.hpp"

namespace rk::opencl {

class HostClock {
 public:
  static constexpr std::chrono::microseconds kRefresh{50};

  // nullptr with `error` set when the SVM word cannot be allocated.
  static std::unique_ptr<HostClock> create(cl_context context, std::string& error);
  ~HostClock();
  HostClock(const HostClock&) = delete;
  HostClock& operator=(const HostClock&) = delete;

  void* word() const { return word_; }
  void refresh();
  // A persistent launch started / finished: the refresh thread runs while any is live.
  void persistent_started();
  void persistent_finished();

 private:
  HostClock(cl_context context, int64_t* word);
  void run();

  cl_context context_;
  int64_t* word_;
  std::mutex mutex_;
  std::condition_variable changed_;
  uint32_t persistent_ = 0;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace rk::opencl
