// Runtime suites: a message through a running ring kernel and back (beside a raw two-queue
// ping-pong between two threads, the floor any runtime pays), echo throughput, and how
// throughput and CPU use behave as 1..64 ring kernels share two cores, idle ones included.
#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <bit>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <thread>
#include <vector>

#include <ringkernel/ringkernel.hpp>

#include "bench.hpp"
#include "core/queue/host_queue.hpp"
#include "core/queue/queue_init.hpp"

namespace rk::bench {
namespace {

using Clock = std::chrono::steady_clock;

using Ping = EchoPing;
const char* const kEcho = kEchoSource;

rk::KernelSpec echo_spec(const std::string& name, uint32_t capacity) {
  rk::KernelSpec spec;
  spec.name = name;
  spec.source = kEcho;
  spec.input_capacity = capacity;
  spec.output_capacity = capacity;
  spec.max_payload_size = 64;
  return spec;
}

ResultRow make_row(const std::string& suite, const std::string& name, const std::string& unit, bool higher_is_better) {
  ResultRow row;
  row.suite = suite;
  row.name = name;
  row.unit = unit;
  row.higher_is_better = higher_is_better;
  return row;
}

double ns_since(Clock::time_point start) {
  return std::chrono::duration<double, std::nano>(Clock::now() - start).count();
}

// ---- (b) round trip ------------------------------------------------------------------

// `trace_capacity` > 0: the kernel built with message tracing (docs/observability.md), its
// trace rings that large; the host then records its sends and receives too.
std::vector<double> runtime_round_trips(rk::Runtime& runtime, uint64_t count, uint32_t trace_capacity = 0) {
  rk::KernelSpec spec = echo_spec(trace_capacity ? "bench_rtt_traced" : "bench_rtt", 64);
  spec.trace = trace_capacity != 0;
  spec.trace_capacity = trace_capacity;
  rk::Kernel echo = runtime.launch(spec);
  Ping ping{};
  for (int i = 0; i < 1000; ++i) echo.request<Ping>(ping);  // warm up
  std::vector<double> samples;
  samples.reserve(count);
  for (uint64_t i = 0; i < count; ++i) {
    ping.value = i;
    auto start = Clock::now();
    echo.send(ping);
    auto reply = echo.receive<Ping>(1'000'000'000);
    samples.push_back(ns_since(start));
    if (!reply || reply->message.value != i) throw std::runtime_error("round trip lost a message");
  }
  echo.terminate();
  return samples;
}

// Two threads and two of our SPSC queues, no runtime: the floor for a round trip. Slots
// hold a message header and are published and found as the runtime does (publish_seq).
std::vector<double> raw_ping_pong(uint64_t count) {
  constexpr uint32_t kCapacity = 64, kSlot = 128;
  size_t bytes = rk::core::queue_bytes(kCapacity, kSlot, RK_QUEUE_SPSC);
  std::vector<uint8_t> memory_a(bytes + 128), memory_b(bytes + 128);
  auto aligned = [](std::vector<uint8_t>& m) { return m.data() + (128 - reinterpret_cast<uintptr_t>(m.data()) % 128) % 128; };
  auto* a = reinterpret_cast<rk_queue_header*>(aligned(memory_a));
  auto* b = reinterpret_cast<rk_queue_header*>(aligned(memory_b));
  rk::core::queue_init(a, reinterpret_cast<uintptr_t>(a), kCapacity, kSlot, RK_QUEUE_SPSC);
  rk::core::queue_init(b, reinterpret_cast<uintptr_t>(b), kCapacity, kSlot, RK_QUEUE_SPSC);
  std::atomic<bool> stop{false};
  std::thread echo([&] {
    while (!stop.load(std::memory_order_relaxed)) {
      rk_reservation in = rk_spsc_peek_msg(a, 1);
      if (in.count == 0) {
        rk_pause();
        continue;
      }
      rk_reservation out = rk_spsc_try_reserve(b, 1);
      if (out.count == 0) continue;
      std::memcpy(rk_queue_slot(b, out.index), rk_queue_slot(a, in.index), kSlot);
      rk_spsc_release(a, in.index + 1);
      rk_spsc_publish_msg(b, out.index);
    }
  });
  std::vector<double> samples;
  samples.reserve(count);
  uint8_t message[kSlot] = {};
  for (uint64_t i = 0; i < count + 1000; ++i) {
    auto start = Clock::now();
    rk_reservation slot;
    while ((slot = rk_spsc_try_reserve(a, 1)).count == 0) rk_pause();
    std::memcpy(rk_queue_slot(a, slot.index), message, kSlot);
    rk_spsc_publish_msg(a, slot.index);
    rk_reservation reply;
    while ((reply = rk_spsc_peek_msg(b, 1)).count == 0) rk_pause();
    std::memcpy(message, rk_queue_slot(b, reply.index), kSlot);
    rk_spsc_release(b, reply.index + 1);
    if (i >= 1000) samples.push_back(ns_since(start));  // the first 1000 warm up
  }
  stop = true;
  echo.join();
  return samples;
}

std::vector<ResultRow> round_trip_suite(const Options& options) {
  uint64_t count = options.messages ? options.messages : (options.quick ? 2000 : 50000);
  rk::Runtime runtime;
  // The raw ping-pong and three ways through a ring kernel, each in a runtime of its own,
  // measured in turns (a round that warms all four up, then five rounds of count / 5 each)
  // so the VM's drifts and bimodal phases fall on all of them alike, the ratio's two sides
  // included: the raw floor; tracing off;
  // tracing on as users get it (8192-record rings the bridge thread collects every ms);
  // and the recording alone (rings large enough for the whole run, collected at the end).
  rk::Runtime tracing;
  setenv("RINGKERNEL_TRACE_COLLECT_US", "0", 1);  // read when a runtime opens
  rk::Runtime uncollected;
  unsetenv("RINGKERNEL_TRACE_COLLECT_US");
  constexpr uint64_t kRounds = 5;
  const uint64_t per_round = std::max<uint64_t>(count / kRounds, 1);
  std::vector<double> raw_all, off, on, recording;
  const uint32_t whole_run = std::bit_ceil(uint32_t(2 * count + 2048));
  for (uint64_t round = 0; round <= kRounds; ++round) {
    auto raw_samples = raw_ping_pong(per_round);
    auto off_samples = runtime_round_trips(runtime, per_round);
    auto on_samples = runtime_round_trips(tracing, per_round, 8192);
    auto recording_samples = runtime_round_trips(uncollected, per_round, whole_run);
    if (round == 0) continue;  // warm-up: the runtimes' first kernels and the raw threads' first run
    raw_all.insert(raw_all.end(), raw_samples.begin(), raw_samples.end());
    off.insert(off.end(), off_samples.begin(), off_samples.end());
    on.insert(on.end(), on_samples.begin(), on_samples.end());
    recording.insert(recording.end(), recording_samples.begin(), recording_samples.end());
  }
  ResultRow raw = make_row("roundtrip", "raw two-queue ping-pong (2 threads, no runtime)", "ns", false);
  summarize(raw, raw_all);
  ResultRow ring = make_row("roundtrip", "host -> ring kernel -> host (" + runtime.backend() + ")", "ns", false);
  summarize(ring, off);
  ring.set("ratio_to_raw_p50", ring.median / raw.median).set("backend", runtime.backend());
  ResultRow traced = make_row("roundtrip", "host -> ring kernel -> host, tracing on (" + runtime.backend() + ")", "ns", false);
  summarize(traced, on);
  ResultRow recorded = make_row("roundtrip", "host -> ring kernel -> host, tracing on, collected at the end (" +
                                                 runtime.backend() + ")", "ns", false);
  summarize(recorded, recording);
  for (ResultRow* row : {&traced, &recorded})
    row->set("ratio_to_off_p50", row->median / ring.median).set("ratio_to_off_p99", row->p99 / ring.p99).set("backend", runtime.backend());
  for (ResultRow* row : {&raw, &ring, &traced, &recorded}) row->set("samples", double(count));
  return {raw, ring, traced, recorded};
}

// ---- (c) echo throughput -------------------------------------------------------------

double echo_throughput(rk::Runtime& runtime, uint64_t messages) {
  rk::Kernel echo = runtime.launch(echo_spec("bench_echo", 4096));
  std::thread receiver([&] {
    for (uint64_t i = 0; i < messages; ++i)
      if (!echo.receive<Ping>(10'000'000'000ull)) throw std::runtime_error("echo lost a message");
  });
  auto start = Clock::now();
  Ping ping{};
  for (uint64_t i = 0; i < messages; ++i) {
    ping.value = i;
    echo.send(ping);
  }
  receiver.join();
  double seconds = ns_since(start) / 1e9;
  echo.terminate();
  return double(messages) / seconds / 1e6;
}

std::vector<ResultRow> echo_suite(const Options& options) {
  uint64_t messages = options.messages ? options.messages : (options.quick ? 50000 : 1'000'000);
  int runs = options.runs ? options.runs : (options.quick ? 3 : 9);
  rk::Runtime runtime;
  std::vector<double> samples;
  for (int r = 0; r < runs; ++r) samples.push_back(echo_throughput(runtime, messages));
  ResultRow row = make_row("echo", "echo ring kernel, host sender + receiver threads", "M msg/s", true);
  summarize(row, samples);
  row.set("messages_per_run", double(messages)).set("backend", runtime.backend());
  return {row};
}

// ---- (d) scaling ----------------------------------------------------------------------

double cpu_seconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

struct Scale {
  double msgs_per_s = 0;
  double busy_cores = 0;
  double idle_core_percent_per_kernel = 0;
  uint64_t starved = 0;  // kernels that processed nothing
};

Scale run_scale(rk::Runtime& runtime, uint32_t kernels, uint64_t per_kernel) {
  std::vector<rk::Kernel> ks;
  for (uint32_t k = 0; k < kernels; ++k) ks.push_back(runtime.launch(echo_spec("bench_scale_" + std::to_string(k), 256)));
  Scale s;
  // Idle: launched and active, no messages. The cost is what the process burns meanwhile.
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // past the spin/yield phase
  double idle_cpu = cpu_seconds();
  auto idle_start = Clock::now();
  std::this_thread::sleep_for(std::chrono::milliseconds(1000));
  s.idle_core_percent_per_kernel = (cpu_seconds() - idle_cpu) / (ns_since(idle_start) / 1e9) * 100.0 / kernels;
  // Busy: one sender round-robins, one receiver drains every kernel.
  std::atomic<bool> done{false};
  std::thread receiver([&] {
    uint64_t left = per_kernel * kernels;
    while (left > 0) {
      uint64_t before = left;
      for (auto& k : ks)
        while (k.receive<Ping>(0)) --left;
      if (left == before) std::this_thread::yield();  // nothing anywhere: leave the core to the kernels
    }
    done = true;
  });
  double busy_cpu = cpu_seconds();
  auto start = Clock::now();
  Ping ping{};
  for (uint64_t i = 0; i < per_kernel; ++i)
    for (auto& k : ks) k.send(ping);
  receiver.join();
  double seconds = ns_since(start) / 1e9;
  s.msgs_per_s = double(per_kernel * kernels) / seconds;
  s.busy_cores = (cpu_seconds() - busy_cpu) / seconds;
  for (auto& k : ks) s.starved += k.telemetry().messages_processed < per_kernel;
  for (auto& k : ks) k.terminate();
  return s;
}

std::vector<ResultRow> scaling_suite(const Options& options) {
  uint64_t per_kernel = options.messages ? options.messages : (options.quick ? 500 : 20000);
  rk::Runtime runtime;
  std::vector<ResultRow> rows;
  for (uint32_t kernels : {1u, 2u, 4u, 8u, 16u, 32u, 64u}) {
    Scale s = run_scale(runtime, kernels, per_kernel);
    ResultRow row = make_row("scaling", std::to_string(kernels) + " ring kernels", "M msg/s", true);
    summarize(row, {s.msgs_per_s / 1e6});
    row.set("kernels", double(kernels))
        .set("busy_cpu_cores", s.busy_cores)
        .set("idle_cpu_percent_of_a_core_per_kernel", s.idle_core_percent_per_kernel)
        .set("kernels_without_progress", double(s.starved))
        .set("backend", runtime.backend());
    rows.push_back(row);
  }
  return rows;
}

SuiteRegistration round_trip_registration{"roundtrip", "host -> ring kernel -> host latency beside a raw ping-pong",
                                          round_trip_suite};
SuiteRegistration echo_registration{"echo", "echo ring kernel throughput", echo_suite};
SuiteRegistration scaling_registration{"scaling", "1..64 ring kernels: throughput, busy and idle CPU", scaling_suite};

}  // namespace
}  // namespace rk::bench
