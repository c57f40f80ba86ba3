// K2K suite: what one kernel-to-kernel hop costs, on the selected backend
// (RINGKERNEL_BACKEND). Two views:
// - chain: the host asks kernel A, which answers itself (1 kernel) or forwards to B over K2K,
//   which answers the host (2 kernels); the difference of the medians is one hop, host
//   included (three busy parties: on a 2-core machine this measures oversubscription too);
// - ping-pong: one host message starts 1000 hops between A and B, and only the last one
//   answers the host, so each sample / 1000 is one hop with the host waiting, not polling;
// - all-to-all: four kernels each sending to all three others, with 1024-slot and 2-slot
//   inboxes (the small ones exercise the outbox), in K2K messages per second.
#include <chrono>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <ringkernel/ringkernel.hpp>

#include "bench.hpp"
#include "k2k_kernels.hpp"

namespace rk::bench {
namespace {

using Clock = std::chrono::steady_clock;

struct Hop {
  static constexpr uint32_t type_id = 7;
  uint64_t value;
};


// Round trips host -> first -> ... -> last -> host; answers come from `last`.
std::vector<double> chain_round_trips(rk::Kernel& first, rk::Kernel& last, uint64_t count) {
  std::vector<double> samples;
  for (uint64_t i = 0; i < count + 500; ++i) {
    auto start = Clock::now();
    first.send(Hop{i});
    auto reply = last.receive<Hop>(1'000'000'000);
    if (!reply || reply->message.value != i) throw std::runtime_error("k2k chain lost a message");
    if (i >= 500) samples.push_back(std::chrono::duration<double, std::nano>(Clock::now() - start).count());
  }
  return samples;
}

// All-to-all: a host message makes its kernel send 4 messages to each of its 3 peers;
// K2K messages are counted. Four such kernels, every one sending to every other.
struct Round {
  static constexpr uint32_t type_id = 9;
  uint64_t value;
};

const char* const kAllToAll = R"(
RK_INLINE int32_t rk_handler(rk_ctx* ctx, rk_global const rk_msg_header* msg, rk_global const uint8_t* payload) {
  uint64_t value = *(rk_global const uint64_t*)payload;
  if (msg->type_id != 9u) return RK_SUCCESS;
  for (uint32_t peer = 0u; peer < 3u; ++peer)
    for (uint32_t k = 0u; k < 4u; ++k) {
      int32_t sent = rk_send_to_kernel_wait(ctx, rk_peer(ctx, peer), 10u, &value, 8u);
      if (sent != RK_SUCCESS) return sent;
    }
  return RK_SUCCESS;
})";

constexpr uint64_t kSendsPerRound = 12;

// K2K messages per second, one sample per batch of rounds (each kernel gets `rounds`).
std::vector<double> all_to_all_rates(rk::Runtime& runtime, uint32_t inbox, uint64_t rounds, uint64_t batches) {
  std::vector<rk::Kernel> kernels;
  std::vector<std::string> names;
  for (int i = 0; i < 4; ++i) names.push_back("bench_a2a_" + std::to_string(inbox) + "_" + std::to_string(i));
  for (int i = 0; i < 4; ++i) {
    rk::KernelSpec spec = forward_spec(names[i], {}, kAllToAll);
    spec.inbox_capacity = inbox;
    spec.input_capacity = 1024;
    for (int j = 0; j < 4; ++j)
      if (j != i) spec.peers.push_back(names[j]);
    kernels.push_back(runtime.launch(spec));
  }
  std::vector<double> rates;
  int64_t processed = 0;
  for (uint64_t b = 0; b < batches + 1; ++b) {
    auto start = Clock::now();
    for (uint64_t r = 0; r < rounds; ++r)
      for (auto& k : kernels) k.send(Round{r});
    processed += static_cast<int64_t>(rounds * (1 + kSendsPerRound));
    for (auto& k : kernels)
      while (k.status().messages_processed < processed) std::this_thread::yield();
    double seconds = std::chrono::duration<double>(Clock::now() - start).count();
    if (b > 0) rates.push_back(double(4 * rounds * kSendsPerRound) / seconds / 1e6);  // batch 0 warms up
  }
  for (auto& k : kernels) {
    if (k.status().k2k_refused != 0) throw std::runtime_error("all-to-all: a K2K send was refused");
    k.terminate();
  }
  return rates;
}

ResultRow row_of(const std::string& name, const std::string& backend, std::vector<double> samples) {
  ResultRow row;
  row.suite = "k2k";
  row.name = name + " (" + backend + ")";
  row.unit = "ns";
  row.higher_is_better = false;
  row.set("backend", backend);
  summarize(row, std::move(samples));
  return row;
}

std::vector<ResultRow> k2k_suite(const Options& options) {
  uint64_t count = options.messages ? options.messages : (options.quick ? 2000 : 30000);
  rk::Runtime runtime;
  std::string backend = runtime.backend();
  ResultRow one, two;
  {
    rk::Kernel solo = runtime.launch(forward_spec("bench_k2k_solo", {}));
    one = row_of("host -> A -> host", backend, chain_round_trips(solo, solo, count));
    solo.terminate();
  }
  {
    rk::Kernel b = runtime.launch(forward_spec("bench_k2k_b", {}));
    rk::Kernel a = runtime.launch(forward_spec("bench_k2k_a", {"bench_k2k_b"}));
    two = row_of("host -> A -K2K-> B -> host", backend, chain_round_trips(a, b, count));
    a.terminate();
    b.terminate();
  }
  two.set("one_k2k_hop_ns_p50", two.median - one.median);
  ResultRow volley;
  {
    rk::Kernel b = runtime.launch(forward_spec("bench_volley_b", {}, kVolley));
    rk::Kernel a = runtime.launch(forward_spec("bench_volley_a", {"bench_volley_b"}, kVolley));
    volley = row_of("A <-K2K-> B ping-pong, per hop", backend, volley_hops(a, options.quick ? 20 : 200));
    volley.set("hops_per_sample", double(kVolleyHops));
    a.terminate();
    b.terminate();
  }
  std::vector<ResultRow> rows{one, two, volley};
  uint64_t rounds = options.quick ? 200 : 2000, batches = options.quick ? 3 : 9;
  for (uint32_t inbox : {1024u, 2u}) {
    ResultRow row = row_of("all-to-all, 4 kernels, " + std::to_string(inbox) + "-slot inboxes", backend,
                           all_to_all_rates(runtime, inbox, rounds, batches));
    row.unit = "M msg/s";
    row.higher_is_better = true;
    row.set("inbox_slots", double(inbox));
    rows.push_back(row);
  }
  rows.back().set("ratio_to_1024_slots_p50", rows.back().median / rows[rows.size() - 2].median);
  return rows;
}

SuiteRegistration k2k_registration{"k2k", "latency one kernel-to-kernel hop adds", k2k_suite};

}  // namespace
}  // namespace rk::bench
