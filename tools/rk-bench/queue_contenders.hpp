// The contenders of the queue suite: our SPSC (in batches and one by one) and MPSC, and
// boost::lockfree::spsc_queue and moodycamel::ReaderWriterQueue, all moving the same
// 64-byte messages through the same capacity and waiting the same way when full / empty.
// Each has produce(messages) for the producer thread and consume(messages, result) for
// the consumer thread.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <thread>

#include <boost/lockfree/spsc_queue.hpp>
#include <readerwriterqueue/readerwriterqueue.h>

#include "core/queue/host_queue.hpp"
#include "core/queue/queue_init.hpp"

namespace rk::bench::queue_suite {

using Clock = std::chrono::steady_clock;

constexpr uint32_t kCapacity = 4096;
constexpr uint32_t kBatch = 32;

struct alignas(64) Msg64 {
  uint64_t sequence;
  uint64_t data[7];
};
static_assert(sizeof(Msg64) == 64);

inline Msg64 make_message(uint64_t sequence) {
  Msg64 m;
  m.sequence = sequence;
  for (uint64_t i = 0; i < 7; ++i) m.data[i] = sequence + i;
  return m;
}

// What a consumer learned: messages out of order (should be 0) and a sum so reads stay.
struct alignas(128) ConsumerResult {
  uint64_t out_of_order = 0;
  uint64_t sum = 0;
  Clock::time_point done;
};

// Every contender waits the same way when full / empty: a few pauses, then a yield, so a
// side whose partner was descheduled gives the core back instead of spinning out its slice.
class Backoff {
 public:
  void wait() {
    if (++spins_ < 64) return rk_pause();
    spins_ = 0;
    std::this_thread::yield();
  }

 private:
  int spins_ = 0;
};

// Every consumer reads the whole message, as a real one does: summing one word let -O3
// drop the copy out of the boost and moodycamel slots (their pop is inlined whole) but
// not out of ours (a memcpy before a release store), so the queues did unequal work.
inline void check(ConsumerResult& result, const Msg64& m, uint64_t expected) {
  result.out_of_order += m.sequence != expected;
  uint64_t sum = 0;
  for (uint64_t word : m.data) sum += word;
  result.sum += sum;
}

// ---- the queues under test --------------------------------------------------------------

// Our queue in 128-aligned memory, identity-mapped as on cpu_sim.
class RkQueueMemory {
 public:
  explicit RkQueueMemory(uint32_t kind)
      : memory_(static_cast<uint8_t*>(std::aligned_alloc(core::kQueueAlign, core::queue_bytes(kCapacity, 64, kind)))) {
    core::queue_init(memory_.get(), reinterpret_cast<uintptr_t>(memory_.get()), kCapacity, 64, kind);
    queue_ = core::HostQueue(reinterpret_cast<rk_queue_header*>(memory_.get()), core::AddressMap::identity());
    if (queue_.status() != RK_SUCCESS) throw std::runtime_error("queue_init produced an unusable queue");
  }
  const core::HostQueue& queue() const { return queue_; }

 private:
  struct Free {
    void operator()(uint8_t* p) const { std::free(p); }
  };
  std::unique_ptr<uint8_t, Free> memory_;
  core::HostQueue queue_;
};

// Reserve / publish and peek / release up to `batch` slots at a time.
class RkSpscBatch {
 public:
  explicit RkSpscBatch(uint32_t batch) : memory_(RK_QUEUE_SPSC), batch_(batch) {}

  void produce(uint64_t messages) {
    Backoff backoff;
    core::HostQueue q = memory_.queue();  // a view: each thread its own copy, in registers
    for (uint64_t sent = 0; sent < messages;) {
      core::QueueSpan span = q.spsc_try_reserve(static_cast<uint32_t>(std::min<uint64_t>(batch_, messages - sent)));
      if (!span) {
        backoff.wait();
        continue;
      }
      for (uint32_t i = 0; i < span.count; ++i) {
        const Msg64 m = make_message(sent + i);
        std::memcpy(q.slot(span.index + i), &m, sizeof m);
      }
      q.spsc_publish(span.end());  // one release store for the whole batch
      sent += span.count;
    }
  }

