// Host-side creation of queues in memory the device will read (rk_queue_header layout).
#pragma once

#include <cstddef>
#include <cstdint>

namespace rk::core {

// Bytes for a queue: header, slots, and for MPSC the per-slot sequence numbers, each part
// 128-byte aligned.
size_t queue_bytes(uint32_t capacity, uint32_t slot_size, uint32_t kind);

// Writes a fresh queue at host_memory, which the device sees at device_address.
// capacity must be a power of two >= 2, slot_size a multiple of 8 (throws
// std::invalid_argument otherwise: these are programming errors, checked earlier by callers).
void queue_init(void* host_memory, uint64_t device_address, uint32_t capacity, uint32_t slot_size, uint32_t kind);

}  // namespace rk::core
