// A kernel's pending async requests, by correlation id (docs/bridge.md, "Pending requests").
// Submitting threads enter and arm requests; the thread that drains the kernel's output
// (the bridge thread, or on cpu_sim the kernel's own thread) takes them out as replies
// come, and times them out. Those are two cores on every message, so the common path takes
// no lock: a request lives in the slot its id selects (ids are consecutive, so requests in
// flight sit in consecutive slots and a submitter and a drainer rarely write one line), and
// each slot's state and id change together in one atomic word, which makes every step a
// compare-and-swap that cannot act on a slot reused meanwhile (an id never comes back).
// A request whose slot is taken (over kSlots in flight, or ids that collide) goes to an
// overflow map under a spinlock, which is correct at any count, only slower.
// Header-only: tests/core/bridge/test_pending_requests.cpp uses it without libringcore.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <unordered_map>
#include <vector>

#include "runtime/prefetch.hpp"
#include "runtime/spin_lock.hpp"
#include "ringkernel.h"

namespace rk::core {

struct PendingRequest {
  rk_completion_fn completion = nullptr;
  void* user_data = nullptr;
  std::chrono::steady_clock::time_point deadline;
};

class PendingRequests {
 public:
  using Clock = std::chrono::steady_clock;
  static constexpr uint32_t kSlots = 1024;
  // The slot kAddAhead requests on is asked for ahead (prefetch.hpp): the drainer took its
  // last request out and so holds its line (64 in flight on cpu_sim: +13 %).
  static constexpr uint64_t kAddAhead = 8;

  PendingRequests() = default;
  PendingRequests(const PendingRequests&) = delete;
  PendingRequests& operator=(const PendingRequests&) = delete;
  ~PendingRequests() { delete[] slots_.load(std::memory_order_acquire); }

  // Where a request went, for arm() and cancel().
  enum class Place : uint8_t { slot, overflow };

  // Enters a request before its message is sent, so its reply always finds it. Until armed
  // it can neither time out nor be terminated: its caller may still be told the send failed.
  Place add(uint64_t id, const PendingRequest& request) {
    added_.fetch_add(1, std::memory_order_relaxed);
    Slot* table = made_slots();
    Slot& s = table[id & (kSlots - 1)];
    prefetch_for_write(&table[(id + kAddAhead) & (kSlots - 1)], sizeof(Slot));
    uint64_t free_tag = 0;
    if (id_bits(id) != 0 && s.tag.load(std::memory_order_relaxed) == 0 &&
        s.tag.compare_exchange_strong(free_tag, tag(id, kWriting), std::memory_order_acquire)) {
      s.id.store(id, std::memory_order_relaxed);
      s.completion.store(request.completion, std::memory_order_relaxed);
      s.user_data.store(request.user_data, std::memory_order_relaxed);
      s.deadline_ns.store(request.deadline.time_since_epoch().count(), std::memory_order_relaxed);
      s.tag.store(tag(id, kRegistered), std::memory_order_release);
      return Place::slot;
    }
    std::lock_guard lock(overflow_lock_);
    overflow_.emplace(id, Entry{request, false});
    overflow_size_.fetch_add(1, std::memory_order_release);
    return Place::overflow;
  }

  // Its message was accepted. False when the reply came first (it was taken already).
  bool arm(uint64_t id, Place place) {
    if (place == Place::slot) {
      uint64_t expected = tag(id, kRegistered);
      return slot(id)->tag.compare_exchange_strong(expected, tag(id, kArmed), std::memory_order_acq_rel);
    }
    std::lock_guard lock(overflow_lock_);
    auto it = overflow_.find(id);
    if (it == overflow_.end()) return false;
    it->second.armed = true;
    return true;
  }

