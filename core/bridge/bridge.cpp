// The bridge thread: serve every attached kernel, collect traced kernels' trace rings,
// relaunch elastic kernels whose loop left while work waits and watch supervised ones, then
// spin briefly and park in bounded slices when there is nothing to do.
#include "bridge/bridge.hpp"

#include <algorithm>
#include <chrono>

#include "runtime/elastic.hpp"
#include "runtime/host_dialect.hpp"
#include "runtime/kernel.hpp"
#include "runtime/kernel_messaging.hpp"
#include "runtime/runtime.hpp"
#include "runtime/supervision.hpp"

namespace rk::core {
namespace {

thread_local const rk_runtime_s* bridge_runtime = nullptr;  // set on a bridge thread
thread_local const rk_kernel_s* current_kernel = nullptr;

// cpu_sim rings the host doorbell on output, so a parked bridge wakes at once and the
// slice only bounds how late a timeout or a detach is seen. GPU and PoCL kernels cannot
// wake the host: there the bridge polls (backoff() ends in 100 us sleeps).
constexpr int64_t kDoorbellSliceNs = 2'000'000;
// A bridge with no kernel to serve runs only for its periodic work: trace collection,
// relaunching elastic kernels and watching supervised ones (each at its pace).
constexpr std::chrono::nanoseconds kPeriodicSlice{1'000'000};

bool has_periodic_work(const rk_runtime_s* runtime) {
  return runtime->trace->collecting() || runtime->elastic_kernels.load() != 0 || runtime->supervised_kernels.load() != 0;
}

// How long a bridge with nothing to serve may sleep before its next periodic round.
std::chrono::nanoseconds periodic_pace(const rk_runtime_s* runtime) {
  auto pace = std::chrono::nanoseconds::max();
  if (runtime->trace->collecting()) pace = kPeriodicSlice;
  if (runtime->elastic_kernels.load() != 0) pace = std::min(pace, elastic_pace(runtime));
  if (runtime->supervised_kernels.load() != 0) pace = std::min(pace, supervision_pace(runtime));
  return pace;
}

// False when output is waiting (the bridge left it there: nobody reads it yet), so the
// caller sleeps instead of spinning on it.
bool park_on_host_doorbell(rk_kernel_s* kernel) {
  rk_control_block* control = kernel->views.control;
  uint32_t seen = rk_load_acquire_u32(&control->host_doorbell);
  rk_store_release_u32(&control->host_parked, 1u);
  // seq_cst: the device's publish-then-read-host_parked and our store-then-read-depth
  // must not both miss each other (same protocol as park_for_output).
  rk_fence_seq_cst();
  bool idle = rk_queue_depth(kernel->views.output) == 0;
  if (idle) rk_park_u32(&control->host_doorbell, seen, kDoorbellSliceNs);
  rk_store_release_u32(&control->host_parked, 0u);
  return idle;
}

}  // namespace

Bridge::Bridge(rk_runtime_s* runtime) : runtime_(runtime) { thread_ = std::thread([this] { run(); }); }

Bridge::~Bridge() {
  {
    std::lock_guard lock(mutex_);  // a bridge waiting on attached_ sees it
    stop_.store(true, std::memory_order_release);  // pairs with the loop's acquire load
  }
  attached_.notify_all();
  thread_.join();
}

bool Bridge::on_bridge_thread(const rk_runtime_s* runtime) {
  return bridge_runtime != nullptr && bridge_runtime == runtime;
}

const rk_kernel_s* Bridge::dispatching_kernel() { return current_kernel; }

void Bridge::attach(rk_kernel_s* kernel) {
  {
    std::lock_guard lock(mutex_);
    if (std::find(kernels_.begin(), kernels_.end(), kernel) == kernels_.end()) kernels_.push_back(kernel);
  }
  attached_.notify_all();
}

void Bridge::wake() {
  { std::lock_guard lock(mutex_); }  // a bridge between its check and its wait sees the change
  attached_.notify_all();
}

void Bridge::detach(rk_kernel_s* kernel) {
  std::unique_lock lock(mutex_);
  if (std::find(kernels_.begin(), kernels_.end(), kernel) == kernels_.end()) return;
  detaching_.push_back(kernel);
  detached_.wait(lock, [&] { return std::find(kernels_.begin(), kernels_.end(), kernel) == kernels_.end(); });
}

void Bridge::run() {
  bridge_runtime = runtime_;
  uint32_t idle_rounds = 0;
  while (!stop_.load(std::memory_order_acquire)) {
    runtime_->trace->collect_soon();  // traced kernels' rings (observability/trace.hpp)
    if (runtime_->elastic_kernels.load(std::memory_order_relaxed) != 0) relaunch_waiting_soon(runtime_);
    if (runtime_->supervised_kernels.load(std::memory_order_relaxed) != 0) supervise_soon(runtime_);
    if (serve_all()) idle_rounds = 0;
    else idle(idle_rounds++);
  }
}

// One pass over the attached kernels. A kernel is picked and its dispatch_mutex taken
// under mutex_, so detach (which removes it under mutex_) cannot free it mid-pass.
bool Bridge::serve_all() {
  bool worked = false;
  for (size_t i = 0;; ++i) {
    rk_kernel_s* kernel = nullptr;
    bool final = false;
    {
      std::lock_guard lock(mutex_);
      if (i >= kernels_.size()) break;
      kernel = kernels_[i];
      final = std::find(detaching_.begin(), detaching_.end(), kernel) != detaching_.end();
      kernel->async.dispatch_mutex.lock();
    }
    current_kernel = kernel;
    worked |= serve_kernel(kernel, final);
    current_kernel = nullptr;
    kernel->async.dispatch_mutex.unlock();
    if (!final) continue;
    std::lock_guard lock(mutex_);
    kernels_.erase(std::find(kernels_.begin(), kernels_.end(), kernel));
    detaching_.erase(std::find(detaching_.begin(), detaching_.end(), kernel));
    detached_.notify_all();
    --i;
    worked = true;
  }
  return worked;
}

void Bridge::idle(uint32_t round) {
  if (round < 256) {
    backoff(round);  // spin, then yield
    return;
  }
  rk_kernel_s* only = nullptr;
  {
    std::unique_lock lock(mutex_);
    if (!detaching_.empty()) return;  // serve it now
    if (kernels_.empty()) {
      // Nothing to serve: sleep until the next round of periodic work, or while there is
      // none until there is (a thread that woke every 100 us would take a core from
      // spinning kernels).
      auto work = [&] { return stop_.load(std::memory_order_acquire) || !kernels_.empty(); };
      if (has_periodic_work(runtime_)) attached_.wait_for(lock, periodic_pace(runtime_), work);
      else attached_.wait(lock, [&] { return work() || has_periodic_work(runtime_); });
      return;
    }
    if (kernels_.size() == 1) only = kernels_.front();
  }
  // `only` stays alive: it leaves kernels_ only through this thread (detach waits for us).
  bool parked = only != nullptr && runtime_->kernel_wakes_host && park_on_host_doorbell(only);
  if (!parked) backoff(round);
}

Bridge& bridge_for(rk_runtime_s* runtime) {
  std::lock_guard lock(runtime->bridge_mutex);
  if (!runtime->bridge) runtime->bridge = std::make_unique<Bridge>(runtime);
  return *runtime->bridge;
}

}  // namespace rk::core
