// Ring kernel lifecycle: create (validate + compile), launch (ring block, routes, one
// persistent launch), activate/deactivate, terminate (drain, stop, free), destroy.
#include <atomic>
#include <cstring>
#include <thread>

#include "api/error.hpp"
#include "distributed/group.hpp"
#include "bridge/async_ops.hpp"
#include "bridge/remote_k2k.hpp"
#include "runtime/device_calls.hpp"
#include "runtime/elastic.hpp"
#include "runtime/host_dialect.hpp"
#include "runtime/kernel.hpp"
#include "runtime/kernel_messaging.hpp"
#include "runtime/kernel_ops.hpp"
#include "runtime/kernel_source.hpp"
#include "runtime/kernel_table.hpp"
#include "runtime/lifecycle.hpp"
#include "runtime/park.hpp"
#include "runtime/relaunch_mode.hpp"
#include "runtime/ring_block.hpp"
#include "runtime/snapshot.hpp"
#include "runtime/supervision.hpp"
#include "runtime/runtime.hpp"

namespace rk::core {

Clock::time_point deadline_after(uint64_t timeout_ns) {
  if (timeout_ns == RK_WAIT_FOREVER) return Clock::time_point::max();
  return Clock::now() + std::chrono::nanoseconds(static_cast<int64_t>(std::min<uint64_t>(timeout_ns, INT64_MAX / 2)));
}

// Same protocol as the dialect's rk_ring_doorbell (see rk_ring_context.h).
void ring_doorbell(uint32_t* doorbell, uint32_t* parked) {
  rk_fence_seq_cst();
  if (rk_load_relaxed_u32(parked) != 0u) {
    rk_fetch_add_u32(doorbell, 1u);
    rk_unpark_u32(doorbell);
  }
}

void ring_kernel_doorbell(rk_control_block* control) { ring_doorbell(&control->kernel_doorbell, &control->kernel_parked); }

namespace {

rk_result transition(rk_kernel_s* kernel, LifecycleAction action) {
  rk_kernel_state from = kernel->state.load();
  auto to = next_state(from, action);
  if (!to) return fail(RK_ERROR_INVALID_STATE, "kernel '" + kernel->config.name + "': " + transition_error(from, action));
  kernel->state.store(*to);
  return RK_SUCCESS;
}

rk_result compile_kernel(rk_runtime_s* runtime, rk_kernel_s* kernel) {
  std::string source = assemble_ring_source(kernel->config.source, kernel->config);
  rk_compile_request request{};
  request.struct_size = sizeof(request);
  request.kind = RK_SOURCE_DIALECT;
  request.source = source.data();
  request.source_size = source.size();
  request.options = kernel->config.compile_flags.empty() ? nullptr : kernel->config.compile_flags.c_str();
  request.name = kernel->config.name.c_str();
  if (rk_result r = backend_compile(runtime, request, &kernel->module); r != RK_SUCCESS) return r;
  return backend_function(runtime, kernel->module, kRingEntryPoint, &kernel->function);
}

// Closing only flips the state: senders that saw LIVE may still be reading the fields.
void close_route(rk_kernel_s* kernel) {
  // Moved: the id leads to where the kernel went (remote_k2k.hpp, reroute_locked). A twin
  // never opened its route: the id leads to the kernel it was made for.
  if (kernel->migrated.load() || kernel->migration_twin.load()) return;
  StepHold steps = hold_steps(kernel->runtime);  // a copied table is still while a step copies it
  rk_store_release_u32(&kernel->runtime->kernels->routes[kernel->id].state, RK_ROUTE_CLOSED);
}

}  // namespace

void publish_live_route(rk_kernel_s* kernel) {
  KernelTable& table = *kernel->runtime->kernels;
  rk_k2k_route& route = table.routes[kernel->id];
  route.inbox_ptr = kernel->ring_device + kernel->layout.inbox;
  route.control_ptr = kernel->ring_device + kernel->layout.control;
  route.kernel_id = kernel->id;
  route.max_payload = kernel->config.max_payload_size;
  route.name_hash = fnv1a32(kernel->config.name);
  rk_store_release_u32(&route.state, RK_ROUTE_LIVE);  // after the fields above: senders acquire it
}

namespace {

void release_device_resources(rk_kernel_s* kernel) {
  rk_runtime_s* runtime = kernel->runtime;
  if (kernel->stream) backend_stream_destroy(runtime, kernel->stream);
  if (kernel->module) backend_module_destroy(runtime, kernel->module);
  kernel->stream = nullptr;
  kernel->module = nullptr;
  kernel->function = nullptr;
  if (kernel->ring_block) runtime->kernels->retired.push_back(kernel->ring_block);
  kernel->ring_block = nullptr;
}

// Messages that reached the inbox after the loop drained it can no longer be handled:
// count them as dropped in this kernel's telemetry, never lose them silently.
void count_late_inbox_messages(rk_kernel_s* kernel) {
  rk_queue_header* inbox = kernel->views.inbox;
  const uint32_t capacity = kernel->config.inbox_capacity;  // ours, not the shared header's
  for (;;) {
    rk_reservation slot = rk_mpsc_peek_in(inbox, kernel->views.inbox_sequence, capacity);
    if (slot.count == 0) break;
    rk_mpsc_release_in(inbox, kernel->views.inbox_sequence, capacity, slot.index);
    kernel->host_dropped.fetch_add(1, std::memory_order_relaxed);
    log_warn("kernel '" + kernel->config.name + "': a K2K message arrived after termination and was dropped");
  }
}

rk_result finish_terminate_locked(rk_kernel_s* kernel, Clock::time_point deadline);
rk_result finish_without_loop(rk_kernel_s* kernel);

}  // namespace

rk_result kernel_create(rk_runtime_s* runtime, const rk_kernel_options* options, rk_kernel_s** out, bool migration_twin) {
  if (runtime == nullptr || out == nullptr) return fail(RK_ERROR_INVALID_ARGUMENT, "runtime and kernel must not be NULL");
  auto kernel = std::make_unique<rk_kernel_s>();
  kernel->runtime = runtime;
  if (rk_result r = make_kernel_config(options, runtime->device_info.max_block_size, runtime->trace->all(), kernel->config); r != RK_SUCCESS) return r;
  if (runtime->bridge_mode == RK_BRIDGE_RELAUNCH || runtime->bridge_mode == RK_BRIDGE_RELAUNCH_COPY)
    apply_relaunch_mode(kernel->config);  // every launch drains and leaves
  kernel->config.relaunch_copy = copy_mode(runtime);
  KernelTable& table = *runtime->kernels;
  if (kernel->config.name.find('/') != std::string::npos)
    return fail(RK_ERROR_INVALID_ARGUMENT, "kernel name '" + kernel->config.name + "' has a '/': peer names 'R/name' "
                                           "are kernels of rank R of the process group");
  if (kernel->config.name.starts_with('@'))
    return fail(RK_ERROR_INVALID_ARGUMENT, "kernel names starting with '@' are reserved (routes to other runtimes)");
  if (table.find(kernel->config.name) != nullptr)
    return fail(RK_ERROR_INVALID_ARGUMENT, "a kernel named '" + kernel->config.name + "' already exists in this runtime");
  kernel->id = table.id_for(kernel->config.name);
  if (kernel->id == 0)
    return fail(RK_ERROR_OUT_OF_MEMORY, "the runtime's K2K table is full (max_kernels " + std::to_string(table.max_kernels()) + ")");
  // Loading the module may need the device's running ring kernels parked (CUDA).
  if (rk_result r = with_ring_kernels_parked(runtime, [&] { return compile_kernel(runtime, kernel.get()); });
      r != RK_SUCCESS)
    return r;
  kernel->migration_twin.store(migration_twin);  // before the table shows it to lookups
  table.add(kernel.get());
  *out = kernel.release();
  return RK_SUCCESS;
}

namespace {

// lifecycle_mutex held.
rk_result launch_locked(rk_kernel_s* kernel) {
  rk_kernel_state from = kernel->state.load();
  if (!next_state(from, LifecycleAction::launch))
    return fail(RK_ERROR_INVALID_STATE, "kernel '" + kernel->config.name + "': " + transition_error(from, LifecycleAction::launch));
  rk_runtime_s* runtime = kernel->runtime;
  if (copy_mode(runtime) && !runtime->copy_steps->unusable.empty())
    return fail(RK_ERROR_UNSUPPORTED, "ring kernels cannot run on this device: " + runtime->copy_steps->unusable);
  if (copy_mode(runtime) && (runtime->device_info.caps & RK_CAP_K2K) == 0)
    return fail(RK_ERROR_UNSUPPORTED, std::string("backend '") + runtime_backend_name(runtime) + "' device '" +
                                          runtime->device_info.name +
                                          "' runs no ring loops (no RK_CAP_K2K: the atomics and clock the loop needs; "
                                          "rk-info says why)");
  std::vector<uint32_t> peer_ids;
  for (const std::string& peer : kernel->config.peers) {
    uint32_t id = 0;
    if (rk_result r = kernel_id_for_name(runtime, peer, id); r != RK_SUCCESS) return r;
    peer_ids.push_back(id);
  }
  if (rk_result r = allocate_ring_block(kernel, peer_ids); r != RK_SUCCESS) return r;
  if (!kernel->config.snapshot.empty())
    if (rk_result r = restore_snapshot(kernel); r != RK_SUCCESS) return r;
  if (rk_result r = backend_stream_create(runtime, &kernel->stream); r != RK_SUCCESS) return r;
  if (kernel->config.auto_activate) rk_store_release_u32(reinterpret_cast<uint32_t*>(&kernel->views.control->is_active), 1u);
  // A migration's twin: its route opens with the move (migrate.cpp, move_locked). Until then
  // its id leads where the kernel is, as before.
  if (!copy_mode(runtime) && !kernel->migration_twin.load()) {  // copy mode: the first step opens it
    publish_live_route(kernel);
    reopen_proxies_to(kernel);  // other runtimes that routed to an earlier kernel of this name
  }
  if (rk_result r = launch_ring_loop(kernel); r != RK_SUCCESS) {
    close_route(kernel);
    return r;
  }
  if (kernel->config.trace) {  // before any host send: those record into the host's rings
    kernel->trace_rings =
        runtime->trace->attach(kernel->id, kernel->config.name, kernel->views.trace, kernel->config.trace_capacity);
    if (runtime->trace->collecting()) bridge_for(runtime).wake();  // the bridge collects the rings
  }
  if (kernel->config.elastic()) {  // the bridge relaunches it when its loop has left and work waits
    runtime->elastic_kernels.fetch_add(1);
    bridge_for(runtime).wake();
  }
  kernel->state.store(kernel->config.auto_activate ? RK_KERNEL_ACTIVE : RK_KERNEL_LAUNCHED);
  return RK_SUCCESS;
}

}  // namespace

rk_result kernel_id_for_name(rk_runtime_s* runtime, const std::string& name, uint32_t& id, bool directory_held) {
  // A name no kernel here has may be a kernel of another runtime (bridge/remote_k2k.hpp);
  // else it is a kernel of ours that may launch later.
  id = 0;
  uint32_t rank = 0;
  std::string local_name;
  if (group::split_rank_name(name, rank, local_name)) {  // "R/name": a kernel of rank R
    if (rk_result r = group::resolve(runtime, rank, local_name, id, directory_held); r != RK_SUCCESS) return r;
    if (id != 0) return RK_SUCCESS;
    return kernel_id_for_name(runtime, local_name, id, directory_held);  // R is this process
  }
  if (runtime->kernels->find(name) == nullptr) {
    rk_result r = directory_held ? resolve_remote_peer_locked(runtime, name, id) : resolve_remote_peer(runtime, name, id);
    if (r != RK_SUCCESS) return r;
  }
  if (id == 0) id = runtime->kernels->id_for(name);
  if (id == 0) return fail(RK_ERROR_OUT_OF_MEMORY, "the runtime's K2K table is full; cannot name kernel '" + name + "'");
  return RK_SUCCESS;
}

bool loop_left_relaunchable(rk_kernel_s* kernel) {
  return rk_load_acquire_u32(reinterpret_cast<uint32_t*>(&kernel->views.control->has_terminated)) ==
         RK_TERMINATED_RELAUNCHABLE;
}

rk_result launch_ring_loop(rk_kernel_s* kernel) {
  if (kernel->copied) return launch_copied(kernel);  // one step: in, launch, wait, out
  uint64_t env_address = kernel->ring_device + kernel->layout.env;
  return backend_launch_ring(kernel->runtime, kernel->stream, kernel->function, kernel->config.block_size, env_address);
}

rk_result wait_loop_left(rk_kernel_s* kernel, Clock::time_point deadline, const char* timeout_words) {
  auto* has_terminated = reinterpret_cast<uint32_t*>(&kernel->views.control->has_terminated);
  for (uint32_t round = 0; rk_load_acquire_u32(has_terminated) == RK_TERMINATED_RUNNING;) {
    {
      std::lock_guard receive(kernel->receive_mutex);
      if (rk_result r = drain_output_locked(kernel); r != RK_SUCCESS) return r;
    }
    if (kernel->copied) settle_steps(kernel->runtime);  // its loop leaves in the mirror when its step is finished
    if (Clock::now() >= deadline) return fail(RK_ERROR_TIMEOUT, "kernel '" + kernel->config.name + "' " + timeout_words);
    if (++round < 64) std::this_thread::yield();
    else std::this_thread::sleep_for(std::chrono::microseconds(round < 1024 ? 20 : 200));
  }
  return RK_SUCCESS;
}

rk_result kernel_launch(rk_kernel_s* kernel) {
  // Peers of other processes are asked for first: that may wait on the network, and must
  // not with kernels parked.
  if (rk_result r = group::look_up_peers(kernel->config.peers); r != RK_SUCCESS) return r;
  // Pinned host memory and a stream for the new kernel, with the device's running ring
  // kernels parked where the backend needs it: allocation, like loading, may wait for them.
  // Parking locks this kernel's lifecycle along with theirs, in one order.
  if (!kernel->runtime->park_to_load) {
    std::lock_guard lock(kernel->lifecycle_mutex);
    return launch_locked(kernel);
  }
  return with_ring_kernels_parked(kernel->runtime, [&] { return launch_locked(kernel); }, kernel);
}

rk_result kernel_set_active(rk_kernel_s* kernel, bool activate, bool reactivate) {
  std::lock_guard lock(kernel->lifecycle_mutex);
  LifecycleAction action = !activate ? LifecycleAction::deactivate
                           : reactivate ? LifecycleAction::reactivate
                                        : LifecycleAction::activate;
  if (rk_result r = transition(kernel, action); r != RK_SUCCESS) return r;
  rk_store_release_u32(reinterpret_cast<uint32_t*>(&kernel->views.control->is_active), activate ? 1u : 0u);
  ring_kernel_doorbell(kernel->views.control);
  // An elastic loop that left while the kernel was inactive comes back for what waits.
  if (activate) return resume_if_parked(kernel);
  return RK_SUCCESS;
}

rk_result kernel_terminate(rk_kernel_s* kernel, uint64_t timeout_ns) {
  std::lock_guard lock(kernel->lifecycle_mutex);
  rk_kernel_state from = kernel->state.load();
  if (from != RK_KERNEL_TERMINATING) {
    if (rk_result r = transition(kernel, LifecycleAction::terminate); r != RK_SUCCESS) return r;
    kernel->closing.store(true);
    stop_watching(kernel);
  }
  if (kernel->supervision.device_faulted) return finish_without_loop(kernel);
  // A loop left parked by a park that was given up on drains like any other.
  if (rk_result r = resume_if_parked(kernel); r != RK_SUCCESS) return r;
  auto deadline = deadline_after(timeout_ns);
  // Sends already past their check publish first (or give up); then the loop may drain.
  if (!wait_out_sends(kernel, deadline))
    return fail(RK_ERROR_TIMEOUT, "kernel '" + kernel->config.name +
                                      "': a send or an open reservation is still in flight; it stays Terminating");
  auto* should_terminate = reinterpret_cast<uint32_t*>(&kernel->views.control->should_terminate);
  // A park asked for by the supervisor (a restart, a fault) becomes a drain: the loop that
  // parks anyway is launched again below with the drain kept.
  if (rk_load_acquire_u32(should_terminate) != RK_STOP_DRAIN) {
    rk_store_release_u32(should_terminate, RK_STOP_DRAIN);
    ring_kernel_doorbell(kernel->views.control);
  }
  const char* hung = "did not stop in time (a handler may be hung); it stays Terminating";
  if (rk_result r = wait_loop_left(kernel, deadline, hung); r != RK_SUCCESS) return r;
  // An elastic loop may have left by itself just before it saw the request: launched
  // again with the request kept, it drains and ends. A copied block's loop also leaves
  // mid-drain when its outbox waits for a peer that runs only in a step of its own.
  for (uint32_t round = 0; loop_left_relaunchable(kernel); ++round) {
    if (round != 0 && Clock::now() >= deadline) return fail(RK_ERROR_TIMEOUT, "kernel '" + kernel->config.name + "' " + hung);
    if (round != 0) backoff(round);  // the bridge's steps run the peers meanwhile
    if (kernel->copied) {  // its loop takes nothing while the output it fills is full
      std::lock_guard receive(kernel->receive_mutex);
      if (rk_result r = drain_output_locked(kernel); r != RK_SUCCESS) return r;
    }
    if (rk_result r = resume_if_parked(kernel, true); r != RK_SUCCESS) return r;
    if (rk_result r = wait_loop_left(kernel, deadline, hung); r != RK_SUCCESS) return r;
  }
  if (rk_result r = backend_stream_synchronize(kernel->runtime, kernel->stream); r != RK_SUCCESS) return r;
  return finish_terminate_locked(kernel, deadline);
}

namespace {

// The loop is gone: hand on what it sent, keep what it wrote, free the device's memory.
rk_result finish_terminate_locked(rk_kernel_s* kernel, Clock::time_point deadline) {
  if (kernel->config.trace) kernel->runtime->trace->stopped(kernel->id);  // its last records
  // What it sent to kernels of other runtimes reaches their inboxes before we return, so
  // terminating a pipeline upstream first loses nothing across runtimes either.
  // A kernel that moved away sent nothing there since: what is in the egress is others'.
  if (!kernel->migrated.load()) {
    if (rk_result r = wait_egress_handed_on(kernel->runtime, deadline); r != RK_SUCCESS) return r;
    // ... and what went to other processes was taken there (or counted lost).
    if (rk_result r = group::wait_acknowledged(deadline, false, kernel->runtime); r != RK_SUCCESS) return r;
  }
  {
    // With a copied block, under the steps: what the step under way sent it is counted, and
    // no later step copies its inbox out.
    StepHold steps = hold_steps(kernel->runtime);
    if (kernel->copied)
      if (rk_result r = finish_step(kernel->runtime); r != RK_SUCCESS) return r;
    close_route(kernel);
    count_late_inbox_messages(kernel);
    forget_copied_block(kernel);
  }
  {
    std::lock_guard receive(kernel->receive_mutex);
    if (rk_result r = drain_output_locked(kernel); r != RK_SUCCESS) return r;
  }
  release_device_resources(kernel);
  if (kernel->config.elastic()) kernel->runtime->elastic_kernels.fetch_sub(1);
  return transition(kernel, LifecycleAction::finish_termination);
}

// The device faulted under the kernel (runtime/supervision.hpp): no loop drains or leaves.
// What it wrote stays receivable; messages still queued for it are counted as dropped.
rk_result finish_without_loop(rk_kernel_s* kernel) {
  if (rk_result r = backend_stream_synchronize(kernel->runtime, kernel->stream); r != RK_SUCCESS)
    log_warn("kernel '" + kernel->config.name + "' faulted on the device: " + last_error_text());
  uint32_t lost = rk_queue_depth(kernel->views.input);
  kernel->host_dropped.fetch_add(lost, std::memory_order_relaxed);
  if (lost != 0)
    log_warn("kernel '" + kernel->config.name + "': " + std::to_string(lost) + " queued message(s) were never handled (device fault)");
  return finish_terminate_locked(kernel, deadline_after(1'000'000'000));
}

}  // namespace

rk_result kernel_destroy(rk_kernel_s* kernel) {
  if (rk_result r = check_may_destroy(kernel->runtime, kernel); r != RK_SUCCESS) return r;
  {
    std::lock_guard lock(kernel->lifecycle_mutex);
    stop_watching(kernel);  // a kernel supervised while Created never went through terminate
  }
  rk_kernel_state state = kernel->state.load();
  if (state != RK_KERNEL_CREATED && state != RK_KERNEL_TERMINATED) {
    // The bridge keeps serving meanwhile: replies written during the drain still complete.
    if (rk_result r = kernel_terminate(kernel, 5'000'000'000ull); r != RK_SUCCESS) {
      // A hung kernel keeps its memory: freeing it under a running handler would corrupt it.
      log_error("kernel '" + kernel->config.name + "' could not be terminated; its resources are leaked: " + last_error_text());
      detach_from_bridge(kernel);
      if (kernel->copied) {  // no peer writes into its inbox any more, and no step copies it
        StepHold steps = hold_steps(kernel->runtime);
        close_route(kernel);
        forget_copied_block(kernel);
      }
      auto parking = hold_parking();
      auto directory = hold_directory();
      kernel->runtime->kernels->remove(kernel);
      return r;
    }
  }
  detach_from_bridge(kernel);  // pending requests end with RK_ERROR_TERMINATED; no callback after this
  if (kernel->module) backend_module_destroy(kernel->runtime, kernel->module);
  auto parking = hold_parking();      // parking elsewhere must not find it half gone,
  auto directory = hold_directory();  // nor a bridge forwarding to it
  kernel->runtime->kernels->remove(kernel);
  directory.unlock();
  parking.unlock();
  forget_supervision(kernel);  // a supervision callback that names it has returned
  { std::lock_guard lock(kernel->lifecycle_mutex); }  // a migration that froze it has let go
  delete kernel;
  return RK_SUCCESS;
}

}  // namespace rk::core
