// SPSC semantics on one thread: addressing, empty, full, batches, wrap-around, bounds.
#include <catch2/catch_test_macros.hpp>

#include <cstring>

#include "queue_test_support.hpp"

using rk::core::HostQueue;
using rk::core::QueueSpan;
using rk::test::QueueMemory;

namespace {

void put(HostQueue& q, uint64_t index, uint64_t value) { std::memcpy(q.slot(index), &value, sizeof value); }

uint64_t get(HostQueue& q, uint64_t index) {
  uint64_t value = 0;
  std::memcpy(&value, q.slot(index), sizeof value);
  return value;
}

// Pushes `count` values one reservation each; returns false when the queue refused one.
bool push_each(HostQueue& q, uint64_t first_value, uint32_t count) {
  for (uint32_t i = 0; i < count; ++i) {
    QueueSpan span = q.spsc_try_reserve(1);
    if (!span) return false;
    put(q, span.index, first_value + i);
    q.spsc_publish(span.end());
  }
  return true;
}

}  // namespace

TEST_CASE("SPSC slot addressing wraps by mask, in device and host addresses", "[queue][spsc]") {
  QueueMemory memory(8, 64, RK_QUEUE_SPSC, 0x4000'0000);
  HostQueue q = memory.queue();
  REQUIRE(q.status() == RK_SUCCESS);
  uint8_t* slots = memory.bytes() + 384;
  CHECK(q.slot(0) == slots);
  CHECK(q.slot(3) == slots + 3 * 64);
  CHECK(q.slot(8) == slots);
  CHECK(q.slot(8 * 1000 + 5) == slots + 5 * 64);
  // The dialect's view is the device's: slots_ptr plus the same offsets.
  CHECK(reinterpret_cast<uintptr_t>(rk_queue_slot(memory.header(), 13)) == 0x4000'0000 + 384 + 5 * 64);
}

TEST_CASE("SPSC empty queue peeks nothing", "[queue][spsc]") {
  QueueMemory memory(4, 16, RK_QUEUE_SPSC);
  HostQueue q = memory.queue();
  QueueSpan span = q.spsc_peek(4);
  CHECK(span.status == RK_ERROR_QUEUE_EMPTY);
  CHECK(span.count == 0);
  CHECK(q.depth() == 0);
  CHECK(q.spsc_try_reserve(1));  // reserving without publishing shows nothing
  CHECK(q.spsc_peek(1).status == RK_ERROR_QUEUE_EMPTY);
}

TEST_CASE("SPSC full queue refuses reservations; rejections are counted by the caller", "[queue][spsc]") {
  QueueMemory memory(4, 16, RK_QUEUE_SPSC);
  HostQueue q = memory.queue();
  REQUIRE(push_each(q, 100, 4));
  CHECK(q.depth() == 4);
  QueueSpan span = q.spsc_try_reserve(1);
  CHECK(span.status == RK_ERROR_QUEUE_FULL);
  CHECK(span.count == 0);
  CHECK(q.rejected() == 0);  // try_reserve alone does not count: the caller may retry
  auto past = rk::core::WaitClock::now();
  CHECK(rk::core::spsc_reserve_until(q, 1, past, rk::core::sleep_park).status == RK_ERROR_QUEUE_FULL);
  q.count_rejected();
  CHECK(q.rejected() == 2);
  CHECK(memory.header()->rejected_full == 2);

  QueueSpan first = q.spsc_peek(1);
  REQUIRE(first);
  CHECK(get(q, first.index) == 100);
  q.spsc_release(first.end());
  CHECK(q.spsc_try_reserve(4).count == 1);  // exactly the one freed slot
}

TEST_CASE("SPSC batch reserve, publish once, peek and release in batches", "[queue][spsc]") {
  QueueMemory memory(16, 8, RK_QUEUE_SPSC);
  HostQueue q = memory.queue();
  QueueSpan batch = q.spsc_try_reserve(10);
  REQUIRE(batch.count == 10);
  for (uint32_t i = 0; i < batch.count; ++i) put(q, batch.index + i, 1000 + i);
  CHECK(q.spsc_peek(16).status == RK_ERROR_QUEUE_EMPTY);  // nothing visible before publish
  q.spsc_publish(batch.end());
  CHECK(q.spsc_try_reserve(10).count == 6);  // only what is left

  QueueSpan read = q.spsc_peek(4);
  REQUIRE(read.count == 4);
  for (uint32_t i = 0; i < 4; ++i) CHECK(get(q, read.index + i) == 1000 + i);
  q.spsc_release(read.end());
  read = q.spsc_peek(100);
  REQUIRE(read.count == 6);
  CHECK(read.index == 4);
  CHECK(get(q, read.index) == 1004);
  q.spsc_release(read.end());
  CHECK(q.spsc_peek(1).status == RK_ERROR_QUEUE_EMPTY);
}

TEST_CASE("SPSC indices run past the capacity many times", "[queue][spsc]") {
  QueueMemory memory(8, 8, RK_QUEUE_SPSC);
  HostQueue q = memory.queue();
  uint64_t next_write = 0;
  uint64_t next_read = 0;
  for (int round = 0; round < 1000; ++round) {
    const auto burst = static_cast<uint32_t>(1 + round % 8);  // 1..8, so every phase of the ring
    QueueSpan w = q.spsc_try_reserve(burst);
    REQUIRE(w.count == burst);
    for (uint32_t i = 0; i < w.count; ++i) put(q, w.index + i, next_write++);
    q.spsc_publish(w.end());
    QueueSpan r = q.spsc_peek(burst);
    REQUIRE(r.count == burst);
    for (uint32_t i = 0; i < r.count; ++i) REQUIRE(get(q, r.index + i) == next_read++);
    q.spsc_release(r.end());
  }
  CHECK(memory.header()->tail == next_write);
  CHECK(next_write > 8 * 400);
  CHECK(q.depth() == 0);
}

TEST_CASE("SPSC detects indices the other side corrupted", "[queue][spsc]") {
  QueueMemory memory(8, 8, RK_QUEUE_SPSC);
  HostQueue q = memory.queue();
  REQUIRE(push_each(q, 0, 3));
  rk_queue_header& h = *memory.header();

  SECTION("tail more than a lap ahead of head") {
    h.tail = h.head + 9;
    CHECK(q.spsc_peek(1).status == RK_ERROR_DEVICE_FAULT);
    CHECK(q.spsc_peek(1).count == 0);
    CHECK(q.depth() == 8);  // depth is a clamped hint, never more than capacity
  }
  SECTION("tail behind head") {
    h.head = 2;
    h.cached_tail = 0;
    h.tail = 1;
    CHECK(q.spsc_peek(1).status == RK_ERROR_DEVICE_FAULT);
    CHECK(q.depth() == 0);
  }
  SECTION("head past the tail, seen by the producer") {
    h.head = 1000;
    h.cached_head = 1000;
    CHECK(q.spsc_try_reserve(1).status == RK_ERROR_DEVICE_FAULT);
  }
  SECTION("capacity, mask and slots overwritten in shared memory change nothing on the host") {
    h.capacity = 1u << 20;
    h.mask = (1u << 20) - 1;
    h.slots_ptr = 0x10;
    CHECK(q.spsc_try_reserve(100).count == 5);  // the validated capacity, 8, still rules
    CHECK(q.slot(7) == memory.bytes() + 384 + 7 * 8);
    CHECK(q.spsc_peek(100).count == 3);
  }
  SECTION("a sane tail again after corruption is accepted") {
    const uint64_t tail = h.tail;
    h.tail = 12345;
    CHECK(q.spsc_peek(1).status == RK_ERROR_DEVICE_FAULT);
    h.tail = tail;
    CHECK(q.spsc_peek(8).count == 3);
  }
}

TEST_CASE("SPSC operations on an MPSC queue are refused", "[queue][spsc]") {
  QueueMemory memory(8, 8, RK_QUEUE_MPSC);
  HostQueue q = memory.queue();
  CHECK(q.spsc_try_reserve(1).status == RK_ERROR_INVALID_STATE);
  CHECK(q.spsc_peek(1).status == RK_ERROR_INVALID_STATE);
}
