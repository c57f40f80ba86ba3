// Correlation ids of requests that gave up (timed out) while their message was already
// accepted: a reply carrying one arrives late and is dropped, never handed to a reader.
// Bounded: past kMaxRemembered the oldest ids are forgotten (a reply that late is then
// treated as ordinary output, as before this table existed).
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <unordered_set>

namespace rk::core {

class AbandonedIds {
 public:
  static constexpr size_t kMaxRemembered = 65536;

  void add(uint64_t correlation_id) {
    if (ids_.insert(correlation_id).second) order_.push_back(correlation_id);
    while (order_.size() > kMaxRemembered) {
      ids_.erase(order_.front());
      order_.pop_front();
    }
  }

  // True (and forgets it) when `correlation_id` belongs to an abandoned request. Host
  // requests set bit 63, so other output costs one branch.
  bool take(uint64_t correlation_id) {
    if ((correlation_id >> 63) == 0 || ids_.empty()) return false;
    return ids_.erase(correlation_id) != 0;  // its entry in order_ goes when it ages out
  }

 private:
  std::unordered_set<uint64_t> ids_;
  std::deque<uint64_t> order_;
};

}  // namespace rk::core
