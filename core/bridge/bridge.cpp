// The bridge thread: serve every attached kernel, collect traced kernels' trace rings,
// relaunch elastic kernels whose loop left while work waits and watch supervised ones, then
// spin briefly and park in bounded slices when there is nothing to do.
#include "bridge/bridge.hpp"

#include <algorithm>
#include <chrono>
#include <utility>

#include "bridge/kernel_assist.hpp"
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
thread_local const rk_kernel_s* assisting = nullptr;  // set on a kernel thread standing in

// Bridge::assist: a batch worth a pass at once, and idle rounds to wait for a smaller one.
constexpr uint32_t kAssistBatch = 16;
constexpr uint32_t kAssistPatience = 1;
// While kernel threads deliver their own output (an assist within the last kAssistedLately),
// the bridge thread wakes at kStandBack's pace for what only it does (timeouts, other
// kernels' output, periodic work). It neither parks on a doorbell, which would cost every
// reply a wake-up system call on the kernel's thread, nor spins between the kernels'
// passes, which would take a core from them (the 1-in-flight p99 was 50-70 us with a
// bridge that went back to spinning whenever 200 us passed without an assist).
constexpr auto kStandBack = std::chrono::microseconds(200);
// Output of a kernel that delivers its own stays this long for its thread before the bridge
// thread takes it (the kernel is busy, or standing in is off for it).
constexpr auto kLeaveToKernel = std::chrono::microseconds(20);
constexpr auto kAssistedLately = std::chrono::milliseconds(2);
// A kernel thread leaves output to a user thread that called rk_runtime_progress and
// delivered within this long: that thread waits for completions anyway, and a pass on the
// kernel's thread would both delay the kernel's next input and pull the lines the user's
// callbacks touch (its request records, its counters) across cores (docs/bridge.md).
constexpr int64_t kUserProgressHoldNs = 50'000;

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

// Output on the device, or output a blocking waiter drained and left for a pass.
bool output_for_a_pass(rk_kernel_s* kernel) {
  return rk_queue_depth(kernel->views.output) != 0 || kernel->async.left_for_bridge.load(std::memory_order_acquire);
}

