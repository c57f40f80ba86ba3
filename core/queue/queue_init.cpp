#include "queue/queue_init.hpp"

#include <bit>
#include <cstring>
#include <stdexcept>
#include <string>

#include "runtime/host_dialect.hpp"

namespace rk::core {
namespace {

constexpr size_t kLine = 128;

size_t round_up(size_t v) { return (v + kLine - 1) / kLine * kLine; }

void validate(uint32_t capacity, uint32_t slot_size, uint32_t kind) {
  if (capacity < 2 || !std::has_single_bit(capacity))
    throw std::invalid_argument("queue capacity must be a power of two >= 2, got " + std::to_string(capacity));
  if (slot_size == 0 || slot_size % 8 != 0)
    throw std::invalid_argument("queue slot size must be a positive multiple of 8, got " + std::to_string(slot_size));
  if (kind != RK_QUEUE_SPSC && kind != RK_QUEUE_MPSC) throw std::invalid_argument("unknown queue kind");
}

}  // namespace

size_t queue_bytes(uint32_t capacity, uint32_t slot_size, uint32_t kind) {
  validate(capacity, slot_size, kind);
  size_t bytes = round_up(sizeof(rk_queue_header)) + round_up(size_t{capacity} * slot_size);
  if (kind == RK_QUEUE_MPSC) bytes += round_up(size_t{capacity} * sizeof(uint64_t));
  return bytes;
}

void queue_init(void* host_memory, uint64_t device_address, uint32_t capacity, uint32_t slot_size, uint32_t kind) {
  validate(capacity, slot_size, kind);
  auto* header = static_cast<rk_queue_header*>(host_memory);
  std::memset(header, 0, sizeof(*header));
  header->capacity = capacity;
  header->slot_size = slot_size;
  header->mask = capacity - 1;
  header->kind = kind;
  header->slots_ptr = device_address + round_up(sizeof(rk_queue_header));
  if (kind == RK_QUEUE_MPSC) {
    size_t sequence_offset = round_up(sizeof(rk_queue_header)) + round_up(size_t{capacity} * slot_size);
    header->sequence_ptr = device_address + sequence_offset;
    auto* sequence = reinterpret_cast<uint64_t*>(static_cast<uint8_t*>(host_memory) + sequence_offset);
    for (uint32_t i = 0; i < capacity; ++i) sequence[i] = i;  // slot i is free for index i
  }
}

}  // namespace rk::core
