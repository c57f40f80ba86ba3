// Queue memory for tests: a 128-byte aligned block initialised by queue_init, seen by the
// "device" either at the same address or at a made-up one (to exercise translation).
#pragma once

#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>

#include "core/queue/host_queue.hpp"
#include "core/queue/queue_init.hpp"
#include "stress.hpp"

namespace rk::test {

struct FreeDeleter {
  void operator()(void* p) const { std::free(p); }
};

class QueueMemory {
 public:
  // device_base 0: the device sees the host address (identity map).
  QueueMemory(uint32_t capacity, uint32_t slot_size, uint32_t kind, uint64_t device_base = 0)
      : bytes_(core::queue_bytes(capacity, slot_size, kind)),
        memory_(static_cast<uint8_t*>(std::aligned_alloc(core::kQueueAlign, bytes_))) {
    const uint64_t device = device_base != 0 ? device_base : reinterpret_cast<uintptr_t>(memory_.get());
    core::queue_init(memory_.get(), device, capacity, slot_size, kind);
    map_ = device_base != 0 ? core::AddressMap{device_base, memory_.get(), bytes_} : core::AddressMap::identity();
  }

  rk_queue_header* header() const { return reinterpret_cast<rk_queue_header*>(memory_.get()); }
  uint8_t* bytes() const { return memory_.get(); }
  size_t size() const { return bytes_; }
  core::HostQueue queue() const { return core::HostQueue(header(), map_); }

 private:
  size_t bytes_;
  std::unique_ptr<uint8_t, FreeDeleter> memory_;
  core::AddressMap map_;
};

}  // namespace rk::test
