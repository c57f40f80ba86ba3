// Async requests through the bridge: pipelined with a bounded number in flight, every
// reply matched to its request; completions that send again; blocking calls from a
// completion refused instead of deadlocking.
#include <cstring>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "bridge_test_support.hpp"

using namespace ringtest;
using namespace bridgetest;

namespace {

constexpr uint64_t kHangGuardNs = 120'000'000'000ull;  // only stops a hung test

struct Pipeline {
  std::vector<Completion> slots;
  std::atomic<uint32_t> in_flight{0};
  explicit Pipeline(size_t n) : slots(n) {}
};

struct PipelinedRequest {
  Pipeline* pipeline;
  size_t index;
};

void on_pipelined_reply(void* self, rk_result result, const rk_msg_header* header, const void* payload,
                        uint32_t size) noexcept {
  auto* request = static_cast<PipelinedRequest*>(self);
  Pipeline* pipeline = request->pipeline;
  Completion::record(&pipeline->slots[request->index], result, header, payload, size);
  pipeline->in_flight.fetch_sub(1, std::memory_order_release);
}

// Sends `n` requests with at most `window` in flight; checks each reply answers its own.
void run_pipelined(rk::Kernel& kernel, size_t n, uint32_t window) {
  Pipeline pipeline(n);
  std::vector<PipelinedRequest> requests(n);
  for (size_t i = 0; i < n; ++i) {
    REQUIRE(wait_until([&] { return pipeline.in_flight.load(std::memory_order_acquire) < window; }));
    requests[i] = {&pipeline, i};
    pipeline.in_flight.fetch_add(1, std::memory_order_relaxed);
    Ping ping{i};
    rk_request_options options = RK_REQUEST_OPTIONS_INIT;
    options.timeout_ns = kHangGuardNs;
    rk_result r = rk_kernel_request_async(kernel.get(), Ping::type_id, &ping, sizeof(ping), &options,
                                          &on_pipelined_reply, &requests[i]);
    REQUIRE(r == RK_SUCCESS);
  }
  REQUIRE(wait_until([&] { return pipeline.in_flight.load(std::memory_order_acquire) == 0; }));
  size_t wrong = 0;
  for (size_t i = 0; i < n; ++i) {
    const Completion& c = pipeline.slots[i];
    if (c.calls.load(std::memory_order_acquire) != 1 || c.result != RK_SUCCESS || c.value != i + 1) ++wrong;
  }
  CHECK(wrong == 0);
  CHECK(kernel.status().late_replies == 0);
}

void async_basics(rk::Runtime& runtime, const std::string& prefix) {
  rk::Kernel echo = runtime.launch(pipelined_echo_spec(prefix + "_basics_echo"));
  run_pipelined(echo, 2000, 64);
  rk::Kernel sink = runtime.launch(sink_spec(prefix + "_basics_sink"));
  Completion timed_out;
  REQUIRE(request_async(sink, 1, 20'000'000, timed_out) == RK_SUCCESS);
  REQUIRE(wait_until([&] { return timed_out.done(); }));
  CHECK(timed_out.result == RK_ERROR_TIMEOUT);
  CHECK(timed_out.error.find("no reply") != std::string::npos);
  std::vector<uint64_t> seen;
  std::atomic<size_t> count{0};
  echo.on_output<Pong>([&](const rk_msg_header&, const Pong& pong) {
    seen.push_back(pong.value);
    count.fetch_add(1, std::memory_order_release);
  });
  for (uint64_t i = 0; i < 200; ++i) echo.send(Ping{i});
  REQUIRE(wait_until([&] { return count.load(std::memory_order_acquire) == 200; }));
  for (uint64_t i = 0; i < 200; ++i) REQUIRE(seen[i] == i + 1);
  CHECK(timed_out.calls.load() == 1);
}

}  // namespace

TEST_CASE("bridge: 100k pipelined async requests with up to 256 in flight, each reply matched", "[bridge]") {
  rk::Kernel echo = runtime().launch(pipelined_echo_spec("bridge_pipelined"));
  run_pipelined(echo, stress_count(100000), 256);
}

