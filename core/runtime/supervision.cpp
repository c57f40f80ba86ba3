#include "runtime/supervision.hpp"

#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "api/error.hpp"
#include "api/struct_growth.hpp"
#include "bridge/bridge.hpp"
#include "bridge/remote_k2k.hpp"
#include "runtime/device_calls.hpp"
#include "runtime/host_dialect.hpp"
#include "runtime/kernel.hpp"
#include "runtime/kernel_ops.hpp"
#include "runtime/lifecycle.hpp"
#include "runtime/park.hpp"
#include "runtime/runtime.hpp"

namespace rk::core {
namespace {

constexpr uint64_t kDefaultErrorWindowNs = 1'000'000'000;
constexpr uint64_t kDefaultRestartTimeoutNs = 1'000'000'000;
constexpr uint32_t kDefaultMaxRestarts = 3;
constexpr uint64_t kDefaultRestartWindowNs = 60'000'000'000;
// The bridge looks at a quarter of the shortest interval it watches for, so a stall is
// seen between stall_ns and 1.25 x stall_ns after progress stopped (on an idle machine).
constexpr int64_t kFastestPaceNs = 100'000;
constexpr int64_t kSlowestPaceNs = 100'000'000;

thread_local bool g_in_callback = false;

int64_t steady_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch()).count();
}

std::string millis(int64_t ns) { return std::to_string(ns / 1'000'000) + " ms"; }

uint32_t loop_flag(rk_kernel_s* kernel) { return rk_load_acquire_u32(word(kernel->views.control->has_terminated)); }

// An event waiting for its callback, which runs once the bridge holds no kernel's lock.
struct PendingEvent {
  rk_supervision_event event{};
  rk_kernel_s* kernel = nullptr;
  uint64_t generation = 0;
  std::string reason;
  rk_supervision_fn fn = nullptr;
  void* user_data = nullptr;
};

class Watch {
 public:
  Watch(rk_kernel_s* kernel, int64_t now, std::vector<PendingEvent>& events)
      : kernel_(kernel), s_(kernel->supervision), now_(now), events_(events) {}

  void round() {
    rk_kernel_state state = kernel_->state.load();
    bool running = state == RK_KERNEL_LAUNCHED || state == RK_KERNEL_ACTIVE || state == RK_KERNEL_DEACTIVATED;
    if (!running || kernel_->stream == nullptr) return;
    if (loop_vanished()) return;
    if (s_.restarting) {
      continue_restart();
      return;
    }
    if (state != RK_KERNEL_ACTIVE) {  // paused on purpose: nothing is late
      rebase();
      return;
    }
    // A loop parked by a park that was given up on (an earlier restart that timed out on
    // a handler that has since returned) runs again; elastic kernels' are the bridge's.
    if (!kernel_->config.elastic() && loop_flag(kernel_) == RK_TERMINATED_RELAUNCHABLE) {
      if (resume_if_parked(kernel_) != RK_SUCCESS) fault("it could not be launched again: " + last_error_text(), false);
      rebase();
      return;
    }
    watch_progress();
    if (kernel_->state.load() == RK_KERNEL_ACTIVE && !s_.restarting) watch_errors();
  }

 private:
  const rk_supervision_options& options() const { return s_.options; }

  void emit(rk_supervision_event_kind kind, std::string reason, int64_t stalled_ns = 0, uint64_t message_id = 0,
            uint64_t errors = 0) {
    PendingEvent e;
    e.event.struct_size = sizeof(e.event);
    e.event.kind = kind;
    e.event.kernel = kernel_;
    e.event.stalled_ns = stalled_ns;
    e.event.message_id = message_id;
    e.event.errors = errors;
    e.event.restarts = static_cast<uint32_t>(s_.restart_times.size());
    e.reason = std::move(reason);
    e.fn = options().on_event;
    e.user_data = options().user_data;
    e.kernel = kernel_;
    e.generation = s_.generation.load();
    events_.push_back(std::move(e));
  }

  std::string name() const { return "kernel '" + kernel_->config.name + "'"; }

