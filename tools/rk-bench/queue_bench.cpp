// Queue suite: one producer thread and one consumer thread move 64-byte messages through
// queues of the same capacity (queue_contenders.hpp). Runs are interleaved, each round in
// a fresh random order, so drift and whatever a run leaves behind hit every queue alike;
// the ratio rows compare runs taken moments apart.
#include <pthread.h>
#include <sched.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <memory>
#include <random>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "bench.hpp"
#include "queue_contenders.hpp"

namespace rk::bench {
namespace {

using namespace queue_suite;

// ---- one timed run ----------------------------------------------------------------------

// Both threads get ready, then start together; the clock runs from "go" to the consumer's
// last message. Waiting threads yield: on a 2-core machine a spinning waiter would steal
// the core the other needs.
struct alignas(128) StartLine {
  std::atomic<int> ready{0};
  alignas(128) std::atomic<bool> go{false};

  void arrive_and_wait() {
    ready.fetch_add(1, std::memory_order_acq_rel);
    while (!go.load(std::memory_order_acquire)) std::this_thread::yield();
  }
};

// The producer and the consumer each get a CPU of their own: the first two the process may
// run on (none when it has fewer). Unpinned on a 2-vCPU machine a run was sometimes time-
// sliced on one CPU (each side fills or drains the whole queue in its slice, no cache line
// moves) and sometimes spread over two, runs of one queue were 3-4x apart, and how often
// each happened differed by queue: the medians compared luck. Pinned, every run measures
// the queue between two cores, as between a host thread and a busy kernel.
struct QueueCpus {
  int producer = -1, consumer = -1;
};

QueueCpus first_two_cpus() {
  cpu_set_t allowed;
  if (sched_getaffinity(0, sizeof allowed, &allowed) != 0) return {};
  QueueCpus cpus;
  for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu) {
    if (!CPU_ISSET(cpu, &allowed)) continue;
    if (cpus.producer < 0) cpus.producer = cpu;
    else return QueueCpus{cpus.producer, cpu};
  }
  return {};
}

// Read once: every run and every row's description use the same two.
const QueueCpus& queue_cpus() {
  static const QueueCpus cpus = first_two_cpus();
  return cpus;
}

void pin_this_thread(int cpu) {
  if (cpu < 0) return;
  cpu_set_t only;
  CPU_ZERO(&only);
  CPU_SET(cpu, &only);
  pthread_setaffinity_np(pthread_self(), sizeof only, &only);  // best effort: a refusal leaves it unpinned
}

// Throughput in M msgs/s; throws if a message came out of order (the queue is broken).
template <class Queue, class... Args>
double run_once(uint64_t messages, Args... args) {
  auto queue = std::make_unique<Queue>(args...);
  StartLine start;
  ConsumerResult result;
  const QueueCpus& cpus = queue_cpus();
  std::thread consumer([&] {
    pin_this_thread(cpus.consumer);
    start.arrive_and_wait();
    queue->consume(messages, result);
    result.done = Clock::now();
  });
  std::thread producer([&] {
    pin_this_thread(cpus.producer);
    start.arrive_and_wait();
    queue->produce(messages);
  });
  while (start.ready.load(std::memory_order_acquire) < 2) std::this_thread::yield();
  const Clock::time_point begin = Clock::now();
  start.go.store(true, std::memory_order_release);
  producer.join();
  consumer.join();
  if (result.out_of_order != 0) throw std::runtime_error("queue benchmark: messages arrived out of order");
  const double seconds = std::chrono::duration<double>(result.done - begin).count();
  return static_cast<double>(messages) / seconds / 1e6;
}

struct Contender {
  const char* name;
  const char* impl;
  uint32_t batch;
  double (*run)(uint64_t messages);
};

const Contender kContenders[] = {
    {"spsc_rk_batch32", "ringkernel rk_spsc (reserve/publish 32 at a time)", kBatch,
     [](uint64_t n) { return run_once<RkSpscBatch>(n, kBatch); }},
    {"spsc_rk_single", "ringkernel rk_spsc (one message per reserve/publish)", 1,
     [](uint64_t n) { return run_once<RkSpscSingle>(n); }},
    {"spsc_boost_lockfree", "boost::lockfree::spsc_queue push/pop, capacity<4096>", 1,
     [](uint64_t n) { return run_once<BoostSpsc>(n); }},
    {"spsc_moodycamel_rwq", "moodycamel::ReaderWriterQueue try_enqueue/try_dequeue, 4096", 1,
     [](uint64_t n) { return run_once<MoodycamelRwq>(n); }},
    {"mpsc_rk_1producer", "ringkernel rk_mpsc (Vyukov), one producer, claim/publish each", 1,
     [](uint64_t n) { return run_once<RkMpsc>(n); }},
};
constexpr size_t kCount = sizeof kContenders / sizeof kContenders[0];
constexpr size_t kFirstPeer = 2, kLastPeer = 3;  // boost and moodycamel

ResultRow make_row(const char* name, const char* unit, const std::vector<double>& samples, uint64_t messages) {
  ResultRow row;
  row.suite = "queue";
  row.name = name;
  row.unit = unit;
  summarize(row, samples);
  row.set("capacity", kCapacity).set("message_bytes", 64.0).set("messages_per_run", static_cast<double>(messages));
  const QueueCpus& cpus = queue_cpus();
  row.set("threads", cpus.producer < 0 ? std::string("1 producer + 1 consumer, unpinned (fewer than 2 CPUs)")
                                       : "1 producer + 1 consumer, pinned to CPUs " + std::to_string(cpus.producer) +
                                             " and " + std::to_string(cpus.consumer));
  return row;
}

// Our queue's throughput over the faster peer's, run by run (same conditions each run).
ResultRow ratio_row(const char* name, const std::vector<double>& ours, const std::vector<std::vector<double>>& all,
                    uint64_t messages) {
  std::vector<double> ratios;
  for (size_t r = 0; r < ours.size(); ++r) {
    double best_peer = 0;
    for (size_t p = kFirstPeer; p <= kLastPeer; ++p) best_peer = std::max(best_peer, all[p][r]);
    ratios.push_back(ours[r] / best_peer);
  }
  return make_row(name, "x", ratios, messages).set("over", "faster of boost and moodycamel in the same run");
}

std::vector<ResultRow> queue_suite(const Options& options) {
  const int runs = options.runs > 0 ? options.runs : (options.quick ? 5 : 15);
  const uint64_t messages = options.messages > 0 ? options.messages : (options.quick ? 500'000 : 5'000'000);
  for (const Contender& c : kContenders) c.run(messages / 10);  // warm-up: page faults, clocks
  std::vector<std::vector<double>> samples(kCount);
  // Each round runs the contenders in a fresh random order: whatever a run leaves behind
  // (it measurably slows the next one) falls on every queue alike, not on one neighbour.
  std::mt19937 shuffle_random(20261124u);
  std::vector<size_t> order(kCount);
  for (size_t i = 0; i < kCount; ++i) order[i] = i;
  for (int r = 0; r < runs; ++r) {
    std::shuffle(order.begin(), order.end(), shuffle_random);
    for (size_t i : order) samples[i].push_back(kContenders[i].run(messages));
  }
  std::vector<ResultRow> rows;
  for (size_t i = 0; i < kCount; ++i) {
    rows.push_back(make_row(kContenders[i].name, "M msgs/s", samples[i], messages)
                       .set("impl", kContenders[i].impl)
                       .set("batch", kContenders[i].batch));
  }
  rows.push_back(ratio_row("spsc_rk_batch32_vs_best_peer", samples[0], samples, messages));
  rows.push_back(ratio_row("spsc_rk_single_vs_best_peer", samples[1], samples, messages));
  return rows;
}

const SuiteRegistration kQueueSuite{"queue", "SPSC/MPSC throughput, 64-byte messages, vs boost and moodycamel",
                                    queue_suite};

}  // namespace
}  // namespace rk::bench
