#include "bridge/kernel_assist.hpp"

#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "bridge/bridge.hpp"
#include "plugin/discovery.hpp"
#include "runtime/kernel.hpp"

namespace rk::core {
namespace {

struct Enlisted {
  const void* control_block;
  rk_kernel_s* kernel;
};

std::mutex g_mutex;  // g_enlisted
// Never destroyed by a static destructor: threads of kernels a program did not destroy may
// still offer their time while the process exits.
std::vector<Enlisted>& g_enlisted = *new std::vector<Enlisted>();
// Bumped on every change, so a thread's cached lookup below stays valid without the lock
// (cpu_sim reuses worker threads across launches, and a control block's address may be
// reused by a later kernel).
std::atomic<uint64_t> g_generation{1};
std::atomic<uint32_t> g_count{0};

struct CachedLookup {
  const void* control_block = nullptr;
  rk_kernel_s* kernel = nullptr;
  uint64_t generation = 0;
  Bridge::AssistRounds rounds;
};
thread_local CachedLookup t_lookup;

}  // namespace

bool kernel_assist_enabled() {
  static const bool on = [] {
    const char* value = std::getenv("RINGKERNEL_KERNEL_ASSIST");
    return value == nullptr || std::string(value) != "0";
  }();
  return on;
}

void enlist_for_assist(rk_kernel_s* kernel) {
  if (!kernel_assist_enabled()) return;
  std::lock_guard lock(g_mutex);
  for (const Enlisted& e : g_enlisted)
    if (e.kernel == kernel) return;
  g_enlisted.push_back({kernel->views.control, kernel});
  g_generation.fetch_add(1, std::memory_order_release);
  g_count.fetch_add(1, std::memory_order_relaxed);
  set_kernel_idle_assist(kernel_assist);
}

void withdraw_from_assist(rk_kernel_s* kernel) {
  std::lock_guard lock(g_mutex);
  for (auto it = g_enlisted.begin(); it != g_enlisted.end(); ++it) {
    if (it->kernel != kernel) continue;
    g_enlisted.erase(it);
    g_generation.fetch_add(1, std::memory_order_release);
    g_count.fetch_sub(1, std::memory_order_relaxed);
    return;
  }
}

// The kernel found stays alive while this runs: the caller is its own loop, and a kernel is
// withdrawn (detach) only after its loop has stopped.
bool kernel_assist(const void* control_block) {
  if (g_count.load(std::memory_order_relaxed) == 0) return false;
  uint64_t generation = g_generation.load(std::memory_order_acquire);
  if (t_lookup.generation != generation || t_lookup.control_block != control_block) {
    std::unique_lock lock(g_mutex, std::try_to_lock);  // never block a kernel's loop
    if (!lock.owns_lock()) return false;
    t_lookup = {control_block, nullptr, g_generation.load(std::memory_order_relaxed), {}};
    for (const Enlisted& e : g_enlisted)
      if (e.control_block == control_block) t_lookup.kernel = e.kernel;
  }
  return t_lookup.kernel != nullptr && Bridge::assist(t_lookup.kernel, t_lookup.rounds);
}

}  // namespace rk::core