  int64_t processed() const {
    return static_cast<int64_t>(rk_load_acquire_u64(reinterpret_cast<uint64_t*>(&kernel_->views.control->messages_processed)));
  }

  int64_t errors() const {
    return static_cast<int64_t>(rk_load_relaxed_u32(word(kernel_->views.control->errors_encountered)));
  }

  void rebase() {
    s_.seen_processed = processed();
    s_.progress_ns = now_;
    s_.error_base = errors();
    s_.error_window_start_ns = now_;
    s_.clear_stall();
  }

  // The launch ended (or failed) while the loop never wrote that it left: a device fault.
  bool loop_vanished() {
    if (loop_flag(kernel_) != RK_TERMINATED_RUNNING) return false;
    // A copied block's loop says it left when its step is finished: until then it runs.
    if (kernel_->copied && (!settle_steps(kernel_->runtime) || loop_flag(kernel_) != RK_TERMINATED_RUNNING)) return false;
    rk_result r = kernel_->runtime->backend->stream_query(kernel_->stream);
    if (r == RK_ERROR_NOT_READY) return false;
    // The loop may have left (an elastic exit needs no host lock) between our two reads.
    if (r == RK_SUCCESS && loop_flag(kernel_) != RK_TERMINATED_RUNNING) return false;
    std::string why = r == RK_SUCCESS ? std::string("its launch ended without the loop saying it left")
                                      : std::string("the device reported a fault: ") + rk_result_name(r) + ": " +
                                            last_error_text();
    fault(why + "; no loop runs it any more", true);
    return true;
  }

  void watch_progress() {
    const RingViews& v = kernel_->views;
    int64_t count = processed();
    uint64_t since = rk_load_relaxed_u64(reinterpret_cast<uint64_t*>(&v.env->handling_since_ns));
    uint32_t waiting = rk_queue_depth(v.input) + rk_queue_depth(v.inbox) + rk_load_relaxed_u32(&v.env->outbox_waiting);
    bool resident = loop_flag(kernel_) == RK_TERMINATED_RUNNING;
    bool busy = since != 0 || (resident && waiting != 0);
    const int64_t since_look = s_.looked_ns != 0 ? now_ - s_.looked_ns : 0;
    s_.looked_ns = now_;
    if (count != s_.seen_processed || !busy) {
      s_.seen_processed = count;
      s_.progress_ns = now_;
      if (s_.stalled) {
        s_.clear_stall();
        emit(RK_SUPERVISION_PROGRESSING, name() + " makes progress again");
      }
      return;
    }
    if (uint64_t pass = kernel_->async.own_thread_passes.load(std::memory_order_relaxed); (pass & 1u) != 0) {
      watch_own_thread_pass(pass, waiting, since_look);
      return;
    }
    if (s_.pass_stalled) {  // the callbacks returned: from here on the time is the handler's again
      s_.clear_stall();
      s_.progress_ns = now_;
      emit(RK_SUPERVISION_PROGRESSING, name() + ": its own thread is done with the output callbacks");
      return;
    }
    int64_t idle_ns = now_ - s_.progress_ns;
    if (options().stall_ns == 0 || s_.stalled || idle_ns < static_cast<int64_t>(options().stall_ns)) return;
    s_.stalled = true;
    s_.stalled_now.store(1);
    s_.stalls.fetch_add(1);
    uint64_t message = since != 0 ? rk_load_relaxed_u64(&v.env->handling_message_id) : 0;
    std::string reason = since != 0 ? name() + " stalled: its handler has run on message " + std::to_string(message) +
                                          " with no progress for " + millis(idle_ns)
                                    : name() + " stalled: " + std::to_string(waiting) +
                                          " message(s) wait and it has processed none for " + millis(idle_ns);
    log_warn(reason);
    emit(RK_SUPERVISION_STALLED, reason, idle_ns, message);
    if (options().policy == RK_SUPERVISE_RESTART) begin_restart(reason);
  }

