// Watchdog and supervision (rk_kernel_supervise; docs/runtime.md, "Watchdog and
// supervision"): stalls and error bursts are reported, restarts keep every queued message,
// a hung handler and restart storms end Faulted with a reason, and Faulted goes through the
// state machine. Handlers here block on what the host controls (a terminate, a park request,
// a further send), never on time: nothing asserts how fast the supervisor is, only what it
// reports once it has (waited for, bounded) and what must hold under any interleaving.
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "ring_test_support.hpp"

using namespace ringtest;

namespace {

// Type 1 Ping: the echo's reply, counting in the state. Type 4: returns only when the
// kernel is terminated (a hung handler that ignores parking). Type 5: returns when asked to
// stop in any way (a park for a restart). Type 6: returns once another message is sent.
// Type 7: fails. Each waits at most 60 s, so a broken test cannot hang the suite.
const char* const kSupervisedSource = R"(
typedef struct sv_state { uint64_t handled; } sv_state;
typedef struct ping { uint64_t value; } ping;
typedef struct pong { uint64_t value; uint64_t seen; } pong;
RK_INLINE int32_t rk_handler(rk_ctx* ctx, rk_global const rk_msg_header* msg, rk_global const uint8_t* payload) {
  rk_global uint32_t* stop = (rk_global uint32_t*)&ctx->control->should_terminate;
  rk_global uint64_t* tail = (rk_global uint64_t*)&ctx->input->tail;
  int64_t give_up = rk_clock_ns() + 60000000000;
  if (msg->type_id == 1u) {
    rk_global sv_state* state = (rk_global sv_state*)rk_state(ctx);
    pong out;
    out.value = ((rk_global const ping*)payload)->value + 1u;
    out.seen = state->handled;
    state->handled += 1u;
    return rk_reply(ctx, 2u, &out, (uint32_t)sizeof(out));
  }
  if (msg->type_id == 4u) {
    while (rk_load_acquire_u32(stop) != 1u && rk_clock_ns() < give_up) rk_pause();
    return RK_SUCCESS;
  }
  if (msg->type_id == 5u) {
    while (rk_load_acquire_u32(stop) == 0u && rk_clock_ns() < give_up) rk_pause();
    return RK_SUCCESS;
  }
  if (msg->type_id == 6u) {
    uint64_t seen = rk_load_acquire_u64(tail);
    while (rk_load_acquire_u64(tail) == seen && rk_clock_ns() < give_up) rk_pause();
    return RK_SUCCESS;
  }
  return RK_ERROR_HANDLER_FAILED;
}
)";

struct HangUntilTerminate {
  static constexpr uint32_t type_id = 4;
  uint64_t unused;
};
struct HangUntilParked {
  static constexpr uint32_t type_id = 5;
  uint64_t unused;
};
struct HoldUntilNextSend {
  static constexpr uint32_t type_id = 6;
  uint64_t unused;
};
struct Fail {
  static constexpr uint32_t type_id = 7;
  uint64_t unused;
};

rk::KernelSpec supervised_spec(const std::string& name) {
  rk::KernelSpec spec;
  spec.name = name;
  spec.source = kSupervisedSource;
  spec.state_bytes = 8;
  spec.input_capacity = 256;
  spec.output_capacity = 256;
  return spec;
}

struct Seen {
  rk_supervision_event_kind kind;
  std::string reason;
  uint64_t message_id;
  int64_t stalled_ns;
  uint64_t errors;
  uint32_t restarts;
  rk_kernel kernel;
};

// What the supervisor told us, from its callback on the bridge thread.
class Recorder {
 public:
  static void on_event(void* user, const rk_supervision_event* e) {
    auto* self = static_cast<Recorder*>(user);
    std::lock_guard lock(self->mutex_);
    self->events_.push_back(Seen{e->kind, e->reason, e->message_id, e->stalled_ns, e->errors, e->restarts, e->kernel});
  }
  std::vector<Seen> events() {
    std::lock_guard lock(mutex_);
    return events_;
  }
  size_t count(rk_supervision_event_kind kind) {
    size_t n = 0;
    for (const Seen& e : events()) n += e.kind == kind ? 1 : 0;
    return n;
  }
  bool saw(rk_supervision_event_kind kind) {
    return wait_until([&] { return count(kind) != 0; });
  }
  Seen first(rk_supervision_event_kind kind) {
    for (const Seen& e : events())
      if (e.kind == kind) return e;
    FAIL("no event of kind " << kind);
    return {};
  }

