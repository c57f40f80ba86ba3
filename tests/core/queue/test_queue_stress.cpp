// Threads through small queues: every message arrives once, in order per producer, intact.
// Counts scale with RINGKERNEL_STRESS_SCALE (TSan CI uses 0.1).
#include <catch2/catch_test_macros.hpp>

#include <algorithm>
#include <chrono>
#include <thread>
#include <vector>

#include "queue_test_support.hpp"

using namespace std::chrono_literals;
using rk::core::HostQueue;
using rk::core::QueueSpan;
using rk::core::WaitClock;
using rk::test::QueueMemory;

namespace {

// 64 bytes: a torn or stale slot shows up as a bad checksum.
struct StressMessage {
  uint32_t producer;
  uint32_t pad;
  uint64_t sequence;
  uint64_t payload[5];
  uint64_t checksum;
};
static_assert(sizeof(StressMessage) == 64);

uint64_t mix(uint64_t x) {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdull;
  return x ^ (x >> 33);
}

void write_message(uint8_t* slot, uint32_t producer, uint64_t sequence) {
  auto* m = reinterpret_cast<StressMessage*>(slot);
  m->producer = producer;
  m->pad = 0;
  m->sequence = sequence;
  uint64_t sum = mix(producer) ^ sequence;
  for (int i = 0; i < 5; ++i) sum ^= m->payload[i] = mix(sequence * 8 + static_cast<uint64_t>(i) + producer);
  m->checksum = sum;
}

bool message_intact(const StressMessage& m) {
  uint64_t sum = mix(m.producer) ^ m.sequence;
  for (uint64_t word : m.payload) sum ^= word;
  return sum == m.checksum;
}

// What the consumer saw; checked on the main thread after join.
struct Tally {
  uint64_t received = 0;
  uint64_t corrupt = 0;      // bad checksum or unknown producer
  uint64_t out_of_order = 0; // lost, duplicated or reordered within a producer
  std::vector<uint64_t> next;
};

void check_message(Tally& tally, const uint8_t* slot) {
  const auto& m = *reinterpret_cast<const StressMessage*>(slot);
  ++tally.received;
  if (!message_intact(m) || m.producer >= tally.next.size()) {
    ++tally.corrupt;
    return;
  }
  if (m.sequence != tally.next[m.producer]) ++tally.out_of_order;
  tally.next[m.producer] = m.sequence + 1;
}

// Retries `attempt` (true when done) with the production wait; false after a minute.
template <class Attempt>
bool retry(Attempt&& attempt) {
  rk::core::WaitPolicy policy;
  policy.max_park = 50us;
  return rk::core::wait_until(attempt, WaitClock::now() + 60s, rk::core::sleep_park, policy);
}

}  // namespace

TEST_CASE("SPSC stress: 2M messages through 64 slots in batches", "[queue][spsc][stress]") {
  const uint64_t total = rk::test::stress_count(2'000'000, 100'000);
  QueueMemory memory(64, sizeof(StressMessage), RK_QUEUE_SPSC);
  HostQueue q = memory.queue();
  Tally tally;
  tally.next.assign(1, 0);
  bool producer_ok = true;
  std::thread producer([&] {
    for (uint64_t sent = 0; sent < total && producer_ok;) {
      const auto want = static_cast<uint32_t>(std::min<uint64_t>(1 + sent % 16, total - sent));  // 1..16
      QueueSpan span;
      producer_ok = retry([&] { return (span = q.spsc_try_reserve(want)).status != RK_ERROR_QUEUE_FULL; });
      producer_ok = producer_ok && span.status == RK_SUCCESS;
      for (uint32_t i = 0; producer_ok && i < span.count; ++i) write_message(q.slot(span.index + i), 0, sent + i);
      if (producer_ok) q.spsc_publish(span.end());
      sent += span.count;
    }
  });
  bool consumer_ok = true;
  while (consumer_ok && tally.received < total) {
    QueueSpan span;
    consumer_ok = retry([&] { return (span = q.spsc_peek(32)).status != RK_ERROR_QUEUE_EMPTY; });
    consumer_ok = consumer_ok && span.status == RK_SUCCESS;
    for (uint32_t i = 0; consumer_ok && i < span.count; ++i) check_message(tally, q.slot(span.index + i));
    if (consumer_ok) q.spsc_release(span.end());
  }
  producer.join();
  REQUIRE(producer_ok);
  REQUIRE(consumer_ok);
  CHECK(tally.received == total);
  CHECK(tally.corrupt == 0);
  CHECK(tally.out_of_order == 0);
  CHECK(tally.next[0] == total);
  CHECK(q.depth() == 0);
}

TEST_CASE("MPSC stress: 4 producers x 500k messages through 256 slots", "[queue][mpsc][stress]") {
  constexpr uint32_t kProducers = 4;
  const uint64_t per_producer = rk::test::stress_count(500'000, 25'000);
  QueueMemory memory(256, sizeof(StressMessage), RK_QUEUE_MPSC);
  HostQueue q = memory.queue();
  std::vector<char> producer_ok(kProducers, 1);
  std::vector<std::thread> producers;
  for (uint32_t p = 0; p < kProducers; ++p) {
    producers.emplace_back([&, p] {
      for (uint64_t seq = 0; seq < per_producer; ++seq) {
        QueueSpan span;
        bool ok = retry([&] { return (span = q.mpsc_try_claim()).status != RK_ERROR_QUEUE_FULL; });
        if (!ok || span.status != RK_SUCCESS) {
          producer_ok[p] = 0;
          return;
        }
        write_message(q.slot(span.index), p, seq);
        q.mpsc_publish(span.index);
      }
    });
  }
  Tally tally;
  tally.next.assign(kProducers, 0);
  const uint64_t total = per_producer * kProducers;
  bool consumer_ok = true;
  while (consumer_ok && tally.received < total) {
    QueueSpan span;
    consumer_ok = retry([&] { return (span = q.mpsc_peek()).status != RK_ERROR_QUEUE_EMPTY; });
    consumer_ok = consumer_ok && span.status == RK_SUCCESS;
    if (!consumer_ok) break;
    check_message(tally, q.slot(span.index));
    q.mpsc_release(span.index);
  }
  for (auto& t : producers) t.join();
  for (uint32_t p = 0; p < kProducers; ++p) CHECK(producer_ok[p] == 1);
  REQUIRE(consumer_ok);
  CHECK(tally.received == total);
  CHECK(tally.corrupt == 0);
  CHECK(tally.out_of_order == 0);
  for (uint32_t p = 0; p < kProducers; ++p) CHECK(tally.next[p] == per_producer);
  CHECK(q.mpsc_peek().status == RK_ERROR_QUEUE_EMPTY);
  CHECK(q.depth() == 0);
}
