// rk_runtime_progress (docs/bridge.md, "Driving the bridge from your thread"): a user's
// thread runs the bridge's pass. Which thread delivers a given reply still depends on
// timing (the bridge thread and, on cpu_sim, the kernel's own thread may get there first),
// so these check what holds either way: every callback that ran inside a progress call is
// counted in what that call returned and no other, each request completes exactly once,
// callbacks of a runtime never overlap, output stays in order, and misuse is refused.
#include <atomic>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "bridge_test_support.hpp"

using namespace ringtest;
using namespace bridgetest;

namespace {

constexpr uint64_t kHangGuardNs = 120'000'000'000ull;  // only stops a hung test

// Set on a test thread while it is inside rk_runtime_progress: a callback that sees it set
// runs inside that call (thread-local, so another thread's call never counts here).
thread_local bool inside_progress = false;

struct Driver {
  rk::Runtime& runtime;
  uint64_t reported = 0;  // the sum of what this thread's progress calls returned

  void progress() {
    inside_progress = true;
    reported += runtime.progress();
    inside_progress = false;
  }
};

struct Shared {
  std::atomic<bool> inside{false};     // a callback of the runtime is running
  std::atomic<uint32_t> overlaps{0};   // callbacks that found another one running
  std::atomic<uint64_t> failures{0};
};

struct Request {
  Shared* shared = nullptr;
  std::atomic<uint32_t>* in_flight = nullptr;
  uint64_t expected = 0;
  uint64_t on_driver = 0;  // written by the callback; read after in_flight says it ran
  std::atomic<uint32_t> calls{0};
};

void on_reply(void* self, rk_result result, const rk_msg_header*, const void* payload, uint32_t size) noexcept {
  auto* request = static_cast<Request*>(self);
  Shared& shared = *request->shared;
  if (shared.inside.exchange(true, std::memory_order_acq_rel)) shared.overlaps.fetch_add(1);
  Pong pong{};
  if (result == RK_SUCCESS && size == sizeof(pong)) std::memcpy(&pong, payload, sizeof(pong));
  if (result != RK_SUCCESS || pong.value != request->expected) shared.failures.fetch_add(1);
  request->on_driver = inside_progress ? 1u : 0u;
  shared.inside.store(false, std::memory_order_release);
  request->calls.fetch_add(1, std::memory_order_relaxed);
  request->in_flight->fetch_sub(1, std::memory_order_release);  // publishes the fields above
}

struct Accounting {
  uint64_t reported = 0;   // what this thread's progress calls returned, summed
  uint64_t on_drivers = 0;  // this thread's requests whose callback ran inside some progress call
};

// `count` requests with at most `window` in flight; while the window is full the thread
// drives progress. Checks that each request completed once.
Accounting drive_pipeline(rk::Runtime& runtime, rk::Kernel& kernel, Shared& shared, uint64_t count, uint32_t window) {
  std::vector<Request> requests(count);
  std::atomic<uint32_t> in_flight{0};
  Driver driver{runtime};
  rk_request_options options = RK_REQUEST_OPTIONS_INIT;
  options.timeout_ns = kHangGuardNs;
  auto drive_until = [&](uint32_t below) {
    return wait_until([&] {
      if (in_flight.load(std::memory_order_acquire) < below) return true;
      driver.progress();
      return in_flight.load(std::memory_order_acquire) < below;
    });
  };
  for (uint64_t i = 0; i < count; ++i) {
    if (!drive_until(window)) break;
    Request& request = requests[i];
    request.shared = &shared;
    request.in_flight = &in_flight;
    request.expected = i + 1;
    in_flight.fetch_add(1, std::memory_order_relaxed);
    Ping ping{i};
    if (rk_kernel_request_async(kernel.get(), Ping::type_id, &ping, sizeof(ping), &options, &on_reply, &request) !=
        RK_SUCCESS) {
      in_flight.fetch_sub(1);
      shared.failures.fetch_add(1);
    }
  }
  REQUIRE(drive_until(1));
  uint64_t once = 0, on_driver = 0;
  for (const Request& request : requests) {
    once += request.calls.load(std::memory_order_relaxed) == 1;
    on_driver += request.on_driver;
  }
  CHECK(once == count);
  return {driver.reported, on_driver};
}

void two_drivers(rk::Runtime& runtime, const std::string& prefix) {
  rk::Kernel a = runtime.launch(pipelined_echo_spec(prefix + "_progress_a"));
  rk::Kernel b = runtime.launch(pipelined_echo_spec(prefix + "_progress_b"));
  Shared shared;
  const uint64_t count = stress_count(20000, 1000);
  Accounting on_b;
  std::thread other([&] { on_b = drive_pipeline(runtime, b, shared, count, 64); });
  Accounting on_a = drive_pipeline(runtime, a, shared, count, 64);
  other.join();
  CHECK(shared.failures.load() == 0);
  CHECK(shared.overlaps.load() == 0);
  // A pass delivers for any kernel, so one thread's call may run the other's callbacks; in
  // sum, the calls reported exactly the callbacks that ran inside them.
  CHECK(on_a.reported + on_b.reported == on_a.on_drivers + on_b.on_drivers);
  CHECK(a.status().late_replies == 0);
  CHECK(b.status().late_replies == 0);
}

// Counts the callbacks that ran inside one thread's progress calls, exactly.
struct Tally {
  std::atomic<uint64_t> inside{0};
  std::atomic<uint64_t> all{0};
};

void on_tallied(void* self, rk_result, const rk_msg_header*, const void*, uint32_t) noexcept {
  auto* tally = static_cast<Tally*>(self);
  if (inside_progress) tally->inside.fetch_add(1, std::memory_order_relaxed);
  tally->all.fetch_add(1, std::memory_order_release);
}

struct ProgressFromCallback {
  rk_runtime runtime = nullptr;
  rk_result result = RK_SUCCESS;
  uint32_t delivered = 99;
  std::string error;
  std::atomic<bool> done{false};
};

void progress_inside(void* self, rk_result, const rk_msg_header*, const void*, uint32_t) noexcept {
  auto* p = static_cast<ProgressFromCallback*>(self);
  p->result = rk_runtime_progress(p->runtime, &p->delivered);
  p->error = rk_last_error();
  p->done.store(true, std::memory_order_release);
}

}  // namespace

