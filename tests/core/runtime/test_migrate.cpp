// Migration (rk_kernel_migrate; docs/runtime.md, "Snapshots and migration"): a running
// kernel moves to another runtime with its state and every message, while K2K peers keep
// sending to it by name; nothing is lost, duplicated or reordered.
#include <atomic>
#include <cstdio>
#include <cstring>
#include <string>
#include <thread>

#include "asker_kernel.hpp"
#include "order_sink_kernel.hpp"
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

// The asker (tests/support/asker_kernel.hpp) asks its peer 0, the answerer below, which
// answers each question by K2K to its reply address.
struct Burst {
  static constexpr uint32_t type_id = 1;
  uint64_t count, first;
};
struct Answers {
  static constexpr uint32_t type_id = 10;
  uint64_t answers, out_of_order;
};
struct AskReport {
  static constexpr uint32_t type_id = 9;
  uint64_t unused;
};
const char* const kAnswererSource = R"(
RK_INLINE int32_t rk_handler(rk_ctx* ctx, rk_global const rk_msg_header* msg, rk_global const uint8_t* payload) {
  uint64_t answer = *(rk_global const uint64_t*)payload + 1u;
  (void)msg;
  return rk_reply_later(ctx, rk_reply_address(ctx), 5u, &answer, 8u);
}
)";

// An asker moves back and forth between `one` and `other` while `answering` (a third
// runtime, or one of the two) answers its questions by K2K.
void answers_follow_a_moving_asker(rk::Runtime& answering, rk::Runtime& one, rk::Runtime& other, bool in_order) {
  rk::KernelSpec answerer;
  answerer.name = "mig_answerer";
  answerer.source = kAnswererSource;
  answerer.accepted_types = {4u};
  answerer.inbox_capacity = 16;
  // Its answers never wait on sends (a K2K handler should not): room for every one, so
  // none is refused however far the asker falls behind.
  answerer.outbox_capacity = 2048;
  rk::Kernel answers = answering.launch(answerer);
  rk::KernelSpec asker;
  asker.name = "mig_asker";
  asker.source = rk::test::kAskerSource;
  asker.state_bytes = 24;
  asker.accepted_types = {Burst::type_id, 5u, AskReport::type_id};
  asker.peers = {"mig_answerer"};
  asker.inbox_capacity = 16;
  // Room for what waits in the egress queue (256) besides its own: sends for a kernel of the
  // runtime it moves to go along in its outbox (docs/runtime.md, "Snapshots and migration").
  asker.outbox_capacity = 512;
  rk::Kernel asking = one.launch(asker);
  auto got = [&] { return asking.request<Answers>(AskReport{0}, kLong); };
  // The asker moves back and forth while its questions and their answers are on their way
  // (each handler sends at most its outbox's capacity, 64: the rule of docs/runtime.md, "K2K
  // sends never deadlock the loop"). Every other move the answerer takes a pause, so
  // questions certainly wait in the asker's runtime's egress queue when it moves.
  constexpr uint64_t kBursts = 40, kPer = 48;
  for (uint64_t b = 0; b < kBursts; ++b) {
    const bool pause = b % 4 == 0;
    if (pause) answers.deactivate();
    asking.send(Burst{kPer, b * kPer});
    if (pause) REQUIRE(wait_until([&] { return answers.status().inbox_depth >= 16; }));  // full: the rest waits
    if (b % 2 == 0) asking = migrate(asking, b % 4 == 0 ? other : one);
    if (pause) answers.reactivate();
  }
  const bool all =
      wait_while_progressing([&] { return got().answers >= kBursts * kPer; }, [&] { return got().answers; });
  INFO("answers " << got().answers << ", questions answered " << answers.telemetry().messages_processed
                  << ", dropped: asker " << asking.telemetry().messages_dropped << ", answerer "
                  << answers.telemetry().messages_dropped);
  INFO((all ? std::string() : answering.dump() + one.dump() + other.dump()));
  REQUIRE(all);
  CHECK(got().answers == kBursts * kPer);  // none lost, none twice
  if (in_order) CHECK(got().out_of_order == 0);
  CHECK(answers.telemetry().messages_dropped == 0);
  CHECK(answers.status().k2k_refused == 0);  // no route to it closed on the way
  asking.terminate();
  answers.terminate();
}