 private:
  std::mutex mutex_;
  std::vector<Seen> events_;
};

rk_supervision_options watch(rk_supervision_policy policy, Recorder& recorder) {
  rk_supervision_options o = RK_SUPERVISION_OPTIONS_INIT;
  o.policy = policy;
  o.stall_ns = 20'000'000;  // 20 ms
  o.on_event = &Recorder::on_event;
  o.user_data = &recorder;
  return o;
}

constexpr uint64_t kLong = 30'000'000'000ull;

void restart_keeps_queued_messages(const std::string& backend, uint32_t flags) {
  auto rt = own_runtime(backend);
  Recorder recorder;  // outlives the kernel: its callback may run until the kernel is destroyed
  rk::Kernel k = rt->launch(supervised_spec("sv_restart_" + backend + std::to_string(flags)));
  rk_supervision_options o = watch(RK_SUPERVISE_RESTART, recorder);
  o.restart_flags = flags;
  o.restart_timeout_ns = kLong;  // the handler returns at the park request; never give up on it
  k.supervise(o);
  for (uint64_t i = 0; i < 3; ++i) CHECK(k.request<Pong>(Ping{i}).seen == i);
  uint64_t stuck = k.send(HangUntilParked{0});
  for (uint64_t i = 0; i < 20; ++i) k.send(Ping{100 + i});  // queued behind the stuck handler
  REQUIRE(recorder.saw(RK_SUPERVISION_RESTARTED));
  // The stuck handler returns only when a restart asks the loop to park, so a restart
  // came between it and the Pings. A loop slow to start on a loaded machine is a stall
  // too (and restarted): the counts may be higher, the order and the state's keeping not.
  uint64_t last_seen = 0;
  for (uint64_t i = 0; i < 20; ++i) {
    auto out = k.receive<Pong>(kLong);
    REQUIRE(out.has_value());
    CHECK(out->message.value == 101 + i);  // every one, in order
    if ((flags & RK_RESTART_RESET_STATE) == 0) CHECK(out->message.seen == 3 + i);
    else if (i == 0) CHECK(out->message.seen == 0);
    else CHECK((out->message.seen == last_seen + 1 || out->message.seen == 0));
    last_seen = out->message.seen;
  }
  for (const Seen& stalled : recorder.events()) {
    if (stalled.kind != RK_SUPERVISION_STALLED) continue;
    CHECK(stalled.stalled_ns >= 20'000'000);  // never reported early
    CHECK(stalled.kernel == k.get());
    CHECK((stalled.message_id == stuck || stalled.message_id == 0));  // 0: work waited, no handler ran yet
  }
  rk_kernel_status s = k.status();
  CHECK(s.stalls >= 1);
  CHECK(s.restarts >= 1);
  CHECK(s.restart_failures == 0);
  CHECK(k.state() == RK_KERNEL_ACTIVE);
  k.terminate();
}

}  // namespace

