// The host's view of a queue living in memory the device also sees: the dialect's queue
// operations (the very code the kernels run) plus what the host adds: device-address to
// host-pointer translation, a header validated once and snapshotted (the operations run on
// the snapshot's capacity and addresses, never on what shared memory says later), and
// bounds checks on every index the other side wrote. Nothing read from shared memory can
// make the host touch a byte outside the queue; corruption comes back as
// RK_ERROR_DEVICE_FAULT. A HostQueue is a small value: give each thread its own copy.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>

// clang-format off
#include "../dialect/preludes/rk_prelude_host.h"
#include "rk_ring_layout.h"
#include "../dialect/rk_queue_ops.h"
// clang-format on
#include "wait.hpp"

namespace rk::core {

// One mapped block: device address device_base is host pointer host_base, for `bytes`.
struct AddressMap {
  uint64_t device_base = 0;
  uint8_t* host_base = nullptr;
  size_t bytes = SIZE_MAX;

  // Device and host addresses are the same (cpu_sim, unified addressing).
  static AddressMap identity() { return AddressMap{}; }

  // Host pointer for [device, device + length), or nullptr when that is outside the block.
  uint8_t* to_host(uint64_t device, size_t length) const {
    if (device < device_base) return nullptr;
    const uint64_t offset = device - device_base;
    if (offset > bytes || length > bytes - offset) return nullptr;
    return reinterpret_cast<uint8_t*>(reinterpret_cast<uintptr_t>(host_base) + offset);
  }
};

// What a reserve / peek / claim found. count > 0 only with RK_SUCCESS.
struct QueueSpan {
  uint64_t index = 0;
  uint32_t count = 0;
  // RK_SUCCESS; RK_ERROR_QUEUE_FULL (producer) / RK_ERROR_QUEUE_EMPTY (consumer);
  // RK_ERROR_DEVICE_FAULT: an index the other side wrote is out of range (corrupt);
  // RK_ERROR_INVALID_STATE: the queue is not open, or is the other kind.
  rk_result status = RK_ERROR_INVALID_STATE;

  explicit operator bool() const { return status == RK_SUCCESS; }
  uint64_t end() const { return index + count; }  // what to publish / release after all of it
};

class HostQueue {
 public:
  HostQueue() = default;
  // Validates the header once (RK_ERROR_INVALID_ARGUMENT in status() when it is not a
  // queue queue_init could have written, or its memory is outside `map`).
  HostQueue(rk_queue_header* header, const AddressMap& map) : header_(header) { status_ = open(map); }

  rk_result status() const { return status_; }
  uint32_t capacity() const { return capacity_; }
  uint32_t slot_size() const { return slot_size_; }
  uint32_t kind() const { return kind_; }
  rk_queue_header* header() const { return header_; }

  // Host pointer of slot `index`, from the snapshot: always inside the slot array.
  uint8_t* slot(uint64_t index) const { return slots_ + (index & mask_) * size_t{slot_size_}; }

  // --- SPSC: reserve, fill, publish(span.end()); peek, read, release(span.end()) ---
  QueueSpan spsc_try_reserve(uint32_t want) {
    if (kind_ != RK_QUEUE_SPSC) return refused();
    return checked(rk_spsc_try_reserve_in(header_, capacity_, want), RK_ERROR_QUEUE_FULL);
  }
  void spsc_publish(uint64_t new_tail) { rk_spsc_publish(header_, new_tail); }
  QueueSpan spsc_peek(uint32_t want) {
    if (kind_ != RK_QUEUE_SPSC) return refused();
    return checked(rk_spsc_peek_in(header_, capacity_, want), RK_ERROR_QUEUE_EMPTY);
  }
  void spsc_release(uint64_t new_head) { rk_spsc_release(header_, new_head); }
  // Published messages, found by their publish_seq, on the validated geometry (message
  // queues: slots hold at least a header).
  QueueSpan spsc_peek_msg(uint32_t want) {
    if (kind_ != RK_QUEUE_SPSC || slot_size_ < RK_MSG_HEADER_SIZE) return refused();
    return checked(rk_spsc_peek_msg_in(header_, capacity_, slots_, slot_size_, want), RK_ERROR_QUEUE_EMPTY);
  }

  // --- MPSC: claim one, fill, publish(index); peek one, read, release(index) ---
  QueueSpan mpsc_try_claim() {
    if (kind_ != RK_QUEUE_MPSC) return refused();
    return checked(rk_mpsc_try_claim_in(header_, sequence_, capacity_), RK_ERROR_QUEUE_FULL);
  }
  void mpsc_publish(uint64_t index) { rk_mpsc_publish_in(sequence_, capacity_, index); }
  QueueSpan mpsc_peek() {
    if (kind_ != RK_QUEUE_MPSC) return refused();
    return checked(rk_mpsc_peek_in(header_, sequence_, capacity_), RK_ERROR_QUEUE_EMPTY);
  }
  void mpsc_release(uint64_t index) { rk_mpsc_release_in(header_, sequence_, capacity_, index); }

