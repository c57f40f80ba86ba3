// cpu_sim kernels deliver their own output (docs/bridge.md, "Who runs callbacks"): an idle
// kernel thread may run the bridge's pass for its kernel. Which thread runs a given callback
// depends on timing, so these check what holds either way: a runtime's callbacks never run
// two at a time, every request completes exactly once, and a call that would wait for the
// kernel's own loop is refused rather than left hanging.
#include <atomic>
#include <chrono>
#include <mutex>
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


// A supervised kernel whose output handler, the first time it runs on the kernel's own
// thread, holds that thread until the supervisor reports that its callbacks stall it
// (supervision.cpp). The bug was a stall reported as the handler's, and a restart.
struct HeldByCallback {
  static constexpr const char* kCallbackStall = "own thread has run output callbacks";
  rk_kernel kernel = nullptr;
  std::mutex mutex;  // stall_reasons, restart_reasons
  std::vector<std::string> stall_reasons;
  std::vector<std::string> restart_reasons;
  std::atomic<uint64_t> delivered{0};
  std::atomic<bool> held_once{false};  // a callback on the kernel's own thread began to hold it
  std::atomic<bool> released{false};   // ... and has let go
  std::string releasing_stall;         // the callback stall that let it go ("" after the guard)

  std::string callback_stall() {
    std::lock_guard lock(mutex);
    for (const std::string& reason : stall_reasons)
      if (reason.find(kCallbackStall) != std::string::npos) return reason;
    return {};
  }
  static void on_event(void* self, const rk_supervision_event* e) {
    auto* h = static_cast<HeldByCallback*>(self);
    std::lock_guard lock(h->mutex);
    if (e->kind == RK_SUPERVISION_STALLED) h->stall_reasons.emplace_back(e->reason);
    if (e->kind == RK_SUPERVISION_RESTARTED || e->kind == RK_SUPERVISION_RESTART_FAILED)
      h->restart_reasons.emplace_back(e->reason);
  }
  static void on_output(void* self, const rk_msg_header*, const void*, uint32_t) {
    auto* h = static_cast<HeldByCallback*>(self);
    h->delivered.fetch_add(1, std::memory_order_relaxed);
    // Only a callback on the kernel's own thread is refused a migration for that reason
    // (elsewhere the NULL target is the error): a probe without side effects.
    if (h->held_once.load() || rk_kernel_migrate(h->kernel, nullptr, 0, nullptr) != RK_ERROR_INVALID_STATE) return;
    h->held_once.store(true, std::memory_order_release);
    // The test sends a message now, so work waits; the supervisor reports within about
    // 1.25 x stall_ns of that. Only a callback stall lets go: a handler stall reported
    // before this began (a loaded machine) is followed by progress, then by ours. The
    // guard only ends a broken run.
    auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(25);  // within the test's 30 s wait
    while (h->callback_stall().empty() && std::chrono::steady_clock::now() < give_up)
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    h->releasing_stall = h->callback_stall();
    h->released.store(true, std::memory_order_release);
  }
};

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

// A supervised cpu_sim kernel under the restart policy used to be restarted when a long
// output callback ran on its own thread while messages waited: the watch took the
// callback's time for a stalled handler. Which thread runs a callback depends on timing:
// the check runs once one has held the kernel's thread (else it is skipped, saying so).
TEST_CASE("bridge: a callback holding its kernel's thread is reported as such, never restarted", "[bridge][assist]") {
  auto rt = own_runtime("cpu_sim");
  HeldByCallback h;  // outlives the kernel: its callbacks may run until the kernel is destroyed
  rk::KernelSpec spec = pipelined_echo_spec("assist_held_by_callback");
  spec.input_capacity = 1024;
  spec.output_capacity = 1024;
  rk::Kernel k = rt->launch(spec);
  h.kernel = k.get();
  REQUIRE(rk_kernel_set_output_handler(k.get(), &HeldByCallback::on_output, &h) == RK_SUCCESS);
  rk_supervision_options o = RK_SUPERVISION_OPTIONS_INIT;
  o.policy = RK_SUPERVISE_RESTART;
  o.stall_ns = 20'000'000;
  o.restart_timeout_ns = 30'000'000'000ull;
  o.on_event = &HeldByCallback::on_event;
  o.user_data = &h;
  k.supervise(o);
  uint64_t sent = 0;
  // Batches of 64 until a callback holds the kernel's thread (the busy loop offers its
  // output every 16 replies, the idle one at once), at most 200 batches.
  for (int batch = 0; batch < 200 && !h.held_once.load(); ++batch) {
    for (int i = 0; i < 64 && !h.held_once.load(); ++i, ++sent) k.send(Ping{sent});
    wait_until([&] { return h.held_once.load() || h.delivered.load() == sent; });
  }
  if (!h.held_once.load()) SKIP("the bridge thread ran every callback in this run: nothing held the kernel's thread");
  k.send(Ping{sent++});  // work waits behind the held thread
  REQUIRE(wait_until([&] { return h.released.load(std::memory_order_acquire); }));
  REQUIRE(wait_until([&] { return h.delivered.load() == sent; }));
  INFO(h.releasing_stall);
  CHECK(h.releasing_stall.find("not restarted") != std::string::npos);
  {
    std::lock_guard lock(h.mutex);
    for (const std::string& reason : h.restart_reasons) CHECK(reason.find("output callbacks") == std::string::npos);
  }
  CHECK(k.state() == RK_KERNEL_ACTIVE);
  CHECK(k.request<Pong>(Ping{7}).value == 8);  // and it runs on
  k.terminate();
}
