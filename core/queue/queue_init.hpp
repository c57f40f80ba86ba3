// Host-side creation of queues in memory the device will read (rk_queue_header layout).
// Header-only so tests and tools use it without libringcore.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>

#include "rk_ring_layout.h"

namespace rk::core {

inline constexpr size_t kQueueAlign = 128;  // header, slots and sequences each start a line

namespace queue_detail {

inline size_t round_up(size_t bytes) { return (bytes + kQueueAlign - 1) / kQueueAlign * kQueueAlign; }

inline size_t slots_offset() { return round_up(sizeof(rk_queue_header)); }

inline size_t sequence_offset(uint32_t capacity, uint32_t slot_size) {
  return slots_offset() + round_up(size_t{capacity} * slot_size);
}

// Bad sizes are programming errors in the caller's configuration: thrown, not returned.
inline void validate(uint32_t capacity, uint32_t slot_size, uint32_t kind) {
  if (capacity < 2 || !std::has_single_bit(capacity))
    throw std::invalid_argument("queue capacity must be a power of two >= 2, got " + std::to_string(capacity));
  if (slot_size == 0 || slot_size % 8 != 0)
    throw std::invalid_argument("queue slot size must be a positive multiple of 8, got " + std::to_string(slot_size));
  if (kind != RK_QUEUE_SPSC && kind != RK_QUEUE_MPSC)
    throw std::invalid_argument("queue kind must be RK_QUEUE_SPSC or RK_QUEUE_MPSC, got " + std::to_string(kind));
}

}  // namespace queue_detail

// Bytes for a queue: header, slots, and for MPSC the per-slot sequence numbers, each part
// rounded up to 128 bytes. Throws std::invalid_argument like queue_init.
inline size_t queue_bytes(uint32_t capacity, uint32_t slot_size, uint32_t kind) {
  queue_detail::validate(capacity, slot_size, kind);
  size_t bytes = queue_detail::sequence_offset(capacity, slot_size);
  if (kind == RK_QUEUE_MPSC) bytes += queue_detail::round_up(size_t{capacity} * sizeof(uint64_t));
  return bytes;
}

// Writes an empty queue over queue_bytes(...) bytes at host_memory, which the device sees
// at device_address (cpu_sim: the same number). Call before either side starts using it.
// Throws std::invalid_argument for a capacity that is not a power of two >= 2, a slot size
// that is not a positive multiple of 8, an unknown kind, or memory not 8-byte aligned
// (128-byte alignment keeps the header's lines apart and is what the runtime uses).
inline void queue_init(void* host_memory, uint64_t device_address, uint32_t capacity, uint32_t slot_size,
                       uint32_t kind) {
  queue_detail::validate(capacity, slot_size, kind);
  if (reinterpret_cast<uintptr_t>(host_memory) % 8 != 0 || device_address % 8 != 0)
    throw std::invalid_argument("queue memory must be at least 8-byte aligned");
  auto* header = static_cast<rk_queue_header*>(host_memory);
  std::memset(header, 0, sizeof(*header));
  header->capacity = capacity;
  header->slot_size = slot_size;
  header->mask = capacity - 1;
  header->kind = kind;
  header->slots_ptr = device_address + queue_detail::slots_offset();
  if (kind != RK_QUEUE_MPSC) return;
  const size_t offset = queue_detail::sequence_offset(capacity, slot_size);
  header->sequence_ptr = device_address + offset;
  auto* sequence = reinterpret_cast<uint64_t*>(static_cast<uint8_t*>(host_memory) + offset);
  for (uint32_t i = 0; i < capacity; ++i) sequence[i] = i;  // slot i is free for index i
}

}  // namespace rk::core
