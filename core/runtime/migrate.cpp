#include "runtime/migrate.hpp"

#include <algorithm>
#include <chrono>
#include <utility>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "api/error.hpp"
#include "bridge/bridge.hpp"
#include "bridge/remote_k2k.hpp"
#include "runtime/device_calls.hpp"
#include "runtime/host_dialect.hpp"
#include "runtime/kernel.hpp"
#include "runtime/kernel_messaging.hpp"
#include "runtime/kernel_ops.hpp"
#include "runtime/park.hpp"
#include "runtime/runtime.hpp"
#include "runtime/snapshot.hpp"
#include "runtime/supervision.hpp"

namespace rk::core {
namespace {

// The C options that make a kernel like `c` (inactive: it is activated once it holds the
// old one's messages).
struct OptionsOf {
  explicit OptionsOf(const KernelConfig& c) {
    for (const std::string& peer : c.peers) peers.push_back(peer.c_str());
    options.flags = c.trace ? RK_KERNEL_TRACE : 0u;
    options.name = c.name.c_str();
    options.source = c.source.data();
    options.source_size = c.source.size();
    options.compile_flags = c.compile_flags.empty() ? nullptr : c.compile_flags.c_str();
    options.block_size = c.block_size;
    options.input_capacity = c.input_capacity;
    options.output_capacity = c.output_capacity;
    options.inbox_capacity = c.inbox_capacity;
    options.outbox_capacity = c.outbox_capacity;
    options.k2k_send_timeout_ns = c.k2k_send_timeout_ns;
    options.max_payload_size = c.max_payload_size;
    options.state_bytes = c.state_bytes;
    options.accepted_type_count = static_cast<uint32_t>(c.accepted_types.size());
    options.accepted_types = c.accepted_types.empty() ? nullptr : c.accepted_types.data();
    options.peer_count = static_cast<uint32_t>(peers.size());
    options.peers = peers.empty() ? nullptr : peers.data();
    options.trace_capacity = c.trace ? c.trace_capacity : 0u;
    options.idle_exit_ns = c.idle_exit_ns;
    options.max_run_ns = c.max_run_ns;
  }
  std::vector<const char*> peers;
  rk_kernel_options options = RK_KERNEL_OPTIONS_INIT;
};

// Every launched kernel of a set parked at a message boundary, their lifecycles locked
// (in address order, the one order for sets of lifecycle locks).
class Freeze {
 public:
  explicit Freeze(std::vector<rk_kernel_s*> kernels) : kernels_(std::move(kernels)) {
    std::sort(kernels_.begin(), kernels_.end(), std::less<rk_kernel_s*>());
    for (rk_kernel_s* kernel : kernels_) locks_.emplace_back(kernel->lifecycle_mutex);
  }

