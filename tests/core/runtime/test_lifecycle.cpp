// Every lifecycle transition, valid and invalid, from every reachable state.
#include <chrono>
#include <string>
#include <thread>

#include "ring_test_support.hpp"

using namespace ringtest;

namespace {

enum class Action { launch, activate, deactivate, reactivate, terminate };

rk_result apply(rk_kernel k, Action a) {
  switch (a) {
    case Action::launch: return rk_kernel_launch(k);
    case Action::activate: return rk_kernel_activate(k);
    case Action::deactivate: return rk_kernel_deactivate(k);
    case Action::reactivate: return rk_kernel_reactivate(k);
    case Action::terminate: return rk_kernel_terminate(k, 10'000'000'000ull);
  }
  return RK_ERROR_INTERNAL;
}

// Brings a fresh kernel to `state` through valid transitions.
rk::Kernel kernel_in(rk_kernel_state state, const std::string& name) {
  rk::KernelSpec spec = echo_spec(name, false);
  rk_kernel_options options{};
  options.struct_size = sizeof(options);
  options.name = spec.name.c_str();
  options.source = spec.source.c_str();
  rk_kernel handle = nullptr;
  rk::check(rk_kernel_create(runtime().get(), &options, &handle), "create");
  rk::Kernel k(handle);
  if (state == RK_KERNEL_CREATED) return k;
  k.launch();
  if (state == RK_KERNEL_LAUNCHED) return k;
  if (state == RK_KERNEL_TERMINATED) {
    k.terminate();
    return k;
  }
  k.activate();
  if (state == RK_KERNEL_DEACTIVATED) k.deactivate();
  return k;
}

struct Case {
  rk_kernel_state from;
  Action action;
  rk_kernel_state to;  // RK_KERNEL_STATE_UNDEFINED: must be refused
};

}  // namespace

TEST_CASE("every lifecycle transition is enforced", "[lifecycle]") {
  const rk_kernel_state U = RK_KERNEL_STATE_UNDEFINED;
  const Case cases[] = {
      {RK_KERNEL_CREATED, Action::launch, RK_KERNEL_LAUNCHED},
      {RK_KERNEL_CREATED, Action::activate, U},
      {RK_KERNEL_CREATED, Action::deactivate, U},
      {RK_KERNEL_CREATED, Action::reactivate, U},
      {RK_KERNEL_CREATED, Action::terminate, U},
      {RK_KERNEL_LAUNCHED, Action::launch, U},
      {RK_KERNEL_LAUNCHED, Action::activate, RK_KERNEL_ACTIVE},
      {RK_KERNEL_LAUNCHED, Action::deactivate, U},
      {RK_KERNEL_LAUNCHED, Action::reactivate, U},
      {RK_KERNEL_LAUNCHED, Action::terminate, RK_KERNEL_TERMINATED},
      {RK_KERNEL_ACTIVE, Action::launch, U},
      {RK_KERNEL_ACTIVE, Action::activate, U},
      {RK_KERNEL_ACTIVE, Action::deactivate, RK_KERNEL_DEACTIVATED},
      {RK_KERNEL_ACTIVE, Action::reactivate, U},
      {RK_KERNEL_ACTIVE, Action::terminate, RK_KERNEL_TERMINATED},
      {RK_KERNEL_DEACTIVATED, Action::launch, U},
      {RK_KERNEL_DEACTIVATED, Action::activate, U},
      {RK_KERNEL_DEACTIVATED, Action::deactivate, U},
      {RK_KERNEL_DEACTIVATED, Action::reactivate, RK_KERNEL_ACTIVE},
      {RK_KERNEL_DEACTIVATED, Action::terminate, RK_KERNEL_TERMINATED},
      {RK_KERNEL_TERMINATED, Action::launch, U},
      {RK_KERNEL_TERMINATED, Action::activate, U},
      {RK_KERNEL_TERMINATED, Action::deactivate, U},
      {RK_KERNEL_TERMINATED, Action::reactivate, U},
      {RK_KERNEL_TERMINATED, Action::terminate, U},
  };
  int n = 0;
  for (const Case& c : cases) {
    CAPTURE(rk_kernel_state_name(c.from), int(c.action));
    rk::Kernel k = kernel_in(c.from, "lifecycle_" + std::to_string(n++));
    REQUIRE(k.state() == c.from);
    rk_result r = apply(k.get(), c.action);
    if (c.to == U) {
      CHECK(r == RK_ERROR_INVALID_STATE);
      std::string message = rk_last_error();
      CHECK(message.find(rk_kernel_state_name(c.from)) != std::string::npos);  // names the current state
      CHECK(message.find("allowed from") != std::string::npos);                 // and where it would be allowed
      CHECK(k.state() == c.from);
    } else {
      CHECK(r == RK_SUCCESS);
      CHECK(k.state() == c.to);
    }
  }
}

TEST_CASE("auto-activate launches straight into Active", "[lifecycle]") {
  rk::Kernel k = runtime().launch(echo_spec("lifecycle_auto"));
  CHECK(k.state() == RK_KERNEL_ACTIVE);
  CHECK(k.request<Pong>(Ping{41}).value == 42);
}

TEST_CASE("a deactivated kernel keeps its state and its queued messages", "[lifecycle]") {
  rk::Kernel k = runtime().launch(echo_spec("lifecycle_pause"));
  CHECK(k.request<Pong>(Ping{1}).seen == 0);
  k.deactivate();
  for (uint64_t i = 0; i < 10; ++i) k.send(Ping{i});
  CHECK_FALSE(k.receive<Pong>(50'000'000).has_value());  // nothing processed while paused
  CHECK(k.status().input_depth == 10);
  k.reactivate();
  for (uint64_t i = 0; i < 10; ++i) {
    auto pong = k.receive<Pong>(5'000'000'000ull);
    REQUIRE(pong.has_value());
    CHECK(pong->message.value == i + 1);
    CHECK(pong->message.seen == i + 1);  // state survived the pause
  }
}

TEST_CASE("a hung handler makes terminate time out instead of hanging the host", "[lifecycle]") {
  rk::KernelSpec spec;
  spec.name = "lifecycle_hung";
  spec.source = R"(
RK_INLINE int32_t rk_handler(rk_ctx* ctx, rk_global const rk_msg_header* msg, rk_global const uint8_t* payload) {
  (void)ctx; (void)msg; (void)payload;
  int64_t until = rk_clock_ns() + 1500000000; /* busy for 1.5 s */
  while (rk_clock_ns() < until) rk_pause();
  return RK_SUCCESS;
})";
  rk::Kernel k = runtime().launch(spec);
  k.send(Ping{0});
  // The loop picks the message up within microseconds; give it ample time to be inside
  // the handler (the input slot is released only after the handler returns).
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  CHECK(rk_kernel_terminate(k.get(), 50'000'000) == RK_ERROR_TIMEOUT);
  CHECK(std::string(rk_last_error()).find("did not stop in time") != std::string::npos);
  CHECK(k.state() == RK_KERNEL_TERMINATING);
  CHECK(rk_kernel_terminate(k.get(), 10'000'000'000ull) == RK_SUCCESS);  // terminate again keeps waiting
  CHECK(k.state() == RK_KERNEL_TERMINATED);
  CHECK(k.telemetry().messages_processed == 1);
}
