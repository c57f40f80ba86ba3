// The kernels of one runtime: dense ids by name, the device-visible K2K routing table,
// and the host's hybrid logical clock (node 0).
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "hlc/host_clock.hpp"
#include "ringkernel.h"

namespace rk::core {

class KernelTable {
 public:
  KernelTable(uint32_t max_kernels, int64_t max_clock_skew_ns);

  // Dense id for a name, assigned on first mention (a kernel's creation or a peer list),
  // so kernels may name peers that launch later. 0 when the table is full.
  uint32_t id_for(const std::string& name);
  rk_kernel_s* find(const std::string& name);
  rk_kernel_s* find_id(uint32_t id);  // nullptr: no kernel (or a route to another runtime)
  std::string name_of(uint32_t id);   // "" for an id never given out
  void add(rk_kernel_s* kernel);
  void remove(rk_kernel_s* kernel);
  std::vector<rk_kernel_s*> all();

  uint32_t max_kernels() const { return max_kernels_; }
  int64_t max_clock_skew_ns() const { return max_clock_skew_ns_; }
  HostClock& clock() { return clock_; }

  // The routing table lives in host-mapped memory allocated by the runtime.
  rk_k2k_route* routes = nullptr;
  uint64_t routes_device = 0;
  rk_backend_buffer routes_buffer = nullptr;
  // Ring blocks of terminated kernels: kept until the runtime goes, because another
  // kernel may still be writing into a dead inbox it looked up a moment before.
  std::vector<rk_backend_buffer> retired;

 private:
  std::mutex mutex_;
  uint32_t max_kernels_;
  int64_t max_clock_skew_ns_;
  std::unordered_map<std::string, uint32_t> ids_;
  std::unordered_map<std::string, rk_kernel_s*> kernels_;
  std::unordered_map<uint32_t, rk_kernel_s*> by_id_;  // the same kernels: forwarding looks up by id
  HostClock clock_;
};

}  // namespace rk::core
