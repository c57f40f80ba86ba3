// A kernel waiting for room in a full output queue naps instead of burning a core
// (cpu_sim), and loses nothing: everything arrives once the host receives.
#include <sys/resource.h>

#include <chrono>
#include <thread>

#include "ring_test_support.hpp"

using namespace ringtest;

namespace {

double process_cpu_seconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
         double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

// CPU time the process used over 300 ms of wall time, as a fraction of that time. A
// spinning kernel alone would make it about 1 (one core); a sleeping one a few percent.
// Load from other processes can only lower our share, never raise it.
double cpu_share_over_300ms() {
  double cpu_before = process_cpu_seconds();
  auto wall_before = std::chrono::steady_clock::now();
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  double cpu = process_cpu_seconds() - cpu_before;
  return cpu / std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_before).count();
}

}  // namespace

TEST_CASE("a kernel whose output nobody drains sleeps, and delivers everything later", "[output][backpressure]") {
  rk::KernelSpec spec = echo_spec("output_waiter");
  spec.output_capacity = 2;
  rk::Kernel k = runtime().launch(spec);
  for (uint64_t i = 0; i < 8; ++i) k.send(Ping{i});
  // Two replies fill the output queue; the third handler waits inside rk_reply.
  REQUIRE(wait_until([&] { return k.status().output_depth == 2 && k.status().messages_processed == 2; }));
  CHECK(cpu_share_over_300ms() < 0.5);
  for (uint64_t i = 0; i < 8; ++i) {
    auto reply = k.receive<Pong>(30'000'000'000ull);
    REQUIRE(reply);
    CHECK(reply->message.value == i + 1);
  }
  k.terminate();
}

namespace {

// An idle ring kernel sleeps (spin, yield, then a futex: cpu_sim, and PoCL's CPU device
// through RK_OPENCL_HOST_FUTEX) instead of spinning on a core for as long as it runs.
void idle_kernel_sleeps(const std::string& backend) {
  auto rt = own_runtime(backend);
  rk::Kernel k = rt->launch(echo_spec("idle_sleeper_" + backend));
  REQUIRE(k.request<Pong>(Ping{1}).value == 2);  // running, and idle from here on
  std::this_thread::sleep_for(std::chrono::milliseconds(50));  // past its spin and yield rounds
  CHECK(cpu_share_over_300ms() < 0.5);
  CHECK(k.request<Pong>(Ping{2}).value == 3);  // and a message wakes it
  k.terminate();
}

}  // namespace

TEST_CASE("an idle ring kernel sleeps instead of spinning (cpu_sim)", "[park]") { idle_kernel_sleeps("cpu_sim"); }
TEST_CASE("an idle ring kernel sleeps instead of spinning (opencl)", "[park][opencl]") { idle_kernel_sleeps("opencl"); }