// The order sink (tests/support/order_sink_kernel.hpp) as the peer of the senders below,
// with a 4-slot inbox, so a few values fill it and the rest wait.
rk::KernelSpec order_checker(const std::string& name) {
  rk::KernelSpec checker;
  checker.name = name;
  checker.source = rk::test::kOrderSinkSource;  // reads the value in a payload's first 8 bytes
  checker.state_bytes = 24;
  checker.accepted_types = {4u, AskReport::type_id};
  checker.inbox_capacity = 4;
  return checker;
}

// A kernel that, for a Burst {count, first}, sends count values to `peer` (the asker of
// tests/support/asker_kernel.hpp).
rk::KernelSpec burst_sender(const std::string& name, const std::string& peer) {
  rk::KernelSpec sender;
  sender.name = name;
  sender.source = rk::test::kAskerSource;
  sender.state_bytes = 24;
  sender.accepted_types = {Burst::type_id};
  sender.peers = {peer};
  return sender;
}

// `sending` (in another runtime) sends a burst of `per` values to `checking` (in `away`),
// deactivated first: its inbox fills and the rest wait in the sender's runtime's egress
// queue. The move of `sending` to `away` is refused, naming `reason`, and nothing moved;
// once the values are delivered it goes through, and a second burst arrives after the
// first, in order.
void refused_until_delivered(rk::Kernel& sending, rk::Kernel& checking, rk::Runtime& away, uint64_t per,
                             const std::string& reason) {
  checking.deactivate();
  sending.send(Burst{per, 0});
  REQUIRE(wait_until([&] { return sending.telemetry().messages_processed == 1 && checking.status().inbox_depth >= 4; }));
  rk_kernel moved = nullptr;
  CHECK(rk_kernel_migrate(sending.get(), away.get(), kLong, &moved) == RK_ERROR_QUEUE_FULL);
  CHECK(std::string(rk_last_error()).find(reason) != std::string::npos);
  CHECK(moved == nullptr);
  CHECK(sending.state() == RK_KERNEL_ACTIVE);  // untouched, and open to the host again
  CHECK(sending.try_send(Burst{0, 0}) == RK_SUCCESS);
  checking.reactivate();
  auto report = [&] { return checking.request<Answers>(AskReport{0}, kLong); };
  REQUIRE(wait_until([&] { return report().answers == per; }));
  sending = migrate(sending, away);  // delivered: nothing waits now
  sending.send(Burst{per, per});
  REQUIRE(wait_until([&] { return report().answers == 2 * per; }));
  CHECK(report().out_of_order == 0);
  CHECK(sending.telemetry().messages_dropped == 0);
  sending.terminate();
  checking.terminate();
}

}  // namespace

// What a kernel sent to another runtime just before it moved can leave its old runtime's
// egress queue afterwards, naming it by its old place: the answers came late, out of order.
TEST_CASE("answers to a kernel that moved since it asked reach it where it is now", "[migrate][k2k]") {
  auto answering = own_runtime("cpu_sim");
  auto one = own_runtime("cpu_sim");
  auto other = own_runtime("cpu_sim");
  answers_follow_a_moving_asker(*answering, *one, *other, true);
}

// Moving into (and out of) the runtime of the kernel it asks: the answerer then holds
// reply addresses that lead home through the egress queue. One of them, followed after a
// second move, led to the kernel's old, terminated place: answers dropped and the route
// closed. And answers by such an address and by the kernel's direct id swapped places (3
// runs in 5) until its id there stayed a proxy too while such an address exists.
TEST_CASE("a kernel moving in and out of the runtime of the kernel it asks gets every answer", "[migrate][k2k]") {
  auto one = own_runtime("cpu_sim");
  auto other = own_runtime("cpu_sim");
  answers_follow_a_moving_asker(*other, *one, *other, true);
}