  // The kernel's own thread runs output callbacks for it (cpu_sim; docs/bridge.md, "Who runs
  // callbacks"): its loop stands still, but not for its handler. The handler's stall clock
  // leaves out the time since the last look (the passes' time as sampled, so a handler that
  // keeps starting passes is still seen when it stalls between them); a pass that outlasts
  // stall_ns with work waiting is reported once, and never restarted: a restart waits for
  // the loop, which waits for the callback. The pass is timed from when this watch first saw
  // it (never reported early).
  void watch_own_thread_pass(uint64_t pass, uint32_t waiting, int64_t since_look) {
    s_.progress_ns = std::min(now_, s_.progress_ns + since_look);
    if (pass != s_.pass_seen) {
      s_.pass_seen = pass;
      s_.pass_seen_ns = now_;
    }
    int64_t in_pass = now_ - s_.pass_seen_ns;
    if (options().stall_ns == 0 || s_.stalled || in_pass < static_cast<int64_t>(options().stall_ns)) return;
    s_.stalled = true;
    s_.pass_stalled = true;
    s_.stalled_now.store(1);
    s_.stalls.fetch_add(1);
    std::string reason = name() + " stalled: its own thread has run output callbacks for " + millis(in_pass) +
                         " with " + std::to_string(waiting) +
                         " message(s) waiting (a callback on a kernel's thread holds up its loop: docs/bridge.md); "
                         "not restarted, since a restart would wait for the same callback";
    log_warn(reason);
    emit(RK_SUPERVISION_STALLED, reason, in_pass, 0);
  }

  void watch_errors() {
    if (options().error_limit == 0) return;
    int64_t count = errors();
    if (now_ - s_.error_window_start_ns >= static_cast<int64_t>(options().error_window_ns)) {
      s_.error_window_start_ns = now_;  // a fresh window
      s_.error_base = count;
      return;
    }
    int64_t burst = count - s_.error_base;
    if (burst < static_cast<int64_t>(options().error_limit)) return;
    s_.error_bursts.fetch_add(1);
    s_.error_base = count;
    s_.error_window_start_ns = now_;
    std::string reason = name() + " had " + std::to_string(burst) + " errors (handler errors or rejected messages) within " +
                         millis(static_cast<int64_t>(options().error_window_ns)) + "; the bound is " +
                         std::to_string(options().error_limit);
    log_warn(reason);
    emit(RK_SUPERVISION_ERRORS, reason, 0, 0, static_cast<uint64_t>(burst));
    if (options().policy == RK_SUPERVISE_RESTART) begin_restart(reason);
  }

  void begin_restart(const std::string& cause) {
    const int64_t window = static_cast<int64_t>(options().restart_window_ns);
    while (!s_.restart_times.empty() && now_ - s_.restart_times.front() >= window) s_.restart_times.pop_front();
    if (s_.restart_times.size() >= options().max_restarts) {
      fault("restarted " + std::to_string(s_.restart_times.size()) + " times within " + millis(window) +
                ", so the circuit breaker opened; last cause: " + cause,
            false);
      return;
    }
    s_.restart_times.push_back(now_);
    s_.restarting = true;
    s_.restart_deadline_ns = now_ + static_cast<int64_t>(options().restart_timeout_ns);
    s_.restart_cause = cause;
    ask_to_park();
    continue_restart();
  }

  void ask_to_park() {
    rk_control_block* control = kernel_->views.control;
    if (loop_flag(kernel_) != RK_TERMINATED_RUNNING) return;
    if (rk_load_acquire_u32(word(control->should_terminate)) == RK_STOP_NONE)
      rk_store_release_u32(word(control->should_terminate), RK_STOP_PARK);
    ring_kernel_doorbell(control);
  }

