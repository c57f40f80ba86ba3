// SPSC message queues (ring input and output): a message is ready when its header's
// publish_seq says so, whatever the tail says; stale values from an earlier lap, gaps and
// a corrupt tail never make a slot look ready.
#include <catch2/catch_test_macros.hpp>

#include <cstring>
#include <thread>

#include "queue_test_support.hpp"

using rk::test::QueueMemory;

namespace {

rk_msg_header* header_at(rk_queue_header* q, uint64_t index) {
  return reinterpret_cast<rk_msg_header*>(rk_queue_slot(q, index));
}

// Fills slot `index` with a message carrying `value` (not yet published).
void fill(rk_queue_header* q, uint64_t index, uint64_t value) {
  rk_msg_header* header = header_at(q, index);
  header->type_id = 1;
  header->payload_size = sizeof value;
  header->message_id = value;
  std::memcpy(header + 1, &value, sizeof value);
}

uint64_t value_at(rk_queue_header* q, uint64_t index) {
  uint64_t value = 0;
  std::memcpy(&value, header_at(q, index) + 1, sizeof value);
  return value;
}

}  // namespace

TEST_CASE("SPSC message: found by its publish_seq, and the tail follows", "[queue][spsc][msg]") {
  QueueMemory memory(8, 128, RK_QUEUE_SPSC);
  rk_queue_header* q = memory.header();
  fill(q, 0, 42);
  CHECK(rk_spsc_peek_msg(q, 1).count == 0);  // filled but not published
  rk_spsc_publish_msg(q, 0);
  CHECK(header_at(q, 0)->publish_seq == 1u);
  CHECK(q->tail == 1u);
  rk_reservation found = rk_spsc_peek_msg(q, 4);
  REQUIRE(found.count == 1);
  CHECK(found.index == 0);
  CHECK(value_at(q, 0) == 42);
}

TEST_CASE("SPSC message: a tail alone publishes nothing, a corrupt one misleads nothing", "[queue][spsc][msg]") {
  QueueMemory memory(8, 128, RK_QUEUE_SPSC);
  rk_queue_header* q = memory.header();
  fill(q, 0, 7);
  q->tail = 1;  // a producer that skipped publish_seq
  CHECK(rk_spsc_peek_msg(q, 1).count == 0);
  q->tail = 1'000'000;  // corrupt: far more than a lap
  rk_reservation r = rk_spsc_peek_msg(q, 8);
  CHECK(r.count == 0);
  CHECK(r.corrupt == 0);
}

TEST_CASE("SPSC message: a stale publish_seq from the last lap is not ready", "[queue][spsc][msg]") {
  QueueMemory memory(4, 128, RK_QUEUE_SPSC);
  rk_queue_header* q = memory.header();
  for (uint64_t i = 0; i < 4; ++i) {
    fill(q, i, i);
    rk_spsc_publish_msg(q, i);
  }
  REQUIRE(rk_spsc_peek_msg(q, 4).count == 4);
  rk_spsc_release(q, 4);
  // Slot 0 still says seq 1; index 4 (the same slot) needs seq 5.
  CHECK(rk_spsc_peek_msg(q, 1).count == 0);
  fill(q, 4, 400);
  rk_spsc_publish_msg(q, 4);
  rk_reservation r = rk_spsc_peek_msg(q, 1);
  REQUIRE(r.count == 1);
  CHECK(r.index == 4);
  CHECK(value_at(q, 4) == 400);
}

TEST_CASE("SPSC message: a batch ends at the first unpublished slot", "[queue][spsc][msg]") {
  QueueMemory memory(8, 128, RK_QUEUE_SPSC);
  rk_queue_header* q = memory.header();
  for (uint64_t i : {0, 1, 3}) {
    fill(q, i, i);
    rk_spsc_publish_msg(q, i);  // 2 is skipped: a gap
  }
  CHECK(rk_spsc_peek_msg(q, 8).count == 2);
  fill(q, 2, 2);
  rk_spsc_publish_msg(q, 2);
  CHECK(rk_spsc_peek_msg(q, 8).count == 4);
}

TEST_CASE("SPSC message: two threads, every message once and in order", "[queue][spsc][msg][stress]") {
  const uint64_t count = rk::test::stress_count(1'000'000, 100'000);
  QueueMemory memory(64, 128, RK_QUEUE_SPSC);
  rk_queue_header* q = memory.header();
  std::thread producer([&] {
    for (uint64_t i = 0; i < count;) {
      rk_reservation slot = rk_spsc_try_reserve(q, 1);
      if (slot.count == 0) continue;
      fill(q, slot.index, i * 3 + 1);
      rk_spsc_publish_msg(q, slot.index);
      ++i;
    }
  });
  uint64_t expected = 0, wrong = 0;
  while (expected < count) {
    rk_reservation batch = rk_spsc_peek_msg(q, 32);
    for (uint32_t k = 0; k < batch.count; ++k, ++expected)
      if (value_at(q, batch.index + k) != expected * 3 + 1) ++wrong;
    if (batch.count != 0) rk_spsc_release(q, batch.index + batch.count);
  }
  producer.join();
  CHECK(wrong == 0);
  CHECK(expected == count);
}