  void consume(uint64_t messages, ConsumerResult& result) {
    Backoff backoff;
    core::HostQueue q = memory_.queue();  // a view: each thread its own copy, in registers
    for (uint64_t received = 0; received < messages;) {
      core::QueueSpan span = q.spsc_peek(batch_);
      if (!span) {
        backoff.wait();
        continue;
      }
      for (uint32_t i = 0; i < span.count; ++i) {
        Msg64 m;
        std::memcpy(&m, q.slot(span.index + i), sizeof m);
        check(result, m, received + i);
      }
      q.spsc_release(span.end());
      received += span.count;
    }
  }

 private:
  RkQueueMemory memory_;
  uint32_t batch_;
};

// One message per reserve / publish and per peek / release: the per-message cost.
class RkSpscSingle {
 public:
  RkSpscSingle() : memory_(RK_QUEUE_SPSC) {}

  void produce(uint64_t messages) {
    Backoff backoff;
    core::HostQueue q = memory_.queue();  // a view: each thread its own copy, in registers
    for (uint64_t sent = 0; sent < messages;) {
      core::QueueSpan span = q.spsc_try_reserve(1);
      if (!span) {
        backoff.wait();
        continue;
      }
      const Msg64 m = make_message(sent++);
      std::memcpy(q.slot(span.index), &m, sizeof m);
      q.spsc_publish(span.index + 1);
    }
  }

  void consume(uint64_t messages, ConsumerResult& result) {
    Backoff backoff;
    core::HostQueue q = memory_.queue();  // a view: each thread its own copy, in registers
    for (uint64_t received = 0; received < messages;) {
      core::QueueSpan span = q.spsc_peek(1);
      if (!span) {
        backoff.wait();
        continue;
      }
      Msg64 m;
      std::memcpy(&m, q.slot(span.index), sizeof m);
      q.spsc_release(span.index + 1);
      check(result, m, received++);
    }
  }

 private:
  RkQueueMemory memory_;
};

class RkMpsc {
 public:
  RkMpsc() : memory_(RK_QUEUE_MPSC) {}

  void produce(uint64_t messages) {
    Backoff backoff;
    core::HostQueue q = memory_.queue();  // a view: each thread its own copy, in registers
    for (uint64_t sent = 0; sent < messages;) {
      core::QueueSpan span = q.mpsc_try_claim();
      if (!span) {
        backoff.wait();
        continue;
      }
      const Msg64 m = make_message(sent++);
      std::memcpy(q.slot(span.index), &m, sizeof m);
      q.mpsc_publish(span.index);
    }
  }

  void consume(uint64_t messages, ConsumerResult& result) {
    Backoff backoff;
    core::HostQueue q = memory_.queue();  // a view: each thread its own copy, in registers
    for (uint64_t received = 0; received < messages;) {
      core::QueueSpan span = q.mpsc_peek();
      if (!span) {
        backoff.wait();
        continue;
      }
      Msg64 m;
      std::memcpy(&m, q.slot(span.index), sizeof m);
      q.mpsc_release(span.index);
      check(result, m, received++);
    }
  }

 private:
  RkQueueMemory memory_;
};

class BoostSpsc {
 public:
  void produce(uint64_t messages) {
    Backoff backoff;
    for (uint64_t sent = 0; sent < messages;) {
      if (queue_.push(make_message(sent))) ++sent;
      else backoff.wait();
    }
  }
  void consume(uint64_t messages, ConsumerResult& result) {
    Backoff backoff;
    Msg64 m;
    for (uint64_t received = 0; received < messages;) {
      if (queue_.pop(m)) check(result, m, received++);
      else backoff.wait();
    }
  }

 private:
  boost::lockfree::spsc_queue<Msg64, boost::lockfree::capacity<kCapacity>> queue_;
};

class MoodycamelRwq {
 public:
  void produce(uint64_t messages) {
    Backoff backoff;
    for (uint64_t sent = 0; sent < messages;) {
      if (queue_.try_enqueue(make_message(sent))) ++sent;  // never allocates: fixed capacity
      else backoff.wait();
    }
  }
  void consume(uint64_t messages, ConsumerResult& result) {
    Backoff backoff;
    Msg64 m;
    for (uint64_t received = 0; received < messages;) {
      if (queue_.try_dequeue(m)) check(result, m, received++);
      else backoff.wait();
    }
  }

 private:
  moodycamel::ReaderWriterQueue<Msg64> queue_{kCapacity};
};

}  // namespace rk::bench::queue_suite
