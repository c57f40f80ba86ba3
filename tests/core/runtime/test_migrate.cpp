// Migration (rk_kernel_migrate; docs/runtime.md, "Snapshots and migration"): a running
// kernel moves to another runtime with its state and every message, while K2K peers keep
// sending to it by name; nothing is lost, duplicated or reordered.
#include <atomic>
#include <cstdio>
#include <string>
#include <thread>

#include "ring_test_support.hpp"

using namespace ringtest;

namespace {

constexpr uint64_t kLong = 30'000'000'000ull;

rk::Kernel migrate(rk::Kernel& kernel, rk::Runtime& target) {
  rk_kernel moved = nullptr;
  rk::check(rk_kernel_migrate(kernel.get(), target.get(), kLong, &moved), "migrate");
  return rk::Kernel(moved);
}

rk::KernelSpec forward(const std::string& name, const std::string& peer) {
  rk::KernelSpec spec;
  spec.name = name;
  spec.source = kForwardSource;
  spec.input_capacity = 64;
  spec.output_capacity = 256;
  spec.inbox_capacity = 16;
  if (!peer.empty()) spec.peers = {peer};
  return spec;
}

// host -> head -> middle -> tail -> host, each adding one; `middle` moves to `target`
// while the host keeps feeding the head.
void chain_survives_a_move(rk::Runtime& target) {
  auto source = own_runtime("cpu_sim");
  rk::Kernel tail = source->launch(forward("mig_tail", ""));
  rk::Kernel middle = source->launch(forward("mig_middle", "mig_tail"));
  rk::Kernel head = source->launch(forward("mig_head", "mig_middle"));
  constexpr uint64_t kMessages = 3000;
  std::atomic<bool> in_order{true};
  std::thread feeder([&] {  // gives up when the consumer has (a failed test must not hang)
    for (uint64_t i = 0; i < kMessages && in_order.load();)
      if (head.try_send(Value{i}, 100'000'000) == RK_SUCCESS) ++i;
  });
  // The host's consumer runs on its own, as in a real program: the move must not need it
  // to stop, nor stop it.
  std::atomic<uint64_t> received{0};
  uint64_t wrong = 0;  // what came instead of the next value, if anything did
  std::thread consumer([&] {
    for (uint64_t i = 0; i < kMessages; ++i) {
      auto out = tail.receive<Value>(kLong);
      if (!out || out->message.value != i + 3) {  // lost, duplicated or out of order
        wrong = out ? out->message.value : 0;
        in_order.store(false);
        return;
      }
      received.store(i + 1);
    }
  });
  REQUIRE(wait_until([&] { return received.load() >= kMessages / 3 || !in_order.load(); }));  // traffic flows
  rk::Kernel moved = migrate(middle, target);
  CHECK(middle.state() == RK_KERNEL_TERMINATED);
  CHECK(moved.state() == RK_KERNEL_ACTIVE);
  CHECK(moved.name() == "mig_middle");
  feeder.join();
  consumer.join();
  INFO("received " << received.load() << " in order, then " << wrong);
  INFO("dropped: head " << head.telemetry().messages_dropped << ", old " << middle.telemetry().messages_dropped
                        << " (error " << middle.telemetry().error_code << "), new " << moved.telemetry().messages_dropped
                        << ", tail " << tail.telemetry().messages_dropped);
  INFO((in_order.load() ? std::string() : source->dump() + target.dump()));
  CHECK(in_order.load());
  CHECK(received.load() == kMessages);  // every one, once, in order
  // The old handle says where the kernel went.
  CHECK(middle.try_send(Value{0}) == RK_ERROR_TERMINATED);
  CHECK(std::string(rk_last_error()).find("moved to another runtime") != std::string::npos);
  CHECK(moved.status().messages_processed + middle.status().messages_processed == kMessages);
  head.terminate();  // upstream first: nothing in flight is lost
  moved.terminate();
  tail.terminate();
  CHECK(!tail.receive<Value>(0).has_value());  // and nothing extra came
}

}  // namespace

TEST_CASE("a kernel in a K2K chain moves to another cpu_sim runtime under load", "[migrate][k2k]") {
  auto target = own_runtime("cpu_sim");
  chain_survives_a_move(*target);
}