TEST_CASE("a stalled handler is reported; under the report policy the kernel runs on", "[coherent][supervision]") {
  Recorder recorder;  // outlives the kernel: its callback may run until the kernel is destroyed
  rk::Kernel k = runtime().launch(supervised_spec("sv_report"));
  k.supervise(watch(RK_SUPERVISE_REPORT, recorder));
  uint64_t held = k.send(HoldUntilNextSend{0});
  REQUIRE(recorder.saw(RK_SUPERVISION_STALLED));
  CHECK(k.status().stalled == 1);
  CHECK(k.state() == RK_KERNEL_ACTIVE);
  Seen stalled = recorder.first(RK_SUPERVISION_STALLED);
  CHECK((stalled.message_id == held || stalled.message_id == 0));  // 0: seen before the handler started
  CHECK(stalled.stalled_ns >= 20'000'000);
  CHECK(recorder.count(RK_SUPERVISION_STALLED) == 1);  // reported once until it moves again
  // The next send lets the handler return: progress again, reported, and the Ping answered.
  CHECK(k.request<Pong>(Ping{7}).value == 8);
  REQUIRE(recorder.saw(RK_SUPERVISION_PROGRESSING));
  CHECK(wait_until([&] { return k.status().stalled == 0; }));
  CHECK(k.status().stalls >= 1);
  CHECK(k.status().restarts == 0);  // report only
  k.terminate();
}

TEST_CASE("a restart keeps every queued message and the state (cpu_sim)", "[coherent][supervision]") {
  restart_keeps_queued_messages("cpu_sim", 0);
}
TEST_CASE("a restart keeps every queued message and the state (opencl)", "[coherent][supervision][opencl]") {
  restart_keeps_queued_messages("opencl", 0);
}
TEST_CASE("a restart keeps every queued message and the state (cuda)", "[coherent][supervision][cuda]") {
  restart_keeps_queued_messages("cuda", 0);
}
TEST_CASE("a restart with RK_RESTART_RESET_STATE zeroes the state and keeps the messages", "[coherent][supervision]") {
  restart_keeps_queued_messages("cpu_sim", RK_RESTART_RESET_STATE);
}

TEST_CASE("a handler that never returns leaves the kernel Faulted; terminate still drains it", "[coherent][supervision]") {
  Recorder recorder;  // outlives the kernel: its callback may run until the kernel is destroyed
  rk::Kernel k = runtime().launch(supervised_spec("sv_hung"));
  rk_supervision_options o = watch(RK_SUPERVISE_RESTART, recorder);
  o.restart_timeout_ns = 50'000'000;
  k.supervise(o);
  k.send(HangUntilTerminate{0});
  for (uint64_t i = 0; i < 5; ++i) k.send(Ping{i});
  REQUIRE(recorder.saw(RK_SUPERVISION_FAULTED));
  CHECK(k.state() == RK_KERNEL_FAULTED);
  CHECK(recorder.count(RK_SUPERVISION_RESTART_FAILED) == 1);  // its event comes before FAULTED's
  CHECK(k.status().restart_failures == 1);
  std::string reason = k.fault_reason();
  CHECK(reason.find("message boundary") != std::string::npos);
  CHECK(recorder.first(RK_SUPERVISION_FAULTED).reason.find(reason) != std::string::npos);

  // Faulted refuses sends, and every lifecycle call but restart and terminate, with reasons.
  CHECK(k.try_send(Ping{99}) == RK_ERROR_KERNEL_FAULTED);
  CHECK(std::string(rk_last_error()).find(reason) != std::string::npos);
  for (rk_result r : {rk_kernel_activate(k.get()), rk_kernel_deactivate(k.get()), rk_kernel_reactivate(k.get()),
                      rk_kernel_launch(k.get())}) {
    CHECK(r == RK_ERROR_INVALID_STATE);
    CHECK(std::string(rk_last_error()).find("Faulted") != std::string::npos);
  }
  // The handler is still stuck: a restart cannot stop it, and says so.
  CHECK(rk_kernel_restart(k.get(), 0, 20'000'000) == RK_ERROR_TIMEOUT);
  CHECK(k.state() == RK_KERNEL_FAULTED);
  // Terminate is what it honours: the five Pings queued before the fault are handled.
  k.terminate();
  CHECK(k.state() == RK_KERNEL_TERMINATED);
  for (uint64_t i = 0; i < 5; ++i) {
    auto out = k.receive<Pong>(0);
    REQUIRE(out.has_value());
    CHECK(out->message.value == i + 1);
  }
}