// False when output is waiting (the bridge left it there: nobody reads it yet), so the
// caller sleeps instead of spinning on it.
bool park_on_host_doorbell(rk_kernel_s* kernel) {
  rk_control_block* control = kernel->views.control;
  uint32_t seen = rk_load_acquire_u32(&control->host_doorbell);
  rk_store_release_u32(&control->host_parked, 1u);
  // seq_cst: the device's publish-then-read-host_parked and our store-then-read-depth
  // must not both miss each other (same protocol as park_for_output); likewise a blocking
  // waiter's flag-then-read-host_parked (leave_claimed_to_bridge_locked) and our read of it.
  rk_fence_seq_cst();
  bool idle = !output_for_a_pass(kernel);
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

const rk_kernel_s* Bridge::assisting_kernel() { return assisting; }

namespace {

// Whether the oldest output message could be for an async consumer. A reply to a blocking
// request, or output for rk_kernel_receive, is its reader's to take (the reader drains the
// queue itself): a pass over it would only race that reader for the receive lock (an
// attached kernel's blocking request took 1.25 us p50 with such passes, 0.9 without).
// Read on the kernel's own thread, the queue's one producer, so the slot cannot change
// under us; the head may move on meanwhile, which only makes the answer one message stale.
// Output behind a reply that is not ours is seen when the reader has taken that reply, or
// when the reader flags what it drained (left_for_bridge).
bool head_wanted_by_async(rk_kernel_s* kernel) {
  const KernelAsync& async = kernel->async;
  if (async.has_handler.load(std::memory_order_acquire)) return true;
  const uint32_t capacity = kernel->config.output_capacity, slot_size = kernel->config.slot_size;
  const uint64_t head = rk_load_acquire_u64(&kernel->views.output->head);
  auto* message = reinterpret_cast<rk_msg_header*>(kernel->views.output_slots + (head & (capacity - 1u)) * size_t{slot_size});
  if (rk_load_acquire_u32(&message->publish_seq) != rk_msg_publish_seq(head)) return true;  // moved on: look
  return async.pending.contains(message->correlation_id);
}

}  // namespace

bool Bridge::assist(rk_kernel_s* kernel, AssistRounds& rounds) {
  uint32_t depth = rk_queue_depth(kernel->views.output);
  if (!kernel->async.left_for_bridge.load(std::memory_order_acquire)) {
    if (depth == 0) return false;  // the usual idle round: no lock
    if (!head_wanted_by_async(kernel)) return false;
  }
  // Deliver in batches while input keeps coming: a pass per message would pull every line
  // the submitting thread touches (pending requests, the clock, the allocator) across cores
  // once per message, and slow the submitter more than the batch delays its replies. So a
  // pass runs once the output stopped growing for an idle round, or holds a batch.
  if (depth != rounds.depth_seen) rounds = {depth, 0};
  else ++rounds.rounds;
  if (depth < kAssistBatch && rounds.rounds < kAssistPatience) return false;
  rounds = {};
  // Set before the kernel was enlisted (attach), reset only after every kernel is gone.
  Bridge* bridge = kernel->runtime->bridge.get();
  int64_t progressed = bridge->progressed_ns_.load(std::memory_order_relaxed);
  if (progressed != 0 && rk_clock_ns() - progressed < kUserProgressHoldNs) return false;  // a user thread delivers
  std::unique_lock pass(bridge->pass_mutex_, std::try_to_lock);
  if (!pass.owns_lock()) return false;
  std::unique_lock dispatch(kernel->async.dispatch_mutex, std::try_to_lock);
  if (!dispatch.owns_lock()) return false;
  // The roles a callback checks (what it may block on) are the bridge thread's, plus ours.
  const rk_runtime_s* saved_runtime = std::exchange(bridge_runtime, kernel->runtime);
  const rk_kernel_s* saved_kernel = std::exchange(current_kernel, kernel);
  const rk_kernel_s* saved_assisting = std::exchange(assisting, kernel);
  std::atomic<uint64_t>& passes = kernel->async.own_thread_passes;
  const uint64_t passes_before = passes.load(std::memory_order_relaxed);
  passes.store(passes_before + 1, std::memory_order_relaxed);  // odd: in a pass
  bool delivered = serve_kernel(kernel, false, true) != 0;
  passes.store(passes_before + 2, std::memory_order_relaxed);
  bridge_runtime = saved_runtime;
  current_kernel = saved_kernel;
  assisting = saved_assisting;
  if (delivered) {
    bridge->assists_.fetch_add(1, std::memory_order_relaxed);
    if (!kernel->async.assisted.load(std::memory_order_relaxed)) kernel->async.assisted.store(true, std::memory_order_relaxed);
  }
  return delivered;
}

bool Bridge::in_pass() { return bridge_runtime != nullptr; }

uint32_t Bridge::progress() {
  std::unique_lock pass(pass_mutex_, std::try_to_lock);
  if (!pass.owns_lock()) return 0;  // the bridge thread or a kernel thread is at it
  // The roles a callback checks (what it may block on) are the bridge thread's.
  bridge_runtime = runtime_;
  uint32_t delivered = 0;
  for (size_t i = 0;; ++i) {
    rk_kernel_s* kernel = nullptr;
    {
      // As serve_all: picked and its dispatch_mutex taken under mutex_, so a detach cannot
      // free it mid-pass. A detaching kernel's final pass is the bridge thread's.
      std::lock_guard lock(mutex_);
      if (i >= kernels_.size()) break;
      kernel = kernels_[i];
      if (!output_for_a_pass(kernel)) continue;  // nothing new: leave its locks alone
      if (std::find(detaching_.begin(), detaching_.end(), kernel) != detaching_.end()) continue;
      if (!kernel->async.dispatch_mutex.try_lock()) continue;
    }
    current_kernel = kernel;
    delivered += serve_kernel(kernel, false, true);
    current_kernel = nullptr;
    kernel->async.dispatch_mutex.unlock();
  }
  bridge_runtime = nullptr;
  if (delivered != 0) {
    assists_.fetch_add(1, std::memory_order_relaxed);
    progressed_ns_.store(rk_clock_ns(), std::memory_order_relaxed);
  }
  return delivered;
}

// Whether the bridge thread should leave the kernel's output to the kernel's own thread
// for now: when that thread delivers (it has before) and the output has waited less than
// kLeaveToKernel. Without this the bridge thread, spinning after a slice with no assist,
// could win every pass and keep winning: the 1-in-flight row then ran at the bridge-only
// 7-10 us in some runs.
bool Bridge::leave_to_kernel(rk_kernel_s* kernel) {
  KernelAsync& async = kernel->async;
  if (!async.assisted.load(std::memory_order_relaxed)) return false;
  // What a blocking waiter drained and flagged is ready now; and while waiters keep taking
  // output, the head keeps moving and the wait below would start over at every look.
  if (async.left_for_bridge.load(std::memory_order_acquire)) return false;
  rk_queue_header* output = kernel->views.output;
  uint64_t head = rk_load_acquire_u64(&output->head);
  if (rk_queue_depth(output) == 0) {
    async.left_waiting = false;
    return false;  // nothing to leave; a pass may still have timeouts to scan
  }
  auto now = std::chrono::steady_clock::now();
  if (!async.left_waiting || head != async.left_head) {  // new output, or someone took some
    async.left_waiting = true;
    async.left_head = head;
    async.left_since = now;
  }
  return now - async.left_since < kLeaveToKernel;
}

void Bridge::attach(rk_kernel_s* kernel) {
  {
    std::lock_guard lock(mutex_);
    if (std::find(kernels_.begin(), kernels_.end(), kernel) == kernels_.end()) kernels_.push_back(kernel);
  }
  enlist_for_assist(kernel);
  attached_.notify_all();
}

void Bridge::wake() {
  { std::lock_guard lock(mutex_); }  // a bridge between its check and its wait sees the change
  attached_.notify_all();
}

void Bridge::detach(rk_kernel_s* kernel) {
  withdraw_from_assist(kernel);
  std::unique_lock lock(mutex_);
  if (std::find(kernels_.begin(), kernels_.end(), kernel) == kernels_.end()) return;
  detaching_.push_back(kernel);
  attached_.notify_all();  // a bridge standing back serves it now
  detached_.wait(lock, [&] { return std::find(kernels_.begin(), kernels_.end(), kernel) == kernels_.end(); });
}

void Bridge::run() {
  bridge_runtime = runtime_;
  uint32_t idle_rounds = 0;
  uint64_t assists_seen = 0;
  auto assisted_at = std::chrono::steady_clock::time_point{};
  while (!stop_.load(std::memory_order_acquire)) {
    runtime_->trace->collect_soon();  // traced kernels' rings (observability/trace.hpp)
    if (runtime_->elastic_kernels.load(std::memory_order_relaxed) != 0) relaunch_waiting_soon(runtime_);
    if (runtime_->supervised_kernels.load(std::memory_order_relaxed) != 0) supervise_soon(runtime_);
    bool served = false;
    {
      std::unique_lock pass(pass_mutex_, std::try_to_lock);  // busy: a kernel thread is at it
      if (pass.owns_lock()) served = serve_all();
    }
    uint64_t assists = assists_.load(std::memory_order_relaxed);
    auto now = std::chrono::steady_clock::now();
    if (assists != assists_seen) {
      assists_seen = assists;
      assisted_at = now;
    }
    if (now - assisted_at < kAssistedLately && !served) {
      idle_rounds = 0;
      std::unique_lock lock(mutex_);
      if (detaching_.empty()) attached_.wait_for(lock, kStandBack, [&] { return stop_.load() || !detaching_.empty(); });
      continue;
    }
    if (served) idle_rounds = 0;
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
      if (!final && leave_to_kernel(kernel)) continue;
      kernel->async.dispatch_mutex.lock();
    }
    current_kernel = kernel;
    worked |= serve_kernel(kernel, final) != 0;
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
  // With nothing of its output wanted by async consumers (blocking requests on it now, or
  // nothing), the bridge does not park on its doorbell, which would make each reply to a
  // blocking request wake it: a system call on the kernel's thread per request (docs/
  // benchmarks.md, "Blocking requests beside async ones"). It rests until a new async
  // consumer wakes it, or a slice passes (a wake missed by a request entered just as it
  // looked costs at most that; the kernel's own thread delivers the reply meanwhile).
  // Only where the kernel's own thread delivers (cpu_sim with assist on; `assisted` once it
  // has): a missed wake then delays only what the bridge thread alone does (timeouts,
  // periodic work), never a reply. A device whose kernels wake the host without running
  // host code (PoCL with RK_OPENCL_HOST_FUTEX) leaves every delivery to this thread.
  if (only != nullptr && runtime_->kernel_wakes_host && only->async.assisted.load(std::memory_order_acquire) &&
      !only->async.wants_output()) {
    runtime_->bridge_resting.store(true, std::memory_order_seq_cst);
    if (!only->async.wants_output()) {  // again, after the flag: a request entered meanwhile
      auto rest = std::chrono::nanoseconds(kDoorbellSliceNs);
      if (has_periodic_work(runtime_)) rest = std::min(rest, periodic_pace(runtime_));
      std::unique_lock lock(mutex_);
      if (detaching_.empty())
        attached_.wait_for(lock, rest, [&] { return stop_.load() || !detaching_.empty() || only->async.wants_output(); });
    }
    runtime_->bridge_resting.store(false, std::memory_order_relaxed);
    return;
  }
  bool parked = only != nullptr && runtime_->kernel_wakes_host && park_on_host_doorbell(only);
  if (!parked) backoff(round);
}

void wake_bridge_if_resting(rk_runtime_s* runtime) {
  // Written only when the bridge starts or stops resting: this line stays in the caller's
  // cache. Relaxed: a wake missed by a consumer entered just as the bridge looked (possible
  // where a locked add is not a full fence) costs at most one rest of what only the bridge
  // thread does; replies are delivered by the kernel's own thread, the only case it rests.
  if (runtime->bridge_resting.load(std::memory_order_relaxed)) bridge_for(runtime).wake();
}

Bridge& bridge_for(rk_runtime_s* runtime) {
  std::lock_guard lock(runtime->bridge_mutex);
  if (!runtime->bridge) runtime->bridge = std::make_unique<Bridge>(runtime);
  return *runtime->bridge;
}

}  // namespace rk::core
