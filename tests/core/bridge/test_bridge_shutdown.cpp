// Destroying a kernel or a runtime with requests pending: every request completes with
// RK_ERROR_TERMINATED, exactly once, before destroy returns; no callback runs after.
#include <vector>

#include "bridge_test_support.hpp"

using namespace ringtest;
using namespace bridgetest;

namespace {

constexpr uint64_t kLongNs = 600'000'000'000ull;

void count_output(void* counter, const rk_msg_header*, const void*, uint32_t) noexcept {
  static_cast<std::atomic<uint64_t>*>(counter)->fetch_add(1, std::memory_order_relaxed);
}

}  // namespace

TEST_CASE("bridge: destroying a kernel completes its pending requests with TERMINATED before it returns",
          "[bridge]") {
  // More than the pending table's 1024 slots: the overflow map's requests end too.
  rk::KernelSpec spec = sink_spec("bridge_destroy_kernel");
  spec.input_capacity = 4096;
  rk::Kernel sink = runtime().launch(spec);
  std::vector<Completion> completions(2000);
  for (size_t i = 0; i < completions.size(); ++i) REQUIRE(request_async(sink, i, kLongNs, completions[i]) == RK_SUCCESS);
  sink = rk::Kernel();  // rk_kernel_destroy
  for (Completion& c : completions) {
    CHECK(c.calls.load(std::memory_order_acquire) == 1);
    CHECK(c.result == RK_ERROR_TERMINATED);
  }
}

TEST_CASE("bridge: terminating a kernel ends its unanswered requests with TERMINATED", "[bridge]") {
  rk::Kernel sink = runtime().launch(sink_spec("bridge_terminate_kernel"));
  Completion c;
  REQUIRE(request_async(sink, 1, kLongNs, c) == RK_SUCCESS);
  sink.terminate();
  REQUIRE(wait_until([&] { return c.done(); }));
  CHECK(c.result == RK_ERROR_TERMINATED);
  CHECK(c.calls.load() == 1);
  Completion refused;
  CHECK(request_async(sink, 2, kLongNs, refused) == RK_ERROR_TERMINATED);  // not sent: no completion
  CHECK(refused.calls.load() == 0);
}

TEST_CASE("bridge: destroying a runtime completes every pending request and stops the callbacks", "[bridge]") {
  rk_runtime_options options = RK_RUNTIME_OPTIONS_INIT;
  options.backend = "cpu_sim";
  rk_runtime rt = nullptr;
  REQUIRE(rk_runtime_create(&options, &rt) == RK_SUCCESS);
  rk_kernel_options sink_options = RK_KERNEL_OPTIONS_INIT;
  sink_options.name = "sink";
  sink_options.source = kSinkSource;
  sink_options.flags = RK_KERNEL_AUTO_ACTIVATE;
  rk_kernel_options echo_options = RK_KERNEL_OPTIONS_INIT;
  echo_options.name = "echo";
  echo_options.source = kEchoSource;
  echo_options.state_bytes = sizeof(uint64_t);
  echo_options.flags = RK_KERNEL_AUTO_ACTIVATE;
  rk_kernel sink = nullptr, echo = nullptr;
  REQUIRE(rk_kernel_create(rt, &sink_options, &sink) == RK_SUCCESS);
  REQUIRE(rk_kernel_create(rt, &echo_options, &echo) == RK_SUCCESS);
  REQUIRE(rk_kernel_launch(sink) == RK_SUCCESS);
  REQUIRE(rk_kernel_launch(echo) == RK_SUCCESS);
  std::atomic<uint64_t> outputs{0};
  REQUIRE(rk_kernel_set_output_handler(echo, &count_output, &outputs) == RK_SUCCESS);
  std::vector<Completion> completions(8);
  for (size_t i = 0; i < completions.size(); ++i) {
    Ping ping{i};
    rk_request_options request = RK_REQUEST_OPTIONS_INIT;
    request.timeout_ns = kLongNs;
    REQUIRE(rk_kernel_request_async(sink, Ping::type_id, &ping, sizeof(ping), &request, &Completion::record,
                                    &completions[i]) == RK_SUCCESS);
    REQUIRE(rk_kernel_send(echo, Ping::type_id, &ping, sizeof(ping), nullptr, nullptr) == RK_SUCCESS);
  }
  REQUIRE(rk_runtime_destroy(rt) == RK_SUCCESS);
  uint64_t outputs_at_destroy = outputs.load();
  for (Completion& c : completions) {
    CHECK(c.calls.load(std::memory_order_acquire) == 1);
    CHECK(c.result == RK_ERROR_TERMINATED);
  }
  CHECK(outputs_at_destroy == completions.size());  // output written before the end still reaches the handler
  CHECK(outputs.load() == outputs_at_destroy);  // the bridge thread is gone
}
