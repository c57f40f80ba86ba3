// MPSC (Vyukov) semantics on one thread: claim order, publish order, full, wrap, bounds.
#include <catch2/catch_test_macros.hpp>

#include <cstring>

#include "queue_test_support.hpp"

using rk::core::HostQueue;
using rk::core::QueueSpan;
using rk::test::QueueMemory;

namespace {

uint64_t* sequences(const QueueMemory& memory) {
  const rk_queue_header& h = *memory.header();
  const uint64_t device_base = h.slots_ptr - 384;  // slots follow the 384-byte header
  return reinterpret_cast<uint64_t*>(memory.bytes() + (h.sequence_ptr - device_base));
}

void send(HostQueue& q, uint64_t value) {
  QueueSpan span = q.mpsc_try_claim();
  REQUIRE(span);
  std::memcpy(q.slot(span.index), &value, sizeof value);
  q.mpsc_publish(span.index);
}

uint64_t receive(HostQueue& q) {
  QueueSpan span = q.mpsc_peek();
  REQUIRE(span);
  uint64_t value = 0;
  std::memcpy(&value, q.slot(span.index), sizeof value);
  q.mpsc_release(span.index);
  return value;
}

}  // namespace

TEST_CASE("MPSC empty, then one message through", "[queue][mpsc]") {
  QueueMemory memory(4, 16, RK_QUEUE_MPSC, 0x2000'0000);  // translated: the host never uses device addresses
  HostQueue q = memory.queue();
  REQUIRE(q.status() == RK_SUCCESS);
  CHECK(q.mpsc_peek().status == RK_ERROR_QUEUE_EMPTY);
  send(q, 42);
  CHECK(q.depth() == 1);
  CHECK(receive(q) == 42);
  CHECK(q.depth() == 0);
  CHECK(q.mpsc_peek().status == RK_ERROR_QUEUE_EMPTY);
  CHECK(memory.header()->head == 1);
  CHECK(sequences(memory)[0] == 4);  // index 0 consumed: free for index 4
}

TEST_CASE("MPSC consumer waits for the slot at head even when later ones are published", "[queue][mpsc]") {
  QueueMemory memory(8, 8, RK_QUEUE_MPSC);
  HostQueue q = memory.queue();
  QueueSpan first = q.mpsc_try_claim();
  QueueSpan second = q.mpsc_try_claim();
  REQUIRE(first.index == 0);
  REQUIRE(second.index == 1);
  q.mpsc_publish(second.index);
  CHECK(q.mpsc_peek().status == RK_ERROR_QUEUE_EMPTY);  // FIFO by claim order
  CHECK(q.depth() == 2);                                // claimed counts as in flight
  q.mpsc_publish(first.index);
  CHECK(q.mpsc_peek().index == 0);
}

TEST_CASE("MPSC full queue refuses claims until the consumer releases", "[queue][mpsc]") {
  QueueMemory memory(4, 8, RK_QUEUE_MPSC);
  HostQueue q = memory.queue();
  for (uint64_t i = 0; i < 4; ++i) send(q, i);
  QueueSpan refused = q.mpsc_try_claim();
  CHECK(refused.status == RK_ERROR_QUEUE_FULL);
  CHECK(refused.count == 0);
  CHECK(rk::core::mpsc_claim_until(q, rk::core::WaitClock::now(), rk::core::sleep_park).status ==
        RK_ERROR_QUEUE_FULL);
  CHECK(q.rejected() == 1);
  CHECK(receive(q) == 0);
  QueueSpan again = q.mpsc_try_claim();
  REQUIRE(again);
  CHECK(again.index == 4);
}

TEST_CASE("MPSC indices run past the capacity many times", "[queue][mpsc]") {
  QueueMemory memory(4, 8, RK_QUEUE_MPSC);
  HostQueue q = memory.queue();
  uint64_t next_read = 0;
  for (uint64_t i = 0; i < 4000; ++i) {
    send(q, i);
    if (i % 3 == 2) {  // keep the queue partly filled so claims and releases interleave
      while (q.mpsc_peek()) REQUIRE(receive(q) == next_read++);
    }
  }
  while (q.mpsc_peek()) REQUIRE(receive(q) == next_read++);
  CHECK(next_read == 4000);
  CHECK(memory.header()->tail == 4000);
  CHECK(memory.header()->head == 4000);
}

TEST_CASE("MPSC detects a corrupted sequence array instead of spinning", "[queue][mpsc]") {
  QueueMemory memory(4, 8, RK_QUEUE_MPSC);
  HostQueue q = memory.queue();
  sequences(memory)[0] = 7;  // "claimed by index 6" while the tail still says 0
  CHECK(q.mpsc_try_claim().status == RK_ERROR_DEVICE_FAULT);
  sequences(memory)[0] = 0;
  // A scribbled header steers nothing: the host runs on the geometry it validated.
  memory.header()->capacity = 1u << 20;
  memory.header()->mask = 1;
  memory.header()->sequence_ptr = 0x10;
  for (uint64_t i = 0; i < 4; ++i) send(q, i);
  CHECK(q.mpsc_try_claim().status == RK_ERROR_QUEUE_FULL);
  for (uint64_t i = 0; i < 4; ++i) CHECK(receive(q) == i);
}

TEST_CASE("MPSC operations on an SPSC queue are refused", "[queue][mpsc]") {
  QueueMemory memory(8, 8, RK_QUEUE_SPSC);
  HostQueue q = memory.queue();
  CHECK(q.mpsc_try_claim().status == RK_ERROR_INVALID_STATE);
  CHECK(q.mpsc_peek().status == RK_ERROR_INVALID_STATE);
}
