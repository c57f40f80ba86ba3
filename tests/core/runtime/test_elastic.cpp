// Elastic ring kernels (idle_exit_ns, max_run_ns; docs/runtime.md, "Idle exit and time
// slices"): the loop leaves the device by itself and comes back when work does, and the
// user sees one Active kernel that never loses or reorders a message and keeps its state.
// Nothing asserts how fast anything happens: a loop is waited for (bounded) until it has
// left, and what must hold under any interleaving is checked.
#include <random>
#include <thread>

#include "ring_test_support.hpp"

using namespace ringtest;

namespace {

rk::KernelSpec elastic_echo(const std::string& name, uint64_t idle_exit_ns, uint64_t max_run_ns = 0) {
  rk::KernelSpec spec = echo_spec(name);
  spec.input_capacity = 256;
  spec.output_capacity = 256;
  spec.idle_exit_ns = idle_exit_ns;
  spec.max_run_ns = max_run_ns;
  return spec;
}

bool off_device(rk::Kernel& kernel) {
  return wait_until([&] { return kernel.status().resident == 0; });
}

void idle_exit_keeps_state_and_order(const std::string& backend) {
  auto rt = own_runtime(backend);
  rk::Kernel echo = rt->launch(elastic_echo("elastic_idle_" + backend, 1'000'000));  // 1 ms
  std::mt19937 random(7);
  uint64_t sent = 0;
  for (int round = 0; round < 6; ++round) {
    REQUIRE(off_device(echo));  // idle long enough: it left, state and queues kept
    uint64_t relaunches = echo.status().relaunches;
    // A burst with random gaps, some longer than the idle exit: replies in order, the
    // state's count going on from where it was.
    uint32_t burst = 1 + static_cast<uint32_t>(random() % 20);
    for (uint32_t i = 0; i < burst; ++i) {
      Pong pong = echo.request<Pong>(Ping{sent});
      REQUIRE(pong.value == sent + 1);
      REQUIRE(pong.seen == sent);
      ++sent;
      if (random() % 4 == 0) std::this_thread::sleep_for(std::chrono::microseconds(random() % 3000));
    }
    CHECK(echo.status().relaunches > relaunches);  // the first request brought it back
    CHECK(echo.state() == RK_KERNEL_ACTIVE);      // to the user it never stopped
  }
  // Sends that wait in the queue when terminate comes are all handled.
  REQUIRE(off_device(echo));
  for (uint64_t i = 0; i < 50; ++i) echo.send(Ping{sent + i});
  echo.terminate();
  for (uint64_t i = 0; i < 50; ++i) {
    auto out = echo.receive<Pong>(0);
    REQUIRE(out.has_value());
    CHECK(out->message.seen == sent + i);
  }
}

}  // namespace

TEST_CASE("an idle kernel leaves the device and comes back, state and order kept (cpu_sim)", "[elastic]") {
  idle_exit_keeps_state_and_order("cpu_sim");
}
TEST_CASE("an idle kernel leaves the device and comes back, state and order kept (opencl)", "[elastic][opencl]") {
  idle_exit_keeps_state_and_order("opencl");
}
TEST_CASE("an idle kernel leaves the device and comes back, state and order kept (cuda)", "[elastic][cuda]") {
  idle_exit_keeps_state_and_order("cuda");
}

TEST_CASE("a K2K message brings a kernel back that left idle", "[elastic][k2k]") {
  auto rt = own_runtime("cpu_sim");
  rk::KernelSpec last;
  last.name = "elastic_last";
  last.source = kForwardSource;
  last.idle_exit_ns = 1'000'000;
  rk::Kernel c = rt->launch(last);
  rk::KernelSpec first;
  first.name = "elastic_first";
  first.source = kForwardSource;
  first.peers = {"elastic_last"};
  rk::Kernel a = rt->launch(first);
  for (uint64_t round = 0; round < 5; ++round) {
    INFO("round " << round << ", relaunches so far " << c.status().relaunches);
    REQUIRE(off_device(c));
    uint64_t relaunches = c.status().relaunches;
    a.send(Value{round * 10});  // a -> c by K2K: only the bridge can relaunch c
    auto out = c.receive<Value>(30'000'000'000ull);
    REQUIRE(out.has_value());
    CHECK(out->message.value == round * 10 + 2);
    CHECK(c.status().relaunches > relaunches);  // it was off the device: only a relaunch handled it
  }
}

TEST_CASE("time slices: a busy kernel leaves and comes back, losing and reordering nothing", "[elastic]") {
  auto rt = own_runtime("cpu_sim");
  rk::Kernel echo = rt->launch(elastic_echo("elastic_slices", 0, 200'000));  // 0.2 ms slices
  constexpr uint64_t kMessages = 20000;
  std::thread receiver([&] {
    for (uint64_t i = 0; i < kMessages; ++i) {
      auto out = echo.receive<Pong>(30'000'000'000ull);
      REQUIRE(out.has_value());
      REQUIRE(out->message.value == i + 1);
      REQUIRE(out->message.seen == i);
    }
  });
  for (uint64_t i = 0; i < kMessages; ++i) echo.send(Ping{i});
  receiver.join();
  // However fast the machine, 20000 messages take longer than one 0.2 ms slice.
  CHECK(echo.status().relaunches >= 1);
  echo.terminate();
}

TEST_CASE("an inactive kernel leaves idle; activating it brings it back for what waits", "[elastic]") {
  auto rt = own_runtime("cpu_sim");
  rk::Kernel echo = rt->launch(elastic_echo("elastic_inactive", 1'000'000));
  echo.deactivate();
  REQUIRE(off_device(echo));
  for (uint64_t i = 0; i < 10; ++i) echo.send(Ping{i});  // queued; an inactive kernel stays off
  CHECK(echo.status().input_depth == 10);
  echo.reactivate();
  for (uint64_t i = 0; i < 10; ++i) {
    auto out = echo.receive<Pong>(30'000'000'000ull);
    REQUIRE(out.has_value());
    CHECK(out->message.value == i + 1);
  }
}

TEST_CASE("status says resident or not; a non-elastic kernel stays resident", "[coherent][elastic]") {
  auto rt = own_runtime("cpu_sim");
  rk::Kernel plain = rt->launch(echo_spec("elastic_plain"));
  rk::Kernel elastic = rt->launch(elastic_echo("elastic_status", 1'000'000));
  CHECK(plain.status().resident == 1);
  REQUIRE(off_device(elastic));
  CHECK(plain.status().resident == 1);
  std::string dump = rt->dump();
  CHECK(dump.find("elastic_status") != std::string::npos);
  CHECK(elastic.request<Pong>(Ping{1}).value == 2);
}