// A kernel that sends to a peer of its own runtime by the peer's id: the peer moves away
// and back while sends wait for it in the runtime's egress queue (its id there is a proxy
// while it is away). Back home, its id opened straight into its inbox and the sends after
// the move overtook those still queued (found in review).
TEST_CASE("a kernel moving back to the runtime of a kernel that sends to it keeps that sender's order", "[migrate][k2k]") {
  auto home = own_runtime("cpu_sim");
  auto away = own_runtime("cpu_sim");
  rk::Kernel checking = home->launch(order_checker("mig_checker"));
  rk::KernelSpec sender = burst_sender("mig_sender", "mig_checker");
  sender.outbox_capacity = 64;
  rk::Kernel sending = home->launch(sender);
  constexpr uint64_t kRounds = 6, kPer = 48;
  auto bursts_handled = [&] { return sending.telemetry().messages_processed; };
  for (uint64_t r = 0; r < kRounds; ++r) {
    checking = migrate(checking, *away);
    // Away and not taking anything: the sends fill its inbox and wait in the home egress queue.
    checking.deactivate();
    sending.send(Burst{kPer, 2 * r * kPer});
    REQUIRE(wait_until([&] { return checking.status().inbox_depth >= 4; }));
    checking = migrate(checking, *home);
    // Home again, still not taking anything: these must queue behind the ones above.
    sending.send(Burst{kPer, (2 * r + 1) * kPer});
    REQUIRE(wait_while_progressing([&] { return bursts_handled() == 2 * r + 2; }, bursts_handled));
    checking.reactivate();
  }
  auto report = [&] { return checking.request<Answers>(AskReport{0}, kLong); };
  const bool all = wait_while_progressing([&] { return report().answers >= 2 * kRounds * kPer; },
                                          [&] { return report().answers; });
  INFO("got " << report().answers << ", dropped: sender " << sending.telemetry().messages_dropped);
  REQUIRE(all);
  CHECK(report().answers == 2 * kRounds * kPer);
  CHECK(report().out_of_order == 0);
  CHECK(sending.status().k2k_refused == 0);
  sending.terminate();
  checking.terminate();
}

// Sends a kernel made to a kernel of the runtime it moves to, still waiting in its old
// runtime's egress queue, go ahead of its outbox there: where they do not fit, the move is
// refused (before, they were left to be handed on from the old queue, and what the moved
// kernel sent that kernel next could overtake them).
TEST_CASE("a move whose waiting sends would not fit ahead of its outbox is refused, and order holds", "[migrate][k2k]") {
  auto home = own_runtime("cpu_sim");
  auto away = own_runtime("cpu_sim");
  rk::Kernel checking = away->launch(order_checker("mig_fit_checker"));
  rk::KernelSpec sender = burst_sender("mig_fit_sender", "mig_fit_checker");
  sender.outbox_capacity = 16;
  rk::Kernel sending = home->launch(sender);
  constexpr uint64_t kPer = 40;  // 4 fill the checker's inbox, 36 wait in home's egress queue
  refused_until_delivered(sending, checking, *away, kPer, "overtake");
}

// The same when a waiting send is larger than the moving kernel's own slots: a send through
// a proxy fits the egress queue's slots, not necessarily its outbox's.
TEST_CASE("a move whose waiting send would not fit its outbox's slots is refused, and order holds", "[migrate][k2k]") {
  auto home = own_runtime("cpu_sim");
  auto away = own_runtime("cpu_sim");
  rk::KernelSpec checker = order_checker("mig_big_checker");
  checker.max_payload_size = 64;
  rk::Kernel checking = away->launch(checker);
  rk::KernelSpec sender = burst_sender("mig_big_sender", "mig_big_checker");
  sender.source = R"(
RK_INLINE int32_t rk_handler(rk_ctx* ctx, rk_global const rk_msg_header* msg, rk_global const uint8_t* payload) {
  uint64_t count = ((rk_global const uint64_t*)payload)[0], first = ((rk_global const uint64_t*)payload)[1];
  (void)msg;
  for (uint64_t i = 0; i < count; ++i) {
    uint64_t big[8] = {first + i, 0, 0, 0, 0, 0, 0, 0};  /* 64 bytes: more than its own slots hold */
    int32_t sent = rk_send_to_kernel(ctx, rk_peer(ctx, 0), 4u, big, 64u);
    if (sent != RK_SUCCESS) return sent;
  }
  return RK_SUCCESS;
})";
  sender.state_bytes = 0;
  sender.max_payload_size = 16;  // a Burst
  rk::Kernel sending = home->launch(sender);
  constexpr uint64_t kPer = 6;  // 4 fill the checker's inbox, 2 wait in home's egress queue
  refused_until_delivered(sending, checking, *away, kPer, "max_payload_size");
}

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

