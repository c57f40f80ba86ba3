// libFuzzer harness: a queue whose memory the device (or a corrupt or hostile kernel) has
// scribbled over, read and written through HostQueue as the host does. Whatever the bytes,
// the host must never touch memory outside the queue's block (ASan checks), and a message
// it hands on must fit its slot.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "fuzz_input.hpp"

#include "queue/host_queue.hpp"
#include "queue/queue_init.hpp"

namespace {

constexpr uint32_t kCapacity = 8, kSlotSize = 128;

void consume_messages(rk::core::HostQueue& queue, size_t block_bytes, const uint8_t* block, bool by_publish_seq) {
  for (int round = 0; round < 4; ++round) {
    rk::core::QueueSpan span = queue.kind() == RK_QUEUE_MPSC ? queue.mpsc_peek()
                               : by_publish_seq             ? queue.spsc_peek_msg(kCapacity)
                                                            : queue.spsc_peek(kCapacity);
    if (!span) return;
    for (uint64_t i = span.index; i < span.end(); ++i) {
      const uint8_t* slot = queue.slot(i);
      // The slot lies inside the block: HostQueue validated slots_ptr and capacity once.
      if (slot < block || slot + queue.slot_size() > block + block_bytes) __builtin_trap();
      rk_msg_header header;
      std::memcpy(&header, slot, sizeof(header));
      // The receive path's check, on a slot that can hold a header at all.
      if (queue.slot_size() >= RK_MSG_HEADER_SIZE && header.payload_size <= queue.slot_size() - RK_MSG_HEADER_SIZE) {
        volatile uint8_t sink = 0;
        for (uint32_t b = 0; b < header.payload_size; ++b) sink = sink ^ slot[RK_MSG_HEADER_SIZE + b];
        (void)sink;
      }
      if (queue.kind() == RK_QUEUE_MPSC) queue.mpsc_release(i);
    }
    if (queue.kind() == RK_QUEUE_SPSC) queue.spsc_release(span.end());
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzInput in{data, size};
  const uint8_t mode = in.take<uint8_t>();
  const uint32_t kind = (mode & 1u) ? RK_QUEUE_MPSC : RK_QUEUE_SPSC;
  const size_t bytes = rk::core::queue_bytes(kCapacity, kSlotSize, kind);
  std::vector<uint8_t> block(bytes);
  const uint64_t device_base = 0x10000000;  // device addresses are not host addresses
  rk::core::queue_init(block.data(), device_base, kCapacity, kSlotSize, kind);
  // The fuzzer overwrites any bytes it likes: header fields, sequence numbers, slots.
  const uint16_t edits = in.take<uint16_t>() % 64;
  for (uint16_t e = 0; e < edits; ++e) {
    size_t at = in.take<uint32_t>() % bytes;
    uint64_t value = in.take<uint64_t>();
    std::memcpy(block.data() + at, &value, std::min<size_t>(8, bytes - at));
  }
  rk::core::AddressMap map{device_base, block.data(), bytes};
  rk::core::HostQueue queue(reinterpret_cast<rk_queue_header*>(block.data()), map);
  if (queue.status() != RK_SUCCESS) return 0;  // refused at open: nothing more to check
  (void)queue.depth();
  consume_messages(queue, bytes, block.data(), (mode & 2u) != 0);
  // The host as a producer into a scribbled queue (a K2K inbox it forwards into).
  if (kind == RK_QUEUE_MPSC) {
    rk::core::QueueSpan claim = queue.mpsc_try_claim();
    if (claim) queue.mpsc_publish(claim.index);
  } else {
    rk::core::QueueSpan room = queue.spsc_try_reserve(2);
    if (room) queue.spsc_publish(room.end());
  }
  return 0;
}