TEST_CASE("a handler that fails every message trips the circuit breaker; restart brings it back", "[supervision]") {
  Recorder recorder;  // outlives the kernel: its callback may run until the kernel is destroyed
  rk::Kernel k = runtime().launch(supervised_spec("sv_breaker"));
  rk_supervision_options o = watch(RK_SUPERVISE_RESTART, recorder);
  o.stall_ns = 0;
  o.error_limit = 5;
  o.error_window_ns = 3'600'000'000'000ull;  // an hour: the bound, not the clock, decides
  o.max_restarts = 2;
  o.restart_window_ns = 3'600'000'000'000ull;
  k.supervise(o);
  // Failing messages until the supervisor gives up; sends then are refused.
  rk_result r = RK_SUCCESS;
  REQUIRE(wait_until([&] {
    r = k.try_send(Fail{0});
    if (r == RK_ERROR_QUEUE_FULL) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    return r == RK_ERROR_KERNEL_FAULTED;
  }));
  CHECK(k.state() == RK_KERNEL_FAULTED);
  REQUIRE(recorder.saw(RK_SUPERVISION_FAULTED));  // the state changes first, the callback follows
  rk_kernel_status s = k.status();
  CHECK(s.restarts == 2);      // max_restarts
  CHECK(s.error_bursts == 3);  // each restart's cause, and the one that opened the breaker
  CHECK(recorder.count(RK_SUPERVISION_RESTARTED) == 2);
  CHECK(recorder.count(RK_SUPERVISION_ERRORS) == 3);
  CHECK(recorder.first(RK_SUPERVISION_FAULTED).restarts == 2);
  CHECK(k.fault_reason().find("circuit breaker") != std::string::npos);
  for (const Seen& e : recorder.events())
    if (e.kind == RK_SUPERVISION_ERRORS) CHECK(e.errors >= 5);

  // The way back: restart (the loop parked at a message boundary), sends accepted again.
  k.restart();
  CHECK(k.state() == RK_KERNEL_ACTIVE);
  CHECK(k.fault_reason().empty());
  CHECK(k.request<Pong>(Ping{41}).value == 42);
  CHECK(k.status().restarts == 3);
  k.terminate();
}

TEST_CASE("the report policy counts error bursts and leaves the kernel Active", "[supervision]") {
  Recorder recorder;  // outlives the kernel: its callback may run until the kernel is destroyed
  rk::Kernel k = runtime().launch(supervised_spec("sv_errors_report"));
  rk_supervision_options o = watch(RK_SUPERVISE_REPORT, recorder);
  o.stall_ns = 0;
  o.error_limit = 10;
  o.error_window_ns = 3'600'000'000'000ull;
  k.supervise(o);
  REQUIRE(wait_until([&] {
    (void)k.try_send(Fail{0});
    return recorder.count(RK_SUPERVISION_ERRORS) != 0;
  }));
  CHECK(k.state() == RK_KERNEL_ACTIVE);
  CHECK(k.status().error_bursts >= 1);
  CHECK(k.status().restarts == 0);
  CHECK(k.request<Pong>(Ping{1}).value == 2);
  k.terminate();
}

TEST_CASE("a deactivated kernel with queued work is not stalled", "[supervision]") {
  Recorder recorder;  // outlives the kernel: its callback may run until the kernel is destroyed
  rk::Kernel k = runtime().launch(supervised_spec("sv_paused"));
  k.supervise(watch(RK_SUPERVISE_RESTART, recorder));
  k.deactivate();
  for (uint64_t i = 0; i < 10; ++i) k.send(Ping{i});
  std::this_thread::sleep_for(std::chrono::milliseconds(200));  // ten stall intervals; any slower only checks less
  CHECK(recorder.events().empty());
  CHECK(k.status().stalls == 0);
  k.reactivate();
  for (uint64_t i = 0; i < 10; ++i) REQUIRE(k.receive<Pong>(kLong).has_value());
  k.terminate();
}