// While a move is under way, the target runtime holds the kernel's twin; it is not the
// kernel until the move lands (a failed move frees it). A message makes this kernel send
// three values, which the test finds where the kernel went.
const char* const kThreeRepliesSource = R"(
RK_INLINE int32_t rk_handler(rk_ctx* ctx, rk_global const rk_msg_header* msg, rk_global const uint8_t* payload) {
  (void)msg;
  uint64_t first = *(rk_global const uint64_t*)payload;
  for (uint64_t i = 0u; i < 3u; ++i) {
    uint64_t value = first + i;
    int32_t sent = rk_enqueue_output(ctx, 3u, &value, 8u);
    if (sent != RK_SUCCESS) return sent;
  }
  return RK_SUCCESS;
})";

TEST_CASE("a kernel moving in is found by name only once the move lands", "[migrate]") {
  auto source = own_runtime("cpu_sim");
  auto target = own_runtime("cpu_sim");
  rk::KernelSpec spec = forward("mig_found_late", "");
  spec.source = kThreeRepliesSource;
  rk::Kernel three = source->launch(spec);
  // An open reservation holds the move up after its twin is made: the move closes the
  // kernel to host sends, and waits for the commit first (whatever the threads' speeds;
  // a handler waiting for output room did not, since the move drains output as it parks).
  rk_slot slot{};
  REQUIRE(rk_kernel_reserve(three.get(), Value::type_id, sizeof(Value), RK_WAIT_FOREVER, &slot) == RK_SUCCESS);
  rk_kernel moved = nullptr;
  rk_result migrated = RK_ERROR_INVALID_STATE;
  std::thread mover([&] { migrated = rk_kernel_migrate(three.get(), target->get(), kLong, &moved); });
  // The twin is there (the dump says so) while the move waits for the commit.
  bool twin_seen = wait_until([&] { return target->dump().find("MOVING IN") != std::string::npos; });
  rk_kernel found = reinterpret_cast<rk_kernel>(uintptr_t{1});
  rk_result during = rk_runtime_find_kernel(target->get(), "mig_found_late", &found);
  std::string why = rk_last_error();
  bool counted_there = target->metrics_text().find("mig_found_late") != std::string::npos;
  Value first{10};
  std::memcpy(slot.payload, &first, sizeof first);
  CHECK(rk_kernel_commit(three.get(), &slot, nullptr) == RK_SUCCESS);  // the move goes on
  mover.join();  // (no REQUIRE before this: a failed one would leave the thread joinable)
  REQUIRE(twin_seen);
  CHECK(during == RK_ERROR_UNKNOWN_KERNEL);
  CHECK(found == nullptr);
  CHECK(why.find("still moving") != std::string::npos);
  CHECK_FALSE(counted_there);  // counted where it is until the move lands
  REQUIRE(migrated == RK_SUCCESS);
  rk_kernel after = nullptr;
  REQUIRE(rk_runtime_find_kernel(target->get(), "mig_found_late", &after) == RK_SUCCESS);
  CHECK(after == moved);
  CHECK(target->dump().find("MOVING IN") == std::string::npos);
  rk::Kernel there(moved);
  // The committed message went along, handled there or before the move (its output moved).
  auto next_value = [&] {
    auto out = there.receive<Value>(kLong);
    return out ? out->message.value : ~uint64_t{0};
  };
  for (uint64_t v : {10u, 11u, 12u}) CHECK(next_value() == v);
  there.send(Value{20});
  for (uint64_t v : {20u, 21u, 22u}) CHECK(next_value() == v);
  there.terminate();
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