  void continue_restart() {
    if (loop_flag(kernel_) == RK_TERMINATED_RELAUNCHABLE) {
      s_.restarting = false;
      if (rk_result r = relaunch_fresh(kernel_, options().restart_flags); r != RK_SUCCESS) {
        fault("its restart failed: " + std::string(rk_result_name(r)) + ": " + last_error_text(), false);
        return;
      }
      s_.restarts.fetch_add(1);
      rebase();
      std::string reason = name() + " restarted (" + s_.restart_cause + ")";
      log_warn(reason);
      emit(RK_SUPERVISION_RESTARTED, reason);
      return;
    }
    if (now_ < s_.restart_deadline_ns) return;
    s_.restarting = false;
    s_.restart_failures.fetch_add(1);
    std::string reason = name() + " could not be restarted: its loop did not reach a message boundary within " +
                         millis(static_cast<int64_t>(options().restart_timeout_ns)) +
                         " (a hung handler; the device thread cannot be taken back)";
    log_error(reason);
    emit(RK_SUPERVISION_RESTART_FAILED, reason);
    fault("a restart failed: its loop did not reach a message boundary within " +
              millis(static_cast<int64_t>(options().restart_timeout_ns)) + " (after: " + s_.restart_cause + ")",
          false);
  }

 public:
  // Faulted, whatever the policy. A loop still running is asked to park: it stops at its
  // next message boundary with every queue kept, for a restart or a terminate.
  void fault(const std::string& why, bool device) {
    if (!next_state(kernel_->state.load(), LifecycleAction::fault)) return;
    kernel_->state.store(RK_KERNEL_FAULTED);
    s_.device_faulted = device;
    s_.restarting = false;
    s_.clear_stall();
    {
      std::lock_guard lock(s_.reason_mutex);
      s_.fault_reason = why;
    }
    if (!device) ask_to_park();
    std::string reason = name() + " is Faulted: " + why;
    log_error(reason);
    emit(RK_SUPERVISION_FAULTED, reason);
  }

 private:
  rk_kernel_s* kernel_;
  KernelSupervision& s_;
  int64_t now_;
  std::vector<PendingEvent>& events_;
};

int64_t pace_for(const rk_supervision_options& o) {
  int64_t shortest = kSlowestPaceNs * 4;
  if (o.stall_ns != 0) shortest = std::min(shortest, static_cast<int64_t>(o.stall_ns));
  if (o.error_limit != 0) shortest = std::min(shortest, static_cast<int64_t>(o.error_window_ns));
  return std::clamp(shortest / 4, kFastestPaceNs, kSlowestPaceNs);
}

void run_callbacks(std::vector<PendingEvent>& events) {
  g_in_callback = true;
  for (PendingEvent& e : events) {
    if (e.fn == nullptr || e.kernel->supervision.generation.load() != e.generation) continue;
    e.event.reason = e.reason.c_str();
    e.fn(e.user_data, &e.event);
  }
  g_in_callback = false;
}

rk_result validate(const rk_supervision_options& o) {
  if (o.policy != RK_SUPERVISE_OFF && o.policy != RK_SUPERVISE_REPORT && o.policy != RK_SUPERVISE_RESTART)
    return fail(RK_ERROR_INVALID_ARGUMENT, "rk_supervision_options.policy " + std::to_string(o.policy) +
                                               " is not a policy (RK_SUPERVISE_OFF, _REPORT or _RESTART)");
  if ((o.restart_flags & ~RK_RESTART_RESET_STATE) != 0)
    return fail(RK_ERROR_INVALID_ARGUMENT, "rk_supervision_options.restart_flags has unknown bits");
  if (o.policy != RK_SUPERVISE_OFF && o.stall_ns == 0 && o.error_limit == 0)
    return fail(RK_ERROR_INVALID_ARGUMENT, "rk_supervision_options: set stall_ns, error_limit or both; with neither there is nothing to watch");
  constexpr uint64_t kMaxNs = uint64_t{1} << 62;  // far beyond any sane interval, and no overflow in the sums
  for (uint64_t ns : {o.stall_ns, o.error_window_ns, o.restart_timeout_ns, o.restart_window_ns})
    if (ns > kMaxNs) return fail(RK_ERROR_INVALID_ARGUMENT, "rk_supervision_options: an interval is larger than 2^62 ns");
  return RK_SUCCESS;
}

}  // namespace

