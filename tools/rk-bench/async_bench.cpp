// The "async" suite: request/reply latency and throughput through the blocking
// rk_kernel_request beside async requests through the message bridge (docs/bridge.md),
// one in flight and 64 in flight, each once more with the submitting thread running the
// bridge's passes while it waits (rk_runtime_progress). Each row's median/p99 is
// per-request latency in ns; `throughput_M_msg_s` is requests completed per second over
// the whole run.
#include <atomic>
#include <chrono>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <ringkernel/ringkernel.hpp>

#include "bench.hpp"

namespace rk::bench {
namespace {

using Clock = std::chrono::steady_clock;

using Ping = EchoPing;
const char* const kEcho = kEchoSource;

double ns_between(Clock::time_point a, Clock::time_point b) { return std::chrono::duration<double, std::nano>(b - a).count(); }

// One async request's bookkeeping; the bridge thread writes `latency_ns`, then `done`.
struct InFlight {
  Clock::time_point start;
  double latency_ns = 0;
  rk_result result = RK_SUCCESS;
  std::atomic<uint32_t>* outstanding = nullptr;
};

void on_reply(void* self, rk_result result, const rk_msg_header*, const void*, uint32_t) noexcept {
  auto* request = static_cast<InFlight*>(self);
  request->latency_ns = ns_between(request->start, Clock::now());
  request->result = result;
  request->outstanding->fetch_sub(1, std::memory_order_release);  // publishes the fields above
}

// How the submitter waits for completions: about as the library's blocking request waits
// for its reply (runtime/kernel_receive.cpp: 64 attempts at the queue, a few microseconds
// here, then yields): it spins 5 us, then yields. So the rows differ in how a reply reaches
// the caller, not in how the caller waits. (A yield is a system call, costlier on this VM
// than a whole reply: a waiter that yields at once measures its own wake-ups.)
template <class Done>
void wait_until(Done done) {
  if (done()) return;
  const auto spin_until = Clock::now() + std::chrono::microseconds(5);
  for (uint32_t round = 1; !done(); ++round) {
    if (round % 16 != 0 || Clock::now() < spin_until) continue;
    std::this_thread::yield();
  }
}

struct Measured {
  std::vector<double> latencies;
  double seconds = 0;
};

Measured sync_requests(rk::Kernel& kernel, uint64_t count) {
  Measured m;
  m.latencies.reserve(count);
  Ping ping{};
  auto begin = Clock::now();
  for (uint64_t i = 0; i < count; ++i) {
    ping.value = i;
    auto start = Clock::now();
    kernel.request<Ping>(ping);
    m.latencies.push_back(ns_between(start, Clock::now()));
  }
  m.seconds = ns_between(begin, Clock::now()) / 1e9;
  return m;
}

// While `below` is not yet true: with `drive`, the submitter runs a bridge pass at each
// look (rk_runtime_progress), so completions run on its thread instead of the kernel's or
// the bridge's. It submits without a pass while the window has room, as a program that
// drives progress only when it has nothing else to do.
template <class Below>
void wait_for_room(rk_runtime drive, Below below) {
  if (drive == nullptr || below()) return wait_until(below);
  wait_until([&] {
    rk::check(rk_runtime_progress(drive, nullptr), "progress");
    return below();
  });
}

Measured async_requests(rk::Kernel& kernel, uint64_t count, uint32_t window, rk_runtime drive = nullptr) {
  std::vector<InFlight> requests(count);
  std::atomic<uint32_t> outstanding{0};
  Ping ping{};
  rk_request_options options = RK_REQUEST_OPTIONS_INIT;
  options.timeout_ns = 60'000'000'000ull;
  auto below = [&outstanding](uint32_t limit) {
    return [&outstanding, limit] { return outstanding.load(std::memory_order_acquire) < limit; };
  };
  auto begin = Clock::now();
  for (uint64_t i = 0; i < count; ++i) {
    wait_for_room(drive, below(window));
    InFlight& request = requests[i];
    request.outstanding = &outstanding;
    ping.value = i;
    outstanding.fetch_add(1, std::memory_order_relaxed);  // only this thread adds
    request.start = Clock::now();
    rk::check(rk_kernel_request_async(kernel.get(), Ping::type_id, &ping, sizeof(ping), &options, &on_reply, &request),
              "request_async");
  }
  wait_for_room(drive, below(1));
  Measured m;
  m.seconds = ns_between(begin, Clock::now()) / 1e9;
  for (const InFlight& request : requests) {
    if (request.result != RK_SUCCESS) throw std::runtime_error("an async request failed in the benchmark");
    m.latencies.push_back(request.latency_ns);
  }
  return m;
}

ResultRow row_for(const std::string& name, const Measured& m, uint64_t count, const std::string& backend) {
  ResultRow row;
  row.suite = "async";
  row.name = name;
  row.unit = "ns";
  row.higher_is_better = false;
  summarize(row, m.latencies);
  row.set("throughput_M_msg_s", double(count) / m.seconds / 1e6).set("requests", double(count)).set("backend", backend);
  return row;
}

std::vector<ResultRow> async_suite(const Options& options) {
  uint64_t count = options.messages ? options.messages : (options.quick ? 2000 : 50000);
  rk::Runtime runtime;
  rk::KernelSpec spec;
  spec.name = "bench_async_echo";
  spec.source = kEcho;
  spec.input_capacity = 256;
  spec.output_capacity = 256;
  spec.max_payload_size = 64;
  rk::Kernel sync_echo = runtime.launch(spec);
  spec.name = "bench_async_echo_bridge";  // its own kernel: the sync row never meets the bridge
  rk::Kernel async_echo = runtime.launch(spec);
  sync_requests(sync_echo, 1000);  // warm up both
  async_requests(async_echo, 1000, 1);
  std::vector<ResultRow> rows;
  rows.push_back(row_for("sync request", sync_requests(sync_echo, count), count, runtime.backend()));
  rows.push_back(row_for("async request, 1 in flight", async_requests(async_echo, count, 1), count, runtime.backend()));
  rows.push_back(row_for("async request, 1 in flight, caller drives progress",
                         async_requests(async_echo, count, 1, runtime.get()), count, runtime.backend()));
  rows.push_back(row_for("async requests, 64 in flight", async_requests(async_echo, count, 64), count, runtime.backend()));
  rows.push_back(row_for("async requests, 64 in flight, caller drives progress",
                         async_requests(async_echo, count, 64, runtime.get()), count, runtime.backend()));
  return rows;
}

SuiteRegistration async_registration{"async",
                                     "request/reply: blocking beside async through the bridge (1 and 64 in flight, "
                                     "and each with the caller driving progress)",
                                     async_suite};

}  // namespace
}  // namespace rk::bench