  rk_result park(Clock::time_point deadline) {
    for (rk_kernel_s* kernel : kernels_) {
      if (kernel->stream == nullptr) continue;  // terminated meanwhile
      rk_control_block* control = kernel->views.control;
      if (rk_load_acquire_u32(word(control->has_terminated)) != RK_TERMINATED_RUNNING) continue;  // off the device
      uint32_t stop = rk_load_acquire_u32(word(control->should_terminate));
      if (stop == RK_STOP_DRAIN)
        return fail(RK_ERROR_INVALID_STATE, "kernel '" + kernel->config.name +
                                                "' of the runtime is still terminating; a migration needs every kernel "
                                                "there at a message boundary");
      if (stop == RK_STOP_NONE) {
        rk_store_release_u32(word(control->should_terminate), RK_STOP_PARK);
        asked_.push_back(kernel);
      } else {
        others_.push_back(kernel);  // parking for a supervisor's restart: waited for, left to it after
      }
      ring_kernel_doorbell(control);
    }
    // All at once, moving every one's output off the device each round: in a chain, the
    // first may wait for room the last makes only once the host takes its output. And a
    // handler may wait for room in the inbox of a kernel that parked already: while any
    // kernel stays running, the parked ones with K2K messages waiting run again (every
    // 2 ms), and are asked to park once more only when nothing else runs. Nothing new comes
    // in from the host meanwhile that they must handle (input queues wait for the ones that
    // parked), so the chain drains and this ends.
    std::vector<rk_kernel_s*> released;
    auto last_release = Clock::now();
    for (uint32_t round = 0;; ++round) {
      const auto now = Clock::now();
      rk_kernel_s* running = nullptr;  // a kernel still to park that is not one we let run
      for (rk_kernel_s* kernel : others_)
        if (rk_load_acquire_u32(word(kernel->views.control->has_terminated)) == RK_TERMINATED_RUNNING) running = kernel;
      for (rk_kernel_s* kernel : asked_) {
        if (rk_load_acquire_u32(word(kernel->views.control->has_terminated)) != RK_TERMINATED_RUNNING) continue;
        if (std::find(released.begin(), released.end(), kernel) == released.end()) running = kernel;
        std::unique_lock receive(kernel->receive_mutex, std::try_to_lock);  // busy: a receiver moves it
        if (receive.owns_lock())
          if (rk_result r = drain_output_locked(kernel); r != RK_SUCCESS) return r;
      }
      if (running == nullptr) {
        if (released.empty()) break;
        for (rk_kernel_s* kernel : released) {  // everything else has parked: now these
          rk_store_release_u32(word(kernel->views.control->should_terminate), RK_STOP_PARK);
          ring_kernel_doorbell(kernel->views.control);
        }
        released.clear();
        continue;
      }
      if (now >= deadline)
        return fail(RK_ERROR_TIMEOUT, "kernel '" + running->config.name +
                                          "' did not reach a message boundary in time (a handler may be hung); nothing moved");
      if (now - last_release >= std::chrono::milliseconds(2)) {
        if (rk_result r = release_blockers(released); r != RK_SUCCESS) return r;
        last_release = now;
      }
      backoff(round);
    }
    for (rk_kernel_s* kernel : asked_)
      if (rk_result r = backend_stream_synchronize(kernel->runtime, kernel->stream); r != RK_SUCCESS) return r;
    return RK_SUCCESS;
  }

  // Parked kernels with K2K messages waiting run again until everything else has parked (see park).
  // Every frozen kernel counts, those that were off the device before too (an elastic exit):
  // nothing else may launch them while we hold their locks.
  rk_result release_blockers(std::vector<rk_kernel_s*>& released) {
    for (rk_kernel_s* kernel : kernels_) {
      if (kernel->stream == nullptr || kernel->state.load() == RK_KERNEL_FAULTED) continue;
      if (rk_load_acquire_u32(word(kernel->views.control->has_terminated)) != RK_TERMINATED_RELAUNCHABLE) continue;
      if (rk_queue_depth(kernel->views.inbox) == 0 || kernel->supervision.restarting) continue;
      if (rk_result r = resume_if_parked(kernel); r != RK_SUCCESS) return r;
      if (std::find(asked_.begin(), asked_.end(), kernel) == asked_.end()) asked_.push_back(kernel);
      if (std::find(released.begin(), released.end(), kernel) == released.end()) released.push_back(kernel);
    }
    return RK_SUCCESS;
  }

  // Runs again every loop this parked, `except` (left parked for its terminate).
  void thaw(const rk_kernel_s* except) {
    for (rk_kernel_s* kernel : asked_) {
      if (kernel == except) continue;
      rk_control_block* control = kernel->views.control;
      if (rk_load_acquire_u32(word(control->has_terminated)) == RK_TERMINATED_RUNNING) {
        rk_store_release_u32(word(control->should_terminate), RK_STOP_NONE);  // never parked: take it back
        continue;
      }
      if (resume_if_parked(kernel) != RK_SUCCESS) log_error("after a migration: " + last_error_text());
    }
    asked_.clear();
  }

