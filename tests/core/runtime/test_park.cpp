// Parking (runtime/park.hpp): where loading a module waits for running kernels (CUDA), the
// runtime parks every running ring kernel around each load and launches it again. Forced
// here with RINGKERNEL_PARK_TO_LOAD=1 on cpu_sim and OpenCL, which do not need it, so the
// mechanism is exercised without a GPU: state, order and every message survive the parks.
#include <atomic>
#include <cstdlib>
#include <memory>
#include <thread>
#include <vector>

#include "ring_test_support.hpp"

using namespace ringtest;

namespace {

// Parking forced by the environment, read when a runtime opens.
std::unique_ptr<rk::Runtime> parking_runtime(const std::string& backend) {
  setenv("RINGKERNEL_PARK_TO_LOAD", "1", 1);
  struct Unset {
    ~Unset() { unsetenv("RINGKERNEL_PARK_TO_LOAD"); }  // also when own_runtime SKIPs
  } unset;
  return own_runtime(backend);
}

rk::KernelSpec forward_spec(const std::string& name, std::vector<std::string> peers) {
  rk::KernelSpec spec;
  spec.name = name;
  spec.source = kForwardSource;
  spec.peers = std::move(peers);
  spec.input_capacity = 16;
  spec.output_capacity = 16;
  spec.inbox_capacity = 4;
  return spec;
}

// The host keeps sending to `echo` while three more kernels launch; each launch parks every
// running kernel twice (module load, then ring block and stream). Nobody reads the output
// meanwhile, so the echo kernel also waits for output room inside its handler: parking
// drains output until it reaches a message boundary.
void state_and_messages_survive_parks(const std::string& backend) {
  auto rt = parking_runtime(backend);
  rk::Kernel echo = rt->launch(echo_spec("park_echo"));
  const uint64_t n = 3000;
  std::thread sender([&] {
    for (uint64_t i = 0; i < n; ++i) echo.send(Ping{i});
  });
  std::vector<rk::Kernel> others;
  for (int i = 0; i < 3; ++i) others.push_back(rt->launch(echo_spec("park_other_" + std::to_string(i))));
  for (uint64_t i = 0; i < n; ++i) {
    auto pong = echo.receive<Pong>(30'000'000'000ull);
    REQUIRE(pong.has_value());
    REQUIRE(pong->message.value == i + 1);
    REQUIRE(pong->message.seen == i);  // state kept: the count goes on across every relaunch
  }
  sender.join();
  // Parks for the launches; in the relaunch bridge mode each batch is a relaunch as well.
  if (rt->bridge_mode() == RK_BRIDGE_PERSISTENT) {
    CHECK(echo.status().relaunches == 6);
    CHECK(others[0].status().relaunches == 4);
    CHECK(others[2].status().relaunches == 0);
  } else {
    CHECK(echo.status().relaunches >= 6);
  }
  for (auto& other : others) CHECK(other.request<Pong>(Ping{7}).value == 8);
  CHECK(telemetry_after(echo, n).messages_processed == n);
  CHECK(echo.telemetry().messages_dropped == 0);
}

// A K2K chain a -> b -> c with 4-slot inboxes under load while two more kernels launch:
// messages parked in inboxes and outboxes arrive once each, in order.
void k2k_survives_parks(const std::string& backend) {
  auto rt = parking_runtime(backend);
  rk::Kernel c = rt->launch(forward_spec("park_c", {}));
  rk::Kernel b = rt->launch(forward_spec("park_b", {"park_c"}));
  rk::Kernel a = rt->launch(forward_spec("park_a", {"park_b"}));
  const uint64_t n = 2000;
  std::thread sender([&] {
    for (uint64_t i = 0; i < n; ++i) a.send(Value{i * 10});
  });
  std::atomic<uint64_t> received{0};
  std::thread receiver([&] {
    for (uint64_t i = 0; i < n; ++i) {
      auto v = c.receive<Value>(30'000'000'000ull);
      if (!v || v->message.value != i * 10 + 3) break;  // lost, duplicated or out of order
      received.fetch_add(1);
    }
  });
  rk::Kernel d = rt->launch(forward_spec("park_d", {}));
  rk::Kernel e = rt->launch(forward_spec("park_e", {}));
  sender.join();
  receiver.join();
  CHECK(received.load() == n);
  if (rt->bridge_mode() == RK_BRIDGE_PERSISTENT) {  // (in the relaunch mode every batch counts too)
    CHECK(a.status().relaunches == 4);
    CHECK(c.status().relaunches == 8);  // parked for b's and a's launches too
  }
  d.send(Value{1});
  auto from_d = d.receive<Value>(30'000'000'000ull);  // forwarded output, not a reply
  REQUIRE(from_d.has_value());
  CHECK(from_d->message.value == 2);
  for (rk::Kernel* k : {&a, &b, &c}) CHECK(k->telemetry().messages_dropped == 0);
}

}  // namespace

TEST_CASE("parked ring kernels keep their state and every message (cpu_sim)", "[park]") {
  state_and_messages_survive_parks("cpu_sim");
}
TEST_CASE("parked ring kernels keep their state and every message (opencl)", "[park][opencl]") {
  state_and_messages_survive_parks("opencl");
}
TEST_CASE("parked ring kernels keep their state and every message (cuda)", "[park][cuda]") {
  state_and_messages_survive_parks("cuda");
}

TEST_CASE("K2K chains deliver once and in order across parks (cpu_sim)", "[park][k2k]") { k2k_survives_parks("cpu_sim"); }
TEST_CASE("K2K chains deliver once and in order across parks (opencl)", "[park][k2k][opencl]") {
  k2k_survives_parks("opencl");
}
TEST_CASE("K2K chains deliver once and in order across parks (cuda)", "[park][k2k][cuda]") {
  k2k_survives_parks("cuda");
}