// More requests pending than the pending table has slots (core/bridge/pending_requests.hpp):
// the rest wait in its overflow map, and replies and timeouts find them there too.
TEST_CASE("bridge: more requests pending than the pending table's slots", "[bridge]") {
  constexpr size_t kPending = 3000;  // PendingRequests::kSlots is 1024
  rk::KernelSpec spec = pipelined_echo_spec("bridge_overflow_echo");
  spec.input_capacity = 4096;
  spec.output_capacity = 4096;
  rk::Kernel echo = runtime().launch(spec);
  echo.deactivate();  // nothing is answered until all are pending
  std::vector<Completion> replies(kPending);
  for (size_t i = 0; i < kPending; ++i) REQUIRE(request_async(echo, i, kHangGuardNs, replies[i]) == RK_SUCCESS);
  echo.reactivate();
  for (size_t i = 0; i < kPending; ++i) REQUIRE(wait_until([&] { return replies[i].done(); }));
  size_t wrong = 0;
  for (size_t i = 0; i < kPending; ++i)
    if (replies[i].calls.load() != 1 || replies[i].result != RK_SUCCESS || replies[i].value != i + 1) ++wrong;
  CHECK(wrong == 0);

  spec = sink_spec("bridge_overflow_sink");
  spec.input_capacity = 4096;
  rk::Kernel sink = runtime().launch(spec);
  std::vector<Completion> timeouts(kPending);
  for (size_t i = 0; i < kPending; ++i) REQUIRE(request_async(sink, i, 20'000'000, timeouts[i]) == RK_SUCCESS);
  for (size_t i = 0; i < kPending; ++i) REQUIRE(wait_until([&] { return timeouts[i].done(); }));
  size_t not_timed_out = 0;
  for (size_t i = 0; i < kPending; ++i)
    if (timeouts[i].calls.load() != 1 || timeouts[i].result != RK_ERROR_TIMEOUT) ++not_timed_out;
  CHECK(not_timed_out == 0);
}

TEST_CASE("bridge: async basics on cpu_sim", "[bridge]") { async_basics(runtime_for("cpu_sim"), "cpu"); }

TEST_CASE("bridge: async basics on opencl", "[bridge][opencl]") { async_basics(runtime_for("opencl"), "ocl"); }

TEST_CASE("bridge: async basics on cuda", "[bridge][cuda]") { async_basics(runtime_for("cuda"), "cuda"); }