rk_result relaunch_fresh(rk_kernel_s* kernel, uint32_t flags) {
  if (rk_result r = backend_stream_synchronize(kernel->runtime, kernel->stream); r != RK_SUCCESS) return r;
  if ((flags & RK_RESTART_RESET_STATE) != 0 && kernel->config.state_bytes != 0) {
    std::memset(kernel->ring_host + kernel->layout.state, 0, kernel->config.state_bytes);
    mark_copied_dirty(kernel, kernel->layout.state, kernel->config.state_bytes);  // the device's copy too
  }
  return resume_if_parked(kernel);
}

rk_result kernel_supervise(rk_kernel_s* kernel, const rk_supervision_options* options) {
  if (options == nullptr) return fail(RK_ERROR_INVALID_ARGUMENT, "supervision options are NULL");
  rk_supervision_options o{};
  if (rk_result r = read_struct(*options, o); r != RK_SUCCESS) return r;
  if (rk_result r = validate(o); r != RK_SUCCESS) return r;
  if (o.error_window_ns == 0) o.error_window_ns = kDefaultErrorWindowNs;
  if (o.restart_timeout_ns == 0) o.restart_timeout_ns = kDefaultRestartTimeoutNs;
  if (o.max_restarts == 0) o.max_restarts = kDefaultMaxRestarts;
  if (o.restart_window_ns == 0) o.restart_window_ns = kDefaultRestartWindowNs;
  rk_runtime_s* runtime = kernel->runtime;
  {
    std::lock_guard lock(kernel->lifecycle_mutex);
    rk_kernel_state state = kernel->state.load();
    if (state == RK_KERNEL_TERMINATING || state == RK_KERNEL_TERMINATED)
      return fail(RK_ERROR_INVALID_STATE, "kernel '" + kernel->config.name + "' is " + rk_kernel_state_name(state) +
                                              ": there is nothing left to supervise");
    KernelSupervision& s = kernel->supervision;
    bool was = s.watched.load();
    bool now = o.policy != RK_SUPERVISE_OFF;
    s.options = o;
    s.seen_processed = -1;
    s.error_window_start_ns = -1;
    s.clear_stall();
    if (!now) s.restarting = false;  // a park already asked for is resumed by the next terminate or restart
    s.watched.store(now);
    s.generation.fetch_add(1);
    if (now && !was) runtime->supervised_kernels.fetch_add(1);
    if (!now && was) runtime->supervised_kernels.fetch_sub(1);
    if (now) {
      int64_t pace = pace_for(o);
      int64_t current = runtime->supervision_pace_ns.load();
      while (pace < current && !runtime->supervision_pace_ns.compare_exchange_weak(current, pace)) {
      }
    }
  }
  // A callback of the old options that runs now ends before we return (see generation).
  if (!in_supervision_callback()) {
    std::lock_guard dispatch(runtime->supervision_dispatch);  // taken and let go: a wait, nothing more
  }
  if (o.policy != RK_SUPERVISE_OFF) bridge_for(runtime).wake();  // starts it, or wakes it to watch
  return RK_SUCCESS;
}

