// cpu_sim kernels deliver their own output (docs/bridge.md, "Who runs callbacks"): an idle
// kernel thread may run the bridge's pass for its kernel. Which thread runs a given callback
// depends on timing, so these check what holds either way: a runtime's callbacks never run
// two at a time, every request completes exactly once, and a call that would wait for the
// kernel's own loop is refused rather than left hanging.
#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "bridge_test_support.hpp"

using namespace ringtest;
using namespace bridgetest;

namespace {

constexpr uint64_t kHangGuardNs = 120'000'000'000ull;  // only stops a hung test

// Counts callbacks that found another one of the same runtime still running.
struct OverlapProbe {
  std::atomic<bool> inside{false};
  std::atomic<uint32_t> overlaps{0};
  std::atomic<uint64_t> completions{0};
  std::atomic<uint64_t> failures{0};
};

struct ProbedRequest {
  OverlapProbe* probe;
  std::atomic<bool> done{false};
};

void on_probed_reply(void* self, rk_result result, const rk_msg_header*, const void*, uint32_t) noexcept {
  auto* request = static_cast<ProbedRequest*>(self);
  OverlapProbe& probe = *request->probe;
  if (probe.inside.exchange(true, std::memory_order_acq_rel)) probe.overlaps.fetch_add(1);
  if (result != RK_SUCCESS) probe.failures.fetch_add(1);
  for (int i = 0; i < 64; ++i) std::atomic_signal_fence(std::memory_order_seq_cst);  // stay inside a while
  probe.inside.store(false, std::memory_order_release);
  probe.completions.fetch_add(1, std::memory_order_relaxed);
  request->done.store(true, std::memory_order_release);
}

// One request at a time on `kernel`: the pattern in which its idle thread delivers.
void one_at_a_time(rk::Kernel& kernel, OverlapProbe& probe, uint64_t count) {
  rk_request_options options = RK_REQUEST_OPTIONS_INIT;
  options.timeout_ns = kHangGuardNs;
  for (uint64_t i = 0; i < count; ++i) {
    ProbedRequest request{&probe};
    Ping ping{i};
    if (rk_kernel_request_async(kernel.get(), Ping::type_id, &ping, sizeof(ping), &options, &on_probed_reply,
                                &request) != RK_SUCCESS) {
      probe.failures.fetch_add(1);
      return;
    }
    while (!request.done.load(std::memory_order_acquire)) std::this_thread::yield();
  }
}

struct TerminateFromCallback {
  rk_kernel kernel = nullptr;
  std::atomic<bool> done{false};
  rk_result result = RK_SUCCESS;
  std::string error;
};

void terminate_own_kernel(void* self, rk_result, const rk_msg_header*, const void*, uint32_t) noexcept {
  auto* t = static_cast<TerminateFromCallback*>(self);
  t->result = rk_kernel_terminate(t->kernel, 30'000'000'000ull);
  t->error = rk_last_error();
  t->done.store(true, std::memory_order_release);
}

}  // namespace

TEST_CASE("bridge: callbacks of one runtime never run two at a time, whichever thread runs them", "[bridge]") {
  rk::Runtime& rt = runtime_for("cpu_sim");
  rk::Kernel a = rt.launch(pipelined_echo_spec("assist_overlap_a"));
  rk::Kernel b = rt.launch(pipelined_echo_spec("assist_overlap_b"));
  OverlapProbe probe;
  const uint64_t count = stress_count(20000, 500);
  std::thread other([&] { one_at_a_time(b, probe, count); });
  one_at_a_time(a, probe, count);
  other.join();
  CHECK(probe.failures.load() == 0);
  CHECK(probe.completions.load() == 2 * count);
  CHECK(probe.overlaps.load() == 0);
  CHECK(a.status().late_replies == 0);
  CHECK(b.status().late_replies == 0);
}

TEST_CASE("bridge: terminating a kernel from its own completion never hangs", "[bridge]") {
  rk::Kernel echo = runtime_for("cpu_sim").launch(pipelined_echo_spec("assist_terminate_self"));
  TerminateFromCallback t;
  t.kernel = echo.get();
  Ping ping{1};
  REQUIRE(rk_kernel_request_async(echo.get(), Ping::type_id, &ping, sizeof(ping), nullptr, &terminate_own_kernel, &t) ==
          RK_SUCCESS);
  REQUIRE(wait_until([&] { return t.done.load(std::memory_order_acquire); }));
  // On the bridge thread it terminates; on the kernel's own thread it cannot wait for its
  // own loop and says so.
  if (t.result == RK_SUCCESS) {
    CHECK(echo.state() == RK_KERNEL_TERMINATED);
  } else {
    CHECK(t.result == RK_ERROR_INVALID_STATE);
    CHECK(t.error.find("own thread") != std::string::npos);
    CHECK(rk_kernel_terminate(echo.get(), 30'000'000'000ull) == RK_SUCCESS);
  }
}