namespace {

struct Chain {
  rk_kernel kernel = nullptr;
  uint64_t target = 0;
  std::atomic<uint64_t> replies{0};
  std::atomic<bool> wrong{false};
  std::atomic<bool> finished{false};
  rk_result reentrant_request = RK_SUCCESS;  // written on the bridge thread before `replies` moves
  rk_result reentrant_receive = RK_SUCCESS;
};

void on_chain_reply(void* self, rk_result result, const rk_msg_header*, const void* payload, uint32_t) noexcept {
  auto* chain = static_cast<Chain*>(self);
  Pong pong{};
  if (result == RK_SUCCESS) std::memcpy(&pong, payload, sizeof(pong));
  uint64_t n = chain->replies.load(std::memory_order_relaxed);
  if (result != RK_SUCCESS || pong.value != n + 1) chain->wrong.store(true);
  if (n == 0) {  // blocking on a kernel the bridge serves, from the bridge: refused, not a deadlock
    Ping ping{0};
    Pong reply{};
    chain->reentrant_request = rk_kernel_request(chain->kernel, Ping::type_id, &ping, sizeof(ping), nullptr, &reply,
                                                 sizeof(reply), nullptr, 1'000'000'000);
    chain->reentrant_receive = rk_kernel_receive(chain->kernel, nullptr, &reply, sizeof(reply), nullptr, 1'000'000'000);
  }
  chain->replies.store(n + 1, std::memory_order_release);
  if (n + 1 == chain->target) {
    chain->finished.store(true, std::memory_order_release);
    return;
  }
  Ping next{n + 1};
  rk_result r = rk_kernel_request_async(chain->kernel, Ping::type_id, &next, sizeof(next), nullptr, &on_chain_reply, chain);
  if (r != RK_SUCCESS) {
    chain->wrong.store(true);
    chain->finished.store(true, std::memory_order_release);
  }
}

}  // namespace

TEST_CASE("bridge: a completion may send the next request; blocking there is refused", "[bridge]") {
  rk::Kernel echo = runtime().launch(echo_spec("bridge_chain"));
  Chain chain;
  chain.kernel = echo.get();
  chain.target = stress_count(2000, 200);
  Ping first{0};
  REQUIRE(rk_kernel_request_async(echo.get(), Ping::type_id, &first, sizeof(first), nullptr, &on_chain_reply, &chain) ==
          RK_SUCCESS);
  REQUIRE(wait_until([&] { return chain.finished.load(std::memory_order_acquire); }));
  CHECK_FALSE(chain.wrong.load());
  CHECK(chain.replies.load(std::memory_order_acquire) == chain.target);
  CHECK(chain.reentrant_request == RK_ERROR_INVALID_STATE);
  CHECK(chain.reentrant_receive == RK_ERROR_INVALID_STATE);
}

TEST_CASE("bridge: request options follow the struct rule; bad arguments are refused without a completion",
          "[bridge]") {
  rk::Kernel echo = runtime().launch(echo_spec("bridge_bad_arguments"));
  Completion c;
  Ping ping{1};
  rk_request_options options = RK_REQUEST_OPTIONS_INIT;
  options.struct_size = 0;
  CHECK(rk_kernel_request_async(echo.get(), Ping::type_id, &ping, sizeof(ping), &options, &Completion::record, &c) ==
        RK_ERROR_INVALID_ARGUMENT);
  CHECK(std::string(rk_last_error()).find("rk_request_options.struct_size") != std::string::npos);
  CHECK(rk_kernel_request_async(echo.get(), Ping::type_id, &ping, sizeof(ping), nullptr, nullptr, nullptr) ==
        RK_ERROR_INVALID_ARGUMENT);
  CHECK(rk_kernel_request_async(nullptr, Ping::type_id, &ping, sizeof(ping), nullptr, &Completion::record, &c) ==
        RK_ERROR_INVALID_ARGUMENT);
  CHECK(rk_kernel_request_async(echo.get(), 0, &ping, sizeof(ping), nullptr, &Completion::record, &c) ==
        RK_ERROR_UNKNOWN_MESSAGE_TYPE);
  CHECK(c.calls.load() == 0);
  // A larger struct from a newer caller is read as far as this library knows it.
  struct Newer {
    rk_request_options known;
    uint64_t unknown_field;
  } newer{RK_REQUEST_OPTIONS_INIT, 7};
  newer.known.struct_size = sizeof(Newer);
  REQUIRE(rk_kernel_request_async(echo.get(), Ping::type_id, &ping, sizeof(ping), &newer.known, &Completion::record,
                                  &c) == RK_SUCCESS);
  REQUIRE(wait_until([&] { return c.done(); }));
  CHECK(c.result == RK_SUCCESS);
  CHECK(c.value == 2);

  rk_kernel_options created_only = RK_KERNEL_OPTIONS_INIT;
  created_only.name = "bridge_created_only";
  created_only.source = kEchoSource;
  rk_kernel created = nullptr;
  REQUIRE(rk_kernel_create(runtime().get(), &created_only, &created) == RK_SUCCESS);
  rk::Kernel not_launched(created);
  CHECK(rk_kernel_set_output_handler(created, [](void*, const rk_msg_header*, const void*, uint32_t) {}, nullptr) ==
        RK_ERROR_INVALID_STATE);
  CHECK(request_async(not_launched, 1, 0, c) == RK_ERROR_INVALID_STATE);
}

// Blocking requests on a kernel that also takes async requests read its output queue
// themselves (runtime/kernel_receive.cpp, drain_for_waiter_locked): replies they drain for
// async requests must still reach those requests' completions, exactly once, and each
// blocking request must get its own reply.
TEST_CASE("bridge: blocking and async requests on one kernel from two threads each get their own replies",
          "[bridge]") {
  rk::Kernel echo = runtime().launch(pipelined_echo_spec("bridge_mixed_echo"));
  const uint64_t blocking = stress_count(3000);
  std::atomic<uint64_t> wrong_blocking{0};
  std::thread requester([&] {
    for (uint64_t i = 0; i < blocking; ++i)
      if (echo.request<Pong>(Ping{1'000'000 + i}, kHangGuardNs).value != 1'000'001 + i) wrong_blocking.fetch_add(1);
  });
  run_pipelined(echo, stress_count(10000), 64);
  requester.join();
  CHECK(wrong_blocking.load() == 0);
  // Nothing left behind for anyone: every reply went to its request.
  rk_msg_header header{};
  Pong pong{};
  CHECK(rk_kernel_receive(echo.get(), &header, &pong, sizeof(pong), nullptr, 0) == RK_ERROR_QUEUE_EMPTY);
}
