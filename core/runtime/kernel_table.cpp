#include "runtime/kernel_table.hpp"

#include "runtime/kernel.hpp"

namespace rk::core {

KernelTable::KernelTable(uint32_t max_kernels, int64_t max_clock_skew_ns)
    : max_kernels_(max_kernels), max_clock_skew_ns_(max_clock_skew_ns), clock_(RK_KERNEL_ID_HOST) {}

uint32_t KernelTable::id_for(const std::string& name) {
  std::lock_guard lock(mutex_);
  if (auto it = ids_.find(name); it != ids_.end()) return it->second;
  // Id 0 is the host; ids run 1 .. max_kernels - 1 and index the routing table.
  uint32_t id = static_cast<uint32_t>(ids_.size()) + 1;
  if (id >= max_kernels_) return 0;
  ids_.emplace(name, id);
  return id;
}

std::string KernelTable::name_of(uint32_t id) {
  std::lock_guard lock(mutex_);
  for (const auto& [name, given] : ids_)
    if (given == id) return name;
  return "";
}

rk_kernel_s* KernelTable::find(const std::string& name) {
  std::lock_guard lock(mutex_);
  auto it = kernels_.find(name);
  return it == kernels_.end() ? nullptr : it->second;
}

rk_kernel_s* KernelTable::find_id(uint32_t id) {
  std::lock_guard lock(mutex_);
  auto it = by_id_.find(id);
  return it == by_id_.end() ? nullptr : it->second;
}

void KernelTable::add(rk_kernel_s* kernel) {
  std::lock_guard lock(mutex_);
  kernels_[kernel->config.name] = kernel;
  by_id_[kernel->id] = kernel;
}

void KernelTable::remove(rk_kernel_s* kernel) {
  std::lock_guard lock(mutex_);
  auto it = kernels_.find(kernel->config.name);
  if (it != kernels_.end() && it->second == kernel) {
    kernels_.erase(it);
    by_id_.erase(kernel->id);
  }
}

std::vector<rk_kernel_s*> KernelTable::all() {
  std::lock_guard lock(mutex_);
  std::vector<rk_kernel_s*> out;
  for (auto& [name, kernel] : kernels_) out.push_back(kernel);
  return out;
}

}  // namespace rk::core