TEST_CASE("a kernel in a K2K chain moves from cpu_sim to OpenCL under load", "[migrate][k2k][opencl]") {
  auto target = own_runtime("opencl");
  chain_survives_a_move(*target);
}

TEST_CASE("a moved kernel keeps its state, queued input and unread output", "[migrate]") {
  auto source = own_runtime("cpu_sim");
  auto target = own_runtime("cpu_sim");
  rk::Kernel echo = source->launch(echo_spec("mig_echo"));
  for (uint64_t i = 0; i < 3; ++i) CHECK(echo.request<Pong>(Ping{i}).seen == i);
  echo.send(Ping{10});
  echo.send(Ping{11});
  REQUIRE(wait_until([&] { return echo.status().output_depth == 2; }));
  echo.deactivate();
  for (uint64_t i = 0; i < 4; ++i) echo.send(Ping{100 + i});
  rk::Kernel moved = migrate(echo, *target);
  CHECK(moved.state() == RK_KERNEL_DEACTIVATED);  // as it was
  moved.reactivate();
  for (uint64_t i = 0; i < 2; ++i) CHECK(moved.receive<Pong>(kLong)->message.seen == 3 + i);
  for (uint64_t i = 0; i < 4; ++i) {
    auto out = moved.receive<Pong>(kLong);
    REQUIRE(out.has_value());
    CHECK(out->message.value == 101 + i);
    CHECK(out->message.seen == 5 + i);
  }
  CHECK(moved.request<Pong>(Ping{1}).seen == 9);
  CHECK(!echo.receive<Pong>(0).has_value());  // everything went along
  moved.terminate();
}

TEST_CASE("migrations that cannot be are refused, and nothing moves", "[migrate]") {
  auto source = own_runtime("cpu_sim");
  auto target = own_runtime("cpu_sim");
  rk::Kernel echo = source->launch(echo_spec("mig_refused"));
  rk_kernel moved = nullptr;
  CHECK(rk_kernel_migrate(echo.get(), source->get(), kLong, &moved) == RK_ERROR_INVALID_ARGUMENT);
  CHECK(rk_kernel_migrate(echo.get(), nullptr, kLong, &moved) == RK_ERROR_INVALID_ARGUMENT);
  CHECK(rk_kernel_migrate(echo.get(), target->get(), kLong, nullptr) == RK_ERROR_INVALID_ARGUMENT);
  rk::Kernel taken = target->launch(echo_spec("mig_refused"));
  CHECK(rk_kernel_migrate(echo.get(), target->get(), kLong, &moved) == RK_ERROR_INVALID_ARGUMENT);
  CHECK(std::string(rk_last_error()).find("already") != std::string::npos);
  CHECK(echo.request<Pong>(Ping{1}).value == 2);  // untouched
  echo.terminate();
  taken.terminate();
  CHECK(rk_kernel_migrate(echo.get(), target->get(), kLong, &moved) == RK_ERROR_INVALID_STATE);
  CHECK(moved == nullptr);
}

TEST_CASE("a kernel holding K2K messages from another runtime's kernel moves, their sender found by name", "[migrate][k2k]") {
  auto sender_side = own_runtime("cpu_sim");
  auto source = own_runtime("cpu_sim");
  auto target = own_runtime("cpu_sim");
  rk::Kernel tail = source->launch(forward("mig_far_tail", ""));
  rk::Kernel middle = source->launch(forward("mig_far_middle", "mig_far_tail"));
  rk::Kernel head = sender_side->launch(forward("mig_far_head", "mig_far_middle"));  // across runtimes
  middle.deactivate();
  for (uint64_t i = 0; i < 10; ++i) head.send(Value{i * 10});
  REQUIRE(wait_until([&] { return middle.status().inbox_depth == 10; }));  // their senders are proxies here
  rk::Kernel moved = migrate(middle, *target);
  CHECK(moved.state() == RK_KERNEL_DEACTIVATED);
  moved.reactivate();
  for (uint64_t i = 10; i < 20; ++i) head.send(Value{i * 10});  // and by name, after the move
  for (uint64_t i = 0; i < 20; ++i) {
    auto out = tail.receive<Value>(kLong);
    REQUIRE(out.has_value());
    CHECK(out->message.value == i * 10 + 3);
  }
  head.terminate();
  moved.terminate();
  tail.terminate();
}