TEST_CASE("supervision options and restarts are checked", "[supervision]") {
  rk::Kernel k = runtime().launch(supervised_spec("sv_args"));
  rk_supervision_options o = RK_SUPERVISION_OPTIONS_INIT;
  o.policy = RK_SUPERVISE_REPORT;
  CHECK(rk_kernel_supervise(k.get(), nullptr) == RK_ERROR_INVALID_ARGUMENT);
  CHECK(rk_kernel_supervise(nullptr, &o) == RK_ERROR_INVALID_ARGUMENT);
  CHECK(rk_kernel_supervise(k.get(), &o) == RK_ERROR_INVALID_ARGUMENT);  // nothing to watch
  CHECK(std::string(rk_last_error()).find("stall_ns") != std::string::npos);
  o.stall_ns = 1'000'000;
  o.policy = static_cast<rk_supervision_policy>(9);
  CHECK(rk_kernel_supervise(k.get(), &o) == RK_ERROR_INVALID_ARGUMENT);
  o.policy = RK_SUPERVISE_RESTART;
  o.restart_flags = 0x80;
  CHECK(rk_kernel_supervise(k.get(), &o) == RK_ERROR_INVALID_ARGUMENT);
  o.restart_flags = 0;
  o.struct_size = 8;
  CHECK(rk_kernel_supervise(k.get(), &o) == RK_ERROR_INVALID_ARGUMENT);
  CHECK(std::string(rk_last_error()).find("struct_size") != std::string::npos);
  o.struct_size = sizeof(o);
  CHECK(rk_kernel_supervise(k.get(), &o) == RK_SUCCESS);
  o.policy = RK_SUPERVISE_OFF;
  CHECK(rk_kernel_supervise(k.get(), &o) == RK_SUCCESS);  // and off again
  CHECK(rk_kernel_restart(k.get(), 0x80, kLong) == RK_ERROR_INVALID_ARGUMENT);
  CHECK(rk_kernel_fault_reason(k.get(), nullptr, 0) == 0);
  char buffer[4] = {'x', 'x', 'x', 'x'};
  CHECK(rk_kernel_fault_reason(nullptr, buffer, sizeof(buffer)) == 0);
  CHECK(buffer[0] == '\0');

  // A manual restart of a healthy kernel: state kept, messages kept, counted.
  CHECK(k.request<Pong>(Ping{1}).seen == 0);
  k.restart();
  CHECK(k.request<Pong>(Ping{2}).seen == 1);
  k.restart(RK_RESTART_RESET_STATE);
  CHECK(k.request<Pong>(Ping{3}).seen == 0);
  CHECK(k.status().restarts == 2);
  k.terminate();
  CHECK(rk_kernel_restart(k.get(), 0, kLong) == RK_ERROR_INVALID_STATE);
  CHECK(std::string(rk_last_error()).find("allowed from") != std::string::npos);
  o.policy = RK_SUPERVISE_REPORT;
  CHECK(rk_kernel_supervise(k.get(), &o) == RK_ERROR_INVALID_STATE);
}

namespace {

struct DestroyAttempt {
  rk_kernel target = nullptr;
  std::atomic<int> result{-1};
};

void try_destroy(void* user, const rk_supervision_event* e) {
  auto* attempt = static_cast<DestroyAttempt*>(user);
  if (e->kind == RK_SUPERVISION_STALLED && attempt->result.load() == -1)
    attempt->result.store(static_cast<int>(rk_kernel_destroy(attempt->target)));
}

}  // namespace

TEST_CASE("a supervision callback may not destroy kernels", "[coherent][supervision]") {
  DestroyAttempt attempt;  // outlives the kernel
  rk::Kernel k = runtime().launch(supervised_spec("sv_callback_destroy"));
  attempt.target = k.get();
  rk_supervision_options o = RK_SUPERVISION_OPTIONS_INIT;
  o.policy = RK_SUPERVISE_REPORT;
  o.stall_ns = 20'000'000;
  o.on_event = &try_destroy;
  o.user_data = &attempt;
  k.supervise(o);
  k.send(HoldUntilNextSend{0});
  REQUIRE(wait_until([&] { return attempt.result.load() != -1; }));
  CHECK(attempt.result.load() == RK_ERROR_INVALID_STATE);
  k.send(Ping{0});  // lets the held handler return
  k.terminate();
}
