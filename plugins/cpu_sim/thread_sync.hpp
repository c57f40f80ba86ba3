// The two rendezvous a launch needs: a block's reusable barrier (rk_sync_threads) and a
// start gate that holds a grid's threads until all of them exist.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <mutex>

namespace rk::cpu_sim {

// A reusable generation barrier. Mutex + condition variable rather than spinning: a block
// may have 1024 threads on a 2-core machine, and ThreadSanitizer understands it.
class Barrier {
 public:
  explicit Barrier(uint32_t count) : count_(count) {}

  void wait() {
    std::unique_lock lock(mutex_);
    uint64_t generation = generation_;
    if (++arrived_ == count_) {
      arrived_ = 0;
      ++generation_;
      released_.notify_all();
      return;
    }
    released_.wait(lock, [&] { return generation_ != generation; });
  }

  // rk_cpu_thread_info::sync entries.
  static void sync(void* barrier) { static_cast<Barrier*>(barrier)->wait(); }
  static void sync_alone(void*) {}  // a block of one thread, or threads run in turn: nothing to wait for

 private:
  std::mutex mutex_;
  std::condition_variable released_;
  uint32_t count_;
  uint32_t arrived_ = 0;
  uint64_t generation_ = 0;
};

// Threads of a launch wait here before touching any barrier: if creating a later thread
// fails, the ones already running leave instead of waiting forever for a missing peer.
class StartGate {
 public:
  // True: go. False: the launch was abandoned.
  bool wait() {
    std::unique_lock lock(mutex_);
    opened_.wait(lock, [this] { return state_ != State::closed; });
    return state_ == State::go;
  }
  void open() { set(State::go); }
  void abandon() { set(State::abandoned); }

 private:
  enum class State { closed, go, abandoned };
  void set(State state) {
    {
      std::lock_guard lock(mutex_);
      state_ = state;
    }
    opened_.notify_all();
  }

  std::mutex mutex_;
  std::condition_variable opened_;
  State state_ = State::closed;
};

}  // namespace rk::cpu_sim
