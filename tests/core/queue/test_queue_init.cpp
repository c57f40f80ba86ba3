// queue_bytes / queue_init validation and layout, address translation, header validation.
#include <catch2/catch_test_macros.hpp>

#include <stdexcept>
#include <vector>

#include "queue_test_support.hpp"

using rk::core::AddressMap;
using rk::core::HostQueue;
using rk::core::queue_bytes;
using rk::core::queue_init;
using rk::test::QueueMemory;

TEST_CASE("queue_bytes: header, slots and sequences, each 128-aligned", "[queue][init]") {
  CHECK(queue_bytes(4, 64, RK_QUEUE_SPSC) == 384 + 256);
  CHECK(queue_bytes(4, 8, RK_QUEUE_SPSC) == 384 + 128);  // 32 bytes of slots round up
  CHECK(queue_bytes(4, 64, RK_QUEUE_MPSC) == 384 + 256 + 128);
  CHECK(queue_bytes(1024, 128, RK_QUEUE_MPSC) == 384 + 1024 * 128 + 1024 * 8);
}

TEST_CASE("queue_init rejects bad capacity, slot size and kind", "[queue][init]") {
  alignas(128) static uint8_t memory[4096];
  for (uint32_t capacity : {0u, 1u, 3u, 6u, 100u}) {
    CHECK_THROWS_AS(queue_bytes(capacity, 64, RK_QUEUE_SPSC), std::invalid_argument);
    CHECK_THROWS_AS(queue_init(memory, 0x1000, capacity, 64, RK_QUEUE_SPSC), std::invalid_argument);
  }
  for (uint32_t slot_size : {0u, 4u, 12u, 65u}) {
    CHECK_THROWS_AS(queue_init(memory, 0x1000, 8, slot_size, RK_QUEUE_SPSC), std::invalid_argument);
  }
  CHECK_THROWS_AS(queue_init(memory, 0x1000, 8, 64, 0), std::invalid_argument);
  CHECK_THROWS_AS(queue_init(memory, 0x1000, 8, 64, 3), std::invalid_argument);
  CHECK_THROWS_AS(queue_init(memory + 4, 0x1000, 8, 64, RK_QUEUE_SPSC), std::invalid_argument);
  CHECK_NOTHROW(queue_init(memory, 0x1000, 2, 8, RK_QUEUE_SPSC));
}

TEST_CASE("queue_init writes the header in device addresses", "[queue][init]") {
  QueueMemory memory(16, 64, RK_QUEUE_MPSC, 0x7000'0000);
  const rk_queue_header& h = *memory.header();
  CHECK(h.capacity == 16);
  CHECK(h.mask == 15);
  CHECK(h.slot_size == 64);
  CHECK(h.kind == RK_QUEUE_MPSC);
  CHECK(h.head == 0);
  CHECK(h.tail == 0);
  CHECK(h.rejected_full == 0);
  CHECK(h.slots_ptr == 0x7000'0000 + 384);
  CHECK(h.sequence_ptr == 0x7000'0000 + 384 + 16 * 64);
  const auto* sequence = reinterpret_cast<const uint64_t*>(memory.bytes() + 384 + 16 * 64);
  for (uint64_t i = 0; i < 16; ++i) CHECK(sequence[i] == i);

  QueueMemory spsc(16, 64, RK_QUEUE_SPSC, 0x7000'0000);
  CHECK(spsc.header()->sequence_ptr == 0);
}

TEST_CASE("AddressMap translates inside its block only", "[queue][init]") {
  std::vector<uint8_t> block(1000);
  AddressMap map{0x5000, block.data(), block.size()};
  CHECK(map.to_host(0x5000, 1000) == block.data());
  CHECK(map.to_host(0x5010, 16) == block.data() + 16);
  CHECK(map.to_host(0x4FFF, 1) == nullptr);
  CHECK(map.to_host(0x5000, 1001) == nullptr);
  CHECK(map.to_host(0x5000 + 1001, 0) == nullptr);
  CHECK(map.to_host(UINT64_MAX, 2) == nullptr);
  int probe = 0;
  CHECK(AddressMap::identity().to_host(reinterpret_cast<uintptr_t>(&probe), sizeof probe) ==
        reinterpret_cast<uint8_t*>(&probe));
}

TEST_CASE("HostQueue refuses a header queue_init could not have written", "[queue][init]") {
  QueueMemory memory(8, 64, RK_QUEUE_MPSC, 0x9000);
  CHECK(memory.queue().status() == RK_SUCCESS);
  rk_queue_header& h = *memory.header();
  const rk_queue_header good = h;
  auto refused = [&](auto&& spoil) {
    h = good;
    spoil(h);
    return memory.queue().status() == RK_ERROR_INVALID_ARGUMENT;
  };
  CHECK(refused([](rk_queue_header& q) { q.capacity = 6; }));
  CHECK(refused([](rk_queue_header& q) { q.mask = 3; }));
  CHECK(refused([](rk_queue_header& q) { q.slot_size = 12; }));
  CHECK(refused([](rk_queue_header& q) { q.kind = 7; }));
  CHECK(refused([](rk_queue_header& q) { q.slots_ptr = 0x100; }));                  // outside the block
  CHECK(refused([](rk_queue_header& q) { q.slots_ptr += 256; }));                   // runs past its end
  CHECK(refused([](rk_queue_header& q) { q.sequence_ptr = 0x9000 + 100000; }));
  CHECK(HostQueue(nullptr, AddressMap::identity()).status() == RK_ERROR_INVALID_ARGUMENT);
  h = good;

  HostQueue closed;
  CHECK(closed.spsc_try_reserve(1).status == RK_ERROR_INVALID_STATE);
  CHECK(closed.mpsc_peek().status == RK_ERROR_INVALID_STATE);
}