  // Messages in flight, a hint clamped to [0, capacity].
  uint32_t depth() const { return status_ == RK_SUCCESS ? std::min(rk_queue_depth(header_), capacity_) : 0u; }
  // Every caller that gives up on a full queue counts it, so no drop is silent.
  void count_rejected() {
    if (status_ == RK_SUCCESS) rk_queue_count_rejected(header_);
  }
  uint64_t rejected() const { return status_ == RK_SUCCESS ? rk_load_relaxed_u64(&header_->rejected_full) : 0u; }

 private:
  rk_result open(const AddressMap& map);
  // kind_ stays 0 until open() succeeds, so one comparison also refuses a queue not open.
  QueueSpan refused() const { return QueueSpan{0, 0, status_ != RK_SUCCESS ? status_ : RK_ERROR_INVALID_STATE}; }
  static QueueSpan checked(const rk_reservation& r, rk_result none) {
    if (r.count != 0u) return QueueSpan{r.index, r.count, RK_SUCCESS};
    return QueueSpan{r.index, 0, r.corrupt != 0u ? RK_ERROR_DEVICE_FAULT : none};
  }

  rk_queue_header* header_ = nullptr;
  uint8_t* slots_ = nullptr;
  uint64_t* sequence_ = nullptr;
  uint32_t capacity_ = 0;
  uint32_t mask_ = 0;
  uint32_t slot_size_ = 0;
  uint32_t kind_ = 0;
  rk_result status_ = RK_ERROR_INVALID_STATE;
};

inline rk_result HostQueue::open(const AddressMap& map) {
  if (header_ == nullptr || reinterpret_cast<uintptr_t>(header_) % 8 != 0) return RK_ERROR_INVALID_ARGUMENT;
  const rk_queue_header& h = *header_;
  const bool power_of_two = h.capacity >= 2 && (h.capacity & (h.capacity - 1)) == 0;
  if (!power_of_two || h.mask != h.capacity - 1) return RK_ERROR_INVALID_ARGUMENT;
  if (h.slot_size == 0 || h.slot_size % 8 != 0) return RK_ERROR_INVALID_ARGUMENT;
  if (h.kind != RK_QUEUE_SPSC && h.kind != RK_QUEUE_MPSC) return RK_ERROR_INVALID_ARGUMENT;
  slots_ = map.to_host(h.slots_ptr, size_t{h.capacity} * h.slot_size);
  // Slots hold 8-byte-aligned headers and sequence words: a misaligned base is corrupt.
  if (slots_ == nullptr || reinterpret_cast<uintptr_t>(slots_) % 8 != 0) return RK_ERROR_INVALID_ARGUMENT;
  if (h.kind == RK_QUEUE_MPSC) {
    sequence_ = reinterpret_cast<uint64_t*>(map.to_host(h.sequence_ptr, size_t{h.capacity} * sizeof(uint64_t)));
    if (sequence_ == nullptr || reinterpret_cast<uintptr_t>(sequence_) % 8 != 0) return RK_ERROR_INVALID_ARGUMENT;
  }
  capacity_ = h.capacity;
  mask_ = h.mask;
  slot_size_ = h.slot_size;
  kind_ = h.kind;
  return RK_SUCCESS;
}

// ---- full-queue policy ------------------------------------------------------------------
// The caller chooses: reject at once (a deadline already past) or block until a deadline.
// Either way a caller left without room gets RK_ERROR_QUEUE_FULL and the rejection is
// counted in rejected_full. Corruption ends the wait at once.

template <class Park>
QueueSpan spsc_reserve_until(HostQueue& queue, uint32_t want, WaitClock::time_point deadline, Park&& park) {
  QueueSpan span = queue.spsc_try_reserve(want);
  if (span.status == RK_ERROR_QUEUE_FULL && deadline > WaitClock::now()) {
    wait_until([&] { return (span = queue.spsc_try_reserve(want)).status != RK_ERROR_QUEUE_FULL; }, deadline, park);
  }
  if (span.status == RK_ERROR_QUEUE_FULL) queue.count_rejected();
  return span;
}

template <class Park>
QueueSpan mpsc_claim_until(HostQueue& queue, WaitClock::time_point deadline, Park&& park) {
  QueueSpan span = queue.mpsc_try_claim();
  if (span.status == RK_ERROR_QUEUE_FULL && deadline > WaitClock::now()) {
    wait_until([&] { return (span = queue.mpsc_try_claim()).status != RK_ERROR_QUEUE_FULL; }, deadline, park);
  }
  if (span.status == RK_ERROR_QUEUE_FULL) queue.count_rejected();
  return span;
}

}  // namespace rk::core