TEST_CASE("bridge: two threads drive progress while 64 requests each are in flight", "[bridge]") {
  two_drivers(runtime_for("cpu_sim"), "cpu");
}

TEST_CASE("bridge: two threads drive progress on opencl", "[bridge][opencl]") {
  two_drivers(runtime_for("opencl"), "ocl");
}

TEST_CASE("bridge: a progress call returns exactly the callbacks it ran", "[bridge]") {
  rk::Runtime& rt = runtime_for("cpu_sim");
  rk::Kernel echo = rt.launch(pipelined_echo_spec("progress_exact"));
  Tally tally;
  const uint64_t count = stress_count(5000, 500);
  Driver driver{rt};
  rk_request_options options = RK_REQUEST_OPTIONS_INIT;
  options.timeout_ns = kHangGuardNs;
  for (uint64_t sent = 0; sent < count;) {
    // Up to 32 at a time, then drive until they are all back.
    for (uint32_t i = 0; i < 32 && sent < count; ++i, ++sent) {
      Ping ping{sent};
      REQUIRE(rk_kernel_request_async(echo.get(), Ping::type_id, &ping, sizeof(ping), &options, &on_tallied, &tally) ==
              RK_SUCCESS);
    }
    REQUIRE(wait_until([&] {
      driver.progress();  // throws (fails the test) on an error
      return tally.all.load(std::memory_order_acquire) == sent;
    }));
  }
  CHECK(tally.all.load() == count);
  CHECK(driver.reported == tally.inside.load());  // whichever thread delivered the others
}

TEST_CASE("bridge: output handlers keep their order when a user thread drives progress", "[bridge]") {
  rk::Runtime& rt = runtime_for("cpu_sim");
  rk::Kernel echo = rt.launch(pipelined_echo_spec("progress_output_order"));
  std::vector<uint64_t> seen;
  std::atomic<size_t> received{0};
  echo.on_output<Pong>([&](const rk_msg_header&, const Pong& pong) {
    seen.push_back(pong.value);
    received.fetch_add(1, std::memory_order_release);
  });
  const uint64_t count = stress_count(20000, 1000);
  std::atomic<bool> stop{false};
  std::thread driver([&] {
    while (!stop.load(std::memory_order_acquire)) rt.progress();
  });
  for (uint64_t i = 0; i < count; ++i) echo.send(Ping{i});
  bool all = wait_until([&] { return received.load(std::memory_order_acquire) == count; });
  stop.store(true, std::memory_order_release);
  driver.join();
  REQUIRE(all);
  size_t out_of_order = 0;
  for (uint64_t i = 0; i < count; ++i) out_of_order += seen[i] != i + 1;
  CHECK(out_of_order == 0);
}

TEST_CASE("rk_runtime_progress: bad handles, nothing to serve, and calls from a callback", "[bridge]") {
  uint32_t delivered = 7;
  CHECK(rk_runtime_progress(nullptr, &delivered) == RK_ERROR_INVALID_ARGUMENT);
  CHECK(delivered == 0);
  CHECK(std::string(rk_last_error()).find("NULL") != std::string::npos);

  rk::Runtime fresh("cpu_sim");  // no async consumer yet: no bridge, nothing to run
  delivered = 7;
  CHECK(rk_runtime_progress(fresh.get(), &delivered) == RK_SUCCESS);
  CHECK(delivered == 0);
  CHECK(rk_runtime_progress(fresh.get(), nullptr) == RK_SUCCESS);

  rk::Kernel echo = fresh.launch(pipelined_echo_spec("progress_from_callback"));
  ProgressFromCallback p;
  p.runtime = fresh.get();
  Ping ping{1};
  REQUIRE(rk_kernel_request_async(echo.get(), Ping::type_id, &ping, sizeof(ping), nullptr, &progress_inside, &p) ==
          RK_SUCCESS);
  REQUIRE(wait_until([&] {
    fresh.progress();  // this thread may be the one that runs the callback: refused there too
    return p.done.load(std::memory_order_acquire);
  }));
  CHECK(p.result == RK_ERROR_INVALID_STATE);
  CHECK(p.delivered == 0);
  CHECK(p.error.find("bridge callback") != std::string::npos);
}