 private:
  std::vector<rk_kernel_s*> kernels_;
  std::vector<std::unique_lock<std::mutex>> locks_;
  std::vector<rk_kernel_s*> asked_;
  std::vector<rk_kernel_s*> others_;
};

rk_result movable(rk_kernel_s* kernel) {
  rk_kernel_state state = kernel->state.load();
  if (state == RK_KERNEL_LAUNCHED || state == RK_KERNEL_ACTIVE || state == RK_KERNEL_DEACTIVATED) return RK_SUCCESS;
  return fail(RK_ERROR_INVALID_STATE, "kernel '" + kernel->config.name + "' is " + rk_kernel_state_name(state) +
                                          ": only a Launched, Active or Deactivated kernel moves");
}

// The old kernel takes no more host sends: those in flight finish first (terminate's handshake).
rk_result close_to_host(rk_kernel_s* kernel, Clock::time_point deadline) {
  kernel->migrated.store(true);
  kernel->closing.store(true);
  if (!wait_out_sends(kernel, deadline)) {
    kernel->closing.store(false);
    kernel->migrated.store(false);
    return fail(RK_ERROR_TIMEOUT, "kernel '" + kernel->config.name + "': a send or an open reservation is still in flight; nothing moved");
  }
  return RK_SUCCESS;
}

// The twin, launched and still unknown to anyone, parks before the source runtime stops:
// its queues and state are then ours to fill, and the source's pause does not include the
// twin's backend reaching a boundary (PoCL takes a while).
rk_result park_twin(rk_kernel_s* fresh, Clock::time_point deadline) {
  std::lock_guard lock(fresh->lifecycle_mutex);
  bool asked = false;
  return park_loop(fresh, deadline, "(the twin being made for a migration) did not park in time", false, asked);
}

// Whether the old kernel's sends still waiting in its runtime's egress queue for kernels of
// the runtime it moves to fit in the twin's outbox ahead of the `queued` sends the snapshot
// carries: in number, and each in an outbox slot (a send through a proxy fits the egress
// queue's larger slots). RK_ERROR_QUEUE_FULL, nothing taken, when they do not.
rk_result check_sends_fit_ahead(rk_kernel_s* old, rk_kernel_s* fresh, const std::vector<const rk_msg_header*>& sends,
                                size_t queued) {
  const KernelConfig& c = fresh->config;
  for (const rk_msg_header* send : sends)
    if (send->payload_size > c.max_payload_size)
      return fail(RK_ERROR_QUEUE_FULL, "kernel '" + old->config.name + "' has a send of " +
                                           std::to_string(send->payload_size) +
                                           " payload bytes waiting in its runtime's egress queue for a kernel of the "
                                           "runtime it moves to, larger than its own max_payload_size (" +
                                           std::to_string(c.max_payload_size) +
                                           "): it cannot go ahead in its outbox there, and left behind, what it sends that "
                                           "kernel next could overtake it. Nothing moved: migrate again once it is delivered");
  if (queued + sends.size() <= c.outbox_capacity) return RK_SUCCESS;
  return fail(RK_ERROR_QUEUE_FULL, "kernel '" + old->config.name + "' has " + std::to_string(sends.size()) +
                                       " send(s) waiting in its runtime's egress queue for kernels of the runtime it moves "
                                       "to, and its outbox there (" + std::to_string(c.outbox_capacity) + " slots, " +
                                       std::to_string(queued) +
                                       " taken by its own waiting sends) cannot carry them ahead: left behind, what it "
                                       "sends those kernels next could overtake them. Nothing moved: migrate again once "
                                       "they are delivered, or give it a larger outbox_capacity");
}

// Step 3, everything parked and the directory held.
rk_result move_locked(rk_kernel_s* old, rk_kernel_s* fresh) {
  EgressCarry carry;  // its sends still waiting in the old runtime's egress queue go along
  if (rk_result r = carry.prepare_locked(old, fresh); r != RK_SUCCESS) return r;
  Snapshot copy;
  rk_result r = capture_snapshot(old, false, copy, true);
  // Sends for kernels of the target runtime go ahead of the outbox (the twin reaches those
  // kernels directly). Where they do not fit, handing them on from the old queue would let
  // what the twin sends those kernels next overtake them: the move is refused instead.
  if (r == RK_SUCCESS) r = check_sends_fit_ahead(old, fresh, carry.local_sends(), copy.outbox.size());
  if (r == RK_SUCCESS) r = carry_sends_ahead(old, carry.local_sends(), copy);
  if (r == RK_SUCCESS) r = restore_into(fresh, copy, true);
  if (r != RK_SUCCESS) {
    carry.cancel_locked();
    return r;
  }
  // Everything that can fail has run: the take cannot fail, and takes the same messages,
  // since every sender is parked and nothing forwards. (A kernel launched into the source
  // runtime during these milliseconds is not parked: a K2K message it sends to the old
  // kernel right now is counted as dropped there, not lost silently.)
  Snapshot taken;
  if (rk_result taking = capture_snapshot(old, true, taken, true); taking != RK_SUCCESS) {
    carry.cancel_locked();
    return taking;
  }
  if (taken.inbox.size() > copy.inbox.size()) {
    const uint64_t late = taken.inbox.size() - copy.inbox.size();
    old->host_dropped.fetch_add(late, std::memory_order_relaxed);
    log_error("kernel '" + old->config.name + "': " + std::to_string(late) +
              " K2K message(s) from a kernel launched during its migration came too late to move; dropped (counted)");
  }
  rk_result rerouted = reroute_locked(old->runtime, old->id, fresh->runtime, fresh->id, fresh->config.max_payload_size);
  if (rerouted != RK_SUCCESS) {
    carry.cancel_locked();
    return rerouted;
  }
  carry.commit_locked();  // ahead of anything the twin sends: it is parked
  // Its own runtime's route opens only now: until the move, kernels there that sent to it by
  // id reached the kernel where it was (through the proxy an earlier move left), not an
  // inbox the move then fills in behind what they wrote. And it opens straight into the
  // inbox only where nothing there still reaches the kernel through the egress queue.
  if (!route_home_through_egress_locked(fresh)) publish_live_route(fresh);
  reopen_proxies_to_locked(fresh);  // closed on an earlier kernel of this name here, as a launch does
  fresh->migration_twin.store(false);  // the directory held: found by name from now on
  return RK_SUCCESS;
}

}  // namespace

rk_result kernel_migrate(rk_kernel_s* old, rk_runtime_s* target, uint64_t timeout_ns, rk_kernel_s** moved) {
  if (target == nullptr || moved == nullptr) return fail(RK_ERROR_INVALID_ARGUMENT, "rk_kernel_migrate: target and moved must not be NULL");
  rk_runtime_s* source = old->runtime;
  if (in_supervision_callback() || Bridge::on_bridge_thread(source) || Bridge::on_bridge_thread(target))
    return fail(RK_ERROR_INVALID_STATE, "rk_kernel_migrate from a bridge or supervision callback: it waits for kernels "
                                        "the bridge may have to serve; call it from another thread");
  if (copy_mode(source) || copy_mode(target))
    return fail(RK_ERROR_UNSUPPORTED, "rk_kernel_migrate: a runtime in the relaunch-copy bridge mode has no K2K "
                                      "routes to other runtimes, which migration reroutes; snapshot the kernel and "
                                      "create it from the snapshot there instead");
  if (target == source) return fail(RK_ERROR_INVALID_ARGUMENT, "kernel '" + old->config.name + "' is in that runtime already");
  if (rk_result r = movable(old); r != RK_SUCCESS) return r;
  if (target->kernels->find(old->config.name) != nullptr)
    return fail(RK_ERROR_INVALID_ARGUMENT, "the target runtime has a kernel named '" + old->config.name + "' already");
  const auto deadline = deadline_after(timeout_ns);

  // 1. Its twin, compiled and launched in the target, inactive and empty.
  OptionsOf options(old->config);
  rk_kernel_s* fresh = nullptr;
  if (rk_result r = kernel_create(target, &options.options, &fresh, /*migration_twin=*/true); r != RK_SUCCESS) return r;
  auto give_up = [&](rk_result r, const std::string& why) {
    kernel_destroy(fresh);
    return fail(r, why);
  };
  if (rk_result r = kernel_launch(fresh); r != RK_SUCCESS) return give_up(r, last_error_text());
  if (rk_result r = park_twin(fresh, deadline); r != RK_SUCCESS) return give_up(r, last_error_text());
  if (rk_result r = prepare_egress(source, target); r != RK_SUCCESS) return give_up(r, last_error_text());
  if (rk_result r = route_twin_to_original(fresh, old); r != RK_SUCCESS) return give_up(r, last_error_text());

  rk_kernel_state was = RK_KERNEL_STATE_UNDEFINED;
  rk_result moved_result = RK_SUCCESS;
  std::string why;
  {
    // 2. Every kernel of the source runtime parked, and the twin. The list is taken and
    // locked with parking held, so no kernel of it is freed meanwhile (destroy removes
    // kernels under it, and waits for their lifecycle lock before it frees one).
    const auto frozen_at = Clock::now();
    std::unique_ptr<Freeze> frozen;
    {
      auto parking = hold_parking();
      std::vector<rk_kernel_s*> kernels{fresh};
      for (rk_kernel_s* kernel : source->kernels->all()) kernels.push_back(kernel);
      frozen = std::make_unique<Freeze>(std::move(kernels));
    }
    Freeze& freeze = *frozen;
    rk_result r = movable(old);  // it may have moved on while we compiled
    was = old->state.load();
    if (r == RK_SUCCESS) r = freeze.park(deadline);
    if (r == RK_SUCCESS) r = close_to_host(old, deadline);
    if (r == RK_SUCCESS) {
      // 3. The move, with no forwarding between runtimes meanwhile.
      auto directory = hold_directory();
      r = move_locked(old, fresh);
    }
    if (r == RK_SUCCESS) {
      // 4. The twin takes the old one's activity; everyone else goes on.
      if (was != RK_KERNEL_LAUNCHED) {
        rk_store_release_u32(word(fresh->views.control->is_active), was == RK_KERNEL_ACTIVE ? 1u : 0u);
        fresh->state.store(was);
      }
      if (resume_if_parked(fresh) != RK_SUCCESS) log_error("after a migration: " + last_error_text());
      freeze.thaw(old);
      log_info("kernel '" + old->config.name + "' moved to another runtime; the kernels of its old one paused " +
               std::to_string(std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - frozen_at).count()) + " us");
    } else {
      why = last_error_text();
      old->closing.store(false);
      old->migrated.store(false);
      freeze.thaw(nullptr);
      moved_result = r;
    }
  }  // the lifecycle locks go here: the twin can be destroyed, the old one terminated
  if (moved_result != RK_SUCCESS) return give_up(moved_result, why);
  if (old->supervision.watched.load()) {  // the watch goes along
    rk_supervision_options watch{};
    {
      std::lock_guard lock(old->lifecycle_mutex);
      watch = old->supervision.options;
    }
    if (kernel_supervise(fresh, &watch) != RK_SUCCESS) log_warn("after the migration: " + last_error_text());
  }
  // The old kernel holds nothing now; terminating it only stops its loop. Its route stays
  // the proxy to the twin.
  if (kernel_terminate(old, 10'000'000'000ull) != RK_SUCCESS)
    log_warn("kernel '" + old->config.name + "' moved, but its old loop did not stop: " + last_error_text());
  *moved = fresh;
  return RK_SUCCESS;
}

}  // namespace rk::core