rk_result kernel_restart(rk_kernel_s* kernel, uint32_t flags, uint64_t timeout_ns) {
  if ((flags & ~RK_RESTART_RESET_STATE) != 0) return fail(RK_ERROR_INVALID_ARGUMENT, "rk_kernel_restart: unknown flags");
  std::lock_guard lock(kernel->lifecycle_mutex);
  KernelSupervision& s = kernel->supervision;
  rk_kernel_state from = kernel->state.load();
  auto to = next_state(from, LifecycleAction::restart);
  if (!to)
    return fail(RK_ERROR_INVALID_STATE, "kernel '" + kernel->config.name + "': " + transition_error(from, LifecycleAction::restart));
  if (s.device_faulted)
    return fail(RK_ERROR_DEVICE_FAULT, "kernel '" + kernel->config.name +
                                           "' faulted on the device and no loop runs it; it cannot be restarted: terminate it");
  rk_control_block* control = kernel->views.control;
  // A Faulted kernel keeps its park request: its loop is to stop whenever it can.
  bool asked = false;
  if (rk_result r = park_loop(kernel, deadline_after(timeout_ns),
                              "did not reach a message boundary in time (a handler may be hung); it was not restarted",
                              from != RK_KERNEL_FAULTED, asked);
      r != RK_SUCCESS)
    return r;
  const uint32_t was_active = rk_load_acquire_u32(word(control->is_active));
  rk_store_release_u32(word(control->is_active), *to == RK_KERNEL_ACTIVE ? 1u : 0u);
  if (rk_result r = relaunch_fresh(kernel, flags); r != RK_SUCCESS) {
    // The loop is off the device and could not come back: nothing runs it, so say so.
    std::string why = last_error_text();
    rk_store_release_u32(word(control->is_active), was_active);
    kernel->state.store(RK_KERNEL_FAULTED);
    {
      std::lock_guard reason(s.reason_mutex);
      s.fault_reason = "rk_kernel_restart could not launch its loop again: " + why;
    }
    return fail(r, "kernel '" + kernel->config.name + "' is Faulted: its loop could not be launched again: " + why);
  }
  kernel->state.store(*to);
  s.restarting = false;
  s.restart_times.clear();  // the breaker closes
  s.seen_processed = -1;
  s.error_window_start_ns = -1;
  s.clear_stall();
  {
    std::lock_guard reason(s.reason_mutex);
    s.fault_reason.clear();
  }
  s.restarts.fetch_add(1);
  return RK_SUCCESS;
}

size_t kernel_fault_reason(rk_kernel_s* kernel, char* buffer, size_t capacity) {
  std::string reason;
  if (kernel->state.load() == RK_KERNEL_FAULTED) {
    std::lock_guard lock(kernel->supervision.reason_mutex);
    reason = kernel->supervision.fault_reason;
  }
  if (buffer != nullptr && capacity != 0) {
    size_t n = std::min(reason.size(), capacity - 1);
    std::memcpy(buffer, reason.data(), n);
    buffer[n] = '\0';
  }
  return reason.size();
}

void supervise_soon(rk_runtime_s* runtime) {
  int64_t now = steady_ns();
  int64_t pace = runtime->supervision_pace_ns.load(std::memory_order_relaxed);
  if (now - runtime->supervision_checked_ns.load(std::memory_order_relaxed) < pace) return;
  runtime->supervision_checked_ns.store(now, std::memory_order_relaxed);
  std::vector<PendingEvent> events;
  int64_t next_pace = kSlowestPaceNs;
  auto directory = hold_directory();  // no kernel is freed meanwhile
  for (rk_kernel_s* kernel : runtime->kernels->all()) {
    if (!kernel->supervision.watched.load()) continue;
    std::unique_lock lock(kernel->lifecycle_mutex, std::try_to_lock);
    if (!lock.owns_lock()) continue;  // a lifecycle call is under way: next round
    if (!kernel->supervision.watched.load()) continue;
    next_pace = std::min(next_pace, pace_for(kernel->supervision.options));
    if (kernel->views.control != nullptr) Watch(kernel, now, events).round();
  }
  runtime->supervision_pace_ns.store(next_pace, std::memory_order_relaxed);
  if (events.empty()) return;
  // Callbacks run with no kernel's lock held. The dispatch lock is taken before the
  // directory is let go: a kernel's destroy waits for it (forget_supervision) before it
  // frees the kernel, so every kernel named in an event lives until its callback returns.
  std::lock_guard dispatch(runtime->supervision_dispatch);
  directory.unlock();
  run_callbacks(events);
}

std::chrono::nanoseconds supervision_pace(const rk_runtime_s* runtime) {
  return std::chrono::nanoseconds(runtime->supervision_pace_ns.load(std::memory_order_relaxed));
}

void stop_watching(rk_kernel_s* kernel) {
  KernelSupervision& s = kernel->supervision;
  s.restarting = false;
  s.stalled_now.store(0);
  if (s.watched.exchange(false)) kernel->runtime->supervised_kernels.fetch_sub(1);
}

void forget_supervision(rk_kernel_s* kernel) {
  std::lock_guard dispatch(kernel->runtime->supervision_dispatch);
}

bool in_supervision_callback() { return g_in_callback; }

}  // namespace rk::core