  // Its message was never sent: forget it (no reply can come).
  void cancel(uint64_t id, Place place) {
    if (place == Place::slot) {
      uint64_t expected = tag(id, kRegistered);
      if (slot(id)->tag.compare_exchange_strong(expected, 0, std::memory_order_release))
        removed_.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    std::lock_guard lock(overflow_lock_);
    if (overflow_.erase(id) != 0) settle_overflow_locked();
  }

  // The reply to `id` came: the request, taken out, or nothing when `id` is not pending.
  std::optional<PendingRequest> take(uint64_t id) {
    if (Slot* s = slot(id))
      for (uint64_t t = s->tag.load(std::memory_order_acquire); t == tag(id, kRegistered) || t == tag(id, kArmed);) {
        if (!s->tag.compare_exchange_weak(t, tag(id, kTaking), std::memory_order_acquire)) continue;
        PendingRequest request = read(*s);
        s->tag.store(0, std::memory_order_release);
        removed_.fetch_add(1, std::memory_order_relaxed);
        return request;
      }
    if (overflow_size_.load(std::memory_order_acquire) == 0) return std::nullopt;
    std::lock_guard lock(overflow_lock_);
    auto it = overflow_.find(id);
    if (it == overflow_.end()) return std::nullopt;
    PendingRequest request = it->second.request;
    overflow_.erase(it);
    settle_overflow_locked();
    return request;
  }

  // Whether `id` is pending (entered and not yet taken, armed or not).
  bool contains(uint64_t id) const {
    const Slot* s = slot(id);
    uint64_t t = s ? s->tag.load(std::memory_order_acquire) : 0;
    if (t != 0 && (t >> kStateBits) == id_bits(id)) return true;
    if (overflow_size_.load(std::memory_order_acquire) == 0) return false;
    std::lock_guard lock(overflow_lock_);
    return overflow_.count(id) != 0;
  }

  // Takes out every armed request that `ends` selects, calling `done(id, request)` for each.
  template <class Ends, class Done>
  void take_armed(Ends ends, Done done) {
    Slot* slots = slots_.load(std::memory_order_acquire);
    for (uint32_t i = 0; slots != nullptr && i < kSlots; ++i) {
      Slot& s = slots[i];
      uint64_t t = s.tag.load(std::memory_order_acquire);
      if (t == 0 || state(t) != kArmed) continue;
      PendingRequest request = read(s);  // stable while the tag holds: CAS below checks it
      if (!ends(request)) continue;
      if (!s.tag.compare_exchange_strong(t, t - kArmed + kTaking, std::memory_order_acquire)) continue;
      uint64_t id = s.id.load(std::memory_order_relaxed);
      s.tag.store(0, std::memory_order_release);
      removed_.fetch_add(1, std::memory_order_relaxed);
      done(id, request);
    }
    if (overflow_size_.load(std::memory_order_acquire) == 0) return;
    std::vector<std::pair<uint64_t, PendingRequest>> ended;
    {
      std::lock_guard lock(overflow_lock_);
      for (auto it = overflow_.begin(); it != overflow_.end();) {
        if (!it->second.armed || !ends(it->second.request)) {
          ++it;
          continue;
        }
        ended.emplace_back(it->first, it->second.request);
        it = overflow_.erase(it);
        settle_overflow_locked();
      }
    }
    for (auto& [id, request] : ended) done(id, request);
  }

  // Requests entered and not yet taken or cancelled; a snapshot, exact only when no other
  // thread changes the set.
  uint32_t count() const {
    uint64_t removed = removed_.load(std::memory_order_relaxed);
    uint64_t added = added_.load(std::memory_order_relaxed);
    return added > removed ? static_cast<uint32_t>(added - removed) : 0;
  }

 private:
  // A slot's tag: the request's id shifted left by kStateBits, plus its state; 0 is free.
  static constexpr uint64_t kStateBits = 2;
  static constexpr uint64_t kWriting = 0, kRegistered = 1, kArmed = 2, kTaking = 3;
  static constexpr uint64_t kIdMask = (uint64_t{1} << (64 - kStateBits)) - 1;
  static uint64_t id_bits(uint64_t id_or_tag) { return id_or_tag & kIdMask; }
  // The tag keeps an id's low 62 bits: host request ids are a counter from 1 with bit 63 set
  // (next_request_id), so two pending ids never share them. An id whose low bits are all 0
  // would make a tag that reads as free; such an id goes to the overflow map.
  static uint64_t tag(uint64_t id, uint64_t st) { return (id_bits(id) << kStateBits) | st; }
  static uint64_t state(uint64_t t) { return t & ((uint64_t{1} << kStateBits) - 1); }

  struct Slot {
    std::atomic<uint64_t> tag{0};
    // Written only by the thread that moved the tag to kWriting, read once it left it.
    // Atomic (relaxed, free on x86) because a scan may read them while a slot is reused and
    // then discard them when its compare-and-swap fails.
    std::atomic<uint64_t> id{0};
    std::atomic<rk_completion_fn> completion{nullptr};
    std::atomic<void*> user_data{nullptr};
    std::atomic<int64_t> deadline_ns{0};
  };
  static_assert(sizeof(Slot) == 40);
  struct Entry {
    PendingRequest request;
    bool armed;
  };

  // The slot of `id`, or nullptr before the first request made the table.
  Slot* slot(uint64_t id) const {
    Slot* slots = slots_.load(std::memory_order_acquire);
    return slots ? &slots[id & (kSlots - 1)] : nullptr;
  }
  // The table, made by the first request: a kernel that never takes an async request
  // costs no 40 KiB. Submitters may race to make it; one wins.
  Slot* made_slots() {
    Slot* slots = slots_.load(std::memory_order_acquire);
    if (slots != nullptr) return slots;
    auto made = std::make_unique<Slot[]>(kSlots);
    if (slots_.compare_exchange_strong(slots, made.get(), std::memory_order_acq_rel)) return made.release();
    return slots;  // another submitter's table
  }
  static PendingRequest read(const Slot& s) {
    return {s.completion.load(std::memory_order_relaxed), s.user_data.load(std::memory_order_relaxed),
            Clock::time_point(Clock::duration(s.deadline_ns.load(std::memory_order_relaxed)))};
  }
  void settle_overflow_locked() {
    overflow_size_.store(overflow_.size(), std::memory_order_release);
    removed_.fetch_add(1, std::memory_order_relaxed);
  }

  std::atomic<Slot*> slots_{nullptr};  // owned: deleted by the destructor
  // Counted apart, each mostly by one side: the submitting thread writes added_, the
  // draining one removed_, so counting costs no line that both write per message.
  alignas(64) std::atomic<uint64_t> added_{0};
  alignas(64) std::atomic<uint64_t> removed_{0};
  alignas(64) mutable SpinLock overflow_lock_;
  std::atomic<size_t> overflow_size_{0};
  std::unordered_map<uint64_t, Entry> overflow_;  // overflow_lock_
};

}  // namespace rk::core
