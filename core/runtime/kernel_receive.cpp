// The host's reading side of a ring kernel: receive from the output queue, request/reply
// (send, then wait for the reply's correlation id while other output stays receivable),
// and the status and telemetry snapshots. Everything read from device-written memory is
// bounds-checked before use: a corrupt index or size is a device fault, never UB here.
// Sending is in kernel_messaging.cpp.
#include <cstddef>
#include <cstring>
#include <thread>

#include "api/error.hpp"
#include "api/struct_growth.hpp"
#include "runtime/elastic.hpp"
#include "runtime/host_dialect.hpp"
#include "bridge/bridge.hpp"
#include "runtime/kernel.hpp"
#include "runtime/supervision.hpp"
#include "runtime/kernel_messaging.hpp"
#include "runtime/kernel_ops.hpp"
#include "runtime/kernel_table.hpp"
#include "runtime/runtime.hpp"

namespace rk::core {
namespace {

// The next output message, validated, or nullptr when the queue is empty.
rk_result peek_output(rk_kernel_s* kernel, rk_msg_header*& message, uint64_t& index) {
  // By the slot's publish_seq: the device's tail is never read, so it cannot misdirect us,
  // and the geometry is the host's own (a scribbled header cannot either).
  const uint32_t capacity = kernel->config.output_capacity, slot_size = kernel->config.slot_size;
  rk_reservation slot = rk_spsc_peek_msg_in(kernel->views.output, capacity, kernel->views.output_slots, slot_size, 1u);
  message = nullptr;
  if (slot.count == 0) return RK_SUCCESS;
  auto* header = reinterpret_cast<rk_msg_header*>(kernel->views.output_slots + (slot.index & (capacity - 1u)) * size_t{slot_size});
  if (header->payload_size > slot_size - RK_MSG_HEADER_SIZE)
    return fail(RK_ERROR_DEVICE_FAULT, "kernel '" + kernel->config.name + "' wrote an output message claiming " +
                                           std::to_string(header->payload_size) + " payload bytes in a " +
                                           std::to_string(slot_size) + "-byte slot");
  message = header;
  index = slot.index;
  return RK_SUCCESS;
}

void warn_skew(rk_kernel_s* kernel) {
  log_warn("kernel '" + kernel->config.name + "' sent a timestamp beyond the allowed clock skew");
}

// Every message the host takes off a kernel's output queue passes here (receive_mutex held).
void merge_clock(rk_kernel_s* kernel, const rk_msg_header& header) {
  if (kernel->config.trace) kernel->trace_rings.received->put(host_received_record(header));
  KernelTable& table = *kernel->runtime->kernels;
  if (table.clock().merge(header.timestamp, table.max_clock_skew_ns()) != RK_SUCCESS) warn_skew(kernel);
}

// merge_clock for a drain's batch: one merge, of the latest timestamp the batch holds, when
// the drain ends. Merging each in turn would leave the clock past every one of them too, and
// a merge takes the clock's lock, which the submitting thread takes on every send (on
// cpu_sim the drain runs on the kernel's thread, another core). A timestamp too far ahead
// is refused per message, as merge_clock would, against one clock reading for the batch.
class DrainClockMerge {
 public:
  explicit DrainClockMerge(rk_kernel_s* kernel) : kernel_(kernel) {}
  DrainClockMerge(const DrainClockMerge&) = delete;
  DrainClockMerge& operator=(const DrainClockMerge&) = delete;
  ~DrainClockMerge() {
    if (!any_) return;
    KernelTable& table = *kernel_->runtime->kernels;
    if (table.clock().merge(latest_, table.max_clock_skew_ns()) != RK_SUCCESS) warn_skew(kernel_);
  }
  void add(const rk_msg_header& header) {
    if (kernel_->config.trace) kernel_->trace_rings.received->put(host_received_record(header));
    if (now_ns_ == 0) now_ns_ = rk_clock_ns();
    if (rk_hlc_too_far_ahead(header.timestamp.physical_ns, now_ns_, kernel_->runtime->kernels->max_clock_skew_ns())) {
      warn_skew(kernel_);
      return;
    }
    if (!any_ || rk_hlc_compare(header.timestamp, latest_) > 0) latest_ = header.timestamp;
    any_ = true;
  }

 private:
  rk_kernel_s* kernel_;
  rk_hlc latest_{};
  int64_t now_ns_ = 0;
  bool any_ = false;
};

void release_output(rk_kernel_s* kernel, uint64_t index) { rk_spsc_release(kernel->views.output, index + 1u); }

rk_result copy_out(const rk_msg_header& header, const uint8_t* payload, rk_msg_header* out_header, void* out,
                   uint32_t capacity, uint32_t* size) {
  if (header.payload_size > capacity)
    return fail(RK_ERROR_MESSAGE_TOO_LARGE, "next message has " + std::to_string(header.payload_size) +
                                                " payload bytes but the buffer holds " + std::to_string(capacity));
  if (out_header) *out_header = header;
  if (header.payload_size) std::memcpy(out, payload, header.payload_size);
  if (size) *size = header.payload_size;
  return RK_SUCCESS;
}

// Parks on the host doorbell (cpu_sim wakes it; GPU kernels cannot, so the slice is short).
void park_for_output(rk_kernel_s* kernel, uint32_t seen, Clock::time_point deadline) {
  rk_control_block* control = kernel->views.control;
  auto slice = std::chrono::microseconds(kernel->runtime->kernel_wakes_host ? 2000 : 50);
  auto remaining = deadline - Clock::now();
  if (remaining <= Clock::duration::zero()) return;
  auto wait = std::min<Clock::duration>(remaining, slice);
  rk_store_release_u32(&control->host_parked, 1u);
  rk_fence_seq_cst();
  if (rk_queue_depth(kernel->views.output) == 0)
    rk_park_u32(&control->host_doorbell, seen, std::chrono::duration_cast<std::chrono::nanoseconds>(wait).count());
  rk_store_release_u32(&control->host_parked, 0u);
}

// Waits until output may be there, the kernel has terminated, or the deadline passes.
// Where the bridge serves the kernel it is the one that reads the queue, so a waiter polls
// `held` with backoff instead of parking on the doorbell.
rk_result wait_for_output(rk_kernel_s* kernel, Clock::time_point deadline, uint32_t& round, bool attached) {
  if (kernel->state.load() == RK_KERNEL_TERMINATED)
    return fail(RK_ERROR_TERMINATED, "kernel '" + kernel->config.name + "' is terminated and has no output left");
  // While it spins the clock is read every 16th round: a reading (~30 ns under kvm-clock)
  // costs as much as a look at the queue, and a reply comes a few hundred ns after the send.
  if ((round >= 256 || round % 16 == 0) && Clock::now() >= deadline) return RK_ERROR_TIMEOUT;
  // A copied block's output reaches the mirror when its step is finished: the waiter does
  // that itself as soon as the launch has ended (runtime/copy_mode.hpp).
  if (kernel->copied && !settle_steps(kernel->runtime)) {
    backoff(round++);
    return RK_SUCCESS;
  }
  if (attached) {
    backoff(round++);
    return RK_SUCCESS;
  }
  uint32_t seen = rk_load_acquire_u32(&kernel->views.control->host_doorbell);
  if (++round < 256) {
    if (round > 64) std::this_thread::yield();
    return RK_SUCCESS;
  }
  park_for_output(kernel, seen, deadline);
  return RK_SUCCESS;
}

rk_result timeout_or_empty(rk_kernel_s* kernel, uint64_t timeout_ns) {
  if (timeout_ns == 0) return fail(RK_ERROR_QUEUE_EMPTY, "kernel '" + kernel->config.name + "' has no output waiting");
  return fail(RK_ERROR_TIMEOUT, "no output from kernel '" + kernel->config.name + "' before the timeout");
}

bool is_late_reply(rk_kernel_s* kernel, const rk_msg_header& header) {
  if (!kernel->async.abandoned.take(header.correlation_id)) return false;
  // relaxed: a statistic, read on its own by status
  kernel->async.late_replies.fetch_add(1, std::memory_order_relaxed);
  return true;
}

// The next output message that is not a late reply; late ones are released here (and
// counted by is_late_reply).
rk_result peek_live_output(rk_kernel_s* kernel, rk_msg_header*& message, uint64_t& index) {
  for (;;) {
    if (rk_result r = peek_output(kernel, message, index); r != RK_SUCCESS || message == nullptr) return r;
    if (!is_late_reply(kernel, *message)) return RK_SUCCESS;
    release_output(kernel, index);
  }
}

// The next readable output message straight off the queue (no async consumers, nothing
// held, no blocking request waiting): the path a sync-only program takes.
rk_result receive_direct_locked(rk_kernel_s* kernel, rk_msg_header* header, void* payload, uint32_t capacity,
                                uint32_t* size, bool& got) {
  rk_msg_header* message = nullptr;
  uint64_t index = 0;
  if (rk_result r = peek_live_output(kernel, message, index); r != RK_SUCCESS) return r;
  if (message == nullptr) return RK_SUCCESS;
  rk_result r = copy_out(*message, reinterpret_cast<const uint8_t*>(message + 1), header, payload, capacity, size);
  if (r != RK_SUCCESS) return r;
  merge_clock(kernel, *message);
  release_output(kernel, index);
  got = true;
  return RK_SUCCESS;
}

// A blocking request or receive reads the output queue itself, also on a kernel the bridge
// serves (attached): waiting for the bridge's pass to move its reply into `held` made every
// blocking request on such a kernel take 7-14 us instead of 0.9 (docs/benchmarks.md,
// "Blocking requests beside async ones"). There `held` stays bounded by output_capacity, as
// in the bridge's pass, so output nobody takes still backs up on the device.
rk_result drain_for_waiter_locked(rk_kernel_s* kernel) {
  if (kernel->state.load() == RK_KERNEL_TERMINATED) return RK_SUCCESS;  // terminate drained it
  return kernel->async.attached ? drain_output_locked(kernel, kernel->config.output_capacity)
                                : drain_output_locked(kernel);
}

// After a waiter drained an attached kernel: output in `held` that async consumers claim
// (a pending request's reply, or anything for the output handler) is the bridge's to
// deliver. Flag it, and wake a bridge thread parked on the host doorbell, whose wake-up
// this drain may have consumed. Only what this drain added (from `first_new` on) is looked
// at: older messages were looked at when they came, and a waiter polls this every round
// while `held` may hold up to output_capacity messages nobody reads.
void leave_claimed_to_bridge_locked(rk_kernel_s* kernel, size_t first_new) {
  KernelAsync& async = kernel->async;
  if (!async.attached || async.left_for_bridge.load(std::memory_order_relaxed)) return;
  bool for_bridge = false;
  for (auto it = kernel->held.begin() + static_cast<std::ptrdiff_t>(first_new); it != kernel->held.end() && !for_bridge;
       ++it) {
    const uint64_t id = it->header.correlation_id;  // as the bridge's take_claimed decides
    for_bridge = async.pending.contains(id) || (async.handler != nullptr && !async.claimed(id));
  }
  if (!for_bridge) return;
  async.left_for_bridge.store(true, std::memory_order_release);
  // The flag before the look at host_parked (the parker raises it, fences, then looks).
  ring_doorbell(&kernel->views.control->host_doorbell, &kernel->views.control->host_parked);
}

// The first held message nobody waits for; the queue is drained into `held` first.
rk_result receive_held_locked(rk_kernel_s* kernel, rk_msg_header* header, void* payload, uint32_t capacity,
                              uint32_t* size, bool& got) {
  const size_t held_before = kernel->held.size();
  if (rk_result r = drain_for_waiter_locked(kernel); r != RK_SUCCESS) return r;
  leave_claimed_to_bridge_locked(kernel, held_before);
  for (auto it = kernel->held.begin(); it != kernel->held.end(); ++it) {
    if (kernel->async.claimed(it->header.correlation_id)) continue;
    rk_result r = copy_out(it->header, it->payload.data(), header, payload, capacity, size);
    if (r == RK_SUCCESS) {
      kernel->held.erase(it);
      got = true;
    }
    return r;
  }
  return RK_SUCCESS;
}

rk_result receive_once_locked(rk_kernel_s* kernel, rk_msg_header* header, void* payload, uint32_t capacity,
                              uint32_t* size, bool& got) {
  const KernelAsync& async = kernel->async;
  if (async.attached || !kernel->held.empty() || !async.sync_waiters.empty())
    return receive_held_locked(kernel, header, payload, capacity, size, got);
  if (kernel->state.load() == RK_KERNEL_TERMINATED) return RK_SUCCESS;
  return receive_direct_locked(kernel, header, payload, capacity, size, got);
}

// Counts a receive as in progress (receive_mutex held through `lock`), so an output
// handler cannot be set under it; the count drops under the lock again at the end.
class BlockingReceiver {
 public:
  explicit BlockingReceiver(std::unique_lock<std::mutex>& lock, rk_kernel_s* kernel) : lock_(lock), kernel_(kernel) {
    ++kernel_->async.blocking_receivers;
  }
  ~BlockingReceiver() {
    if (!lock_.owns_lock()) lock_.lock();
    --kernel_->async.blocking_receivers;
  }
  BlockingReceiver(const BlockingReceiver&) = delete;
  BlockingReceiver& operator=(const BlockingReceiver&) = delete;

 private:
  std::unique_lock<std::mutex>& lock_;
  rk_kernel_s* kernel_;
};

rk_result refuse_reentrant(rk_kernel_s* kernel, const char* call) {
  return fail(RK_ERROR_INVALID_STATE, std::string(call) + " on kernel '" + kernel->config.name +
                                          "' from a bridge callback would wait for the bridge itself; use "
                                          "rk_kernel_request_async or an output handler there");
}

rk_result refuse_with_handler(rk_kernel_s* kernel) {
  return fail(RK_ERROR_INVALID_STATE, "kernel '" + kernel->config.name +
                                          "' has an output handler: its output goes to the handler, so "
                                          "rk_kernel_receive is not allowed (remove the handler first)");
}

// Under receive_mutex: may this thread wait for output of the kernel?
rk_result check_may_receive_locked(rk_kernel_s* kernel, uint64_t timeout_ns) {
  if (kernel->async.handler != nullptr) return refuse_with_handler(kernel);
  if (timeout_ns != 0 && kernel->async.attached && Bridge::on_bridge_thread(kernel->runtime))
    return refuse_reentrant(kernel, "a waiting rk_kernel_receive");
  return RK_SUCCESS;
}

}  // namespace

rk_result drain_output_locked(rk_kernel_s* kernel, size_t max_held) {
  DrainClockMerge clock(kernel);
  while (kernel->held.size() < max_held) {
    rk_msg_header* message = nullptr;
    uint64_t index = 0;
    if (rk_result r = peek_live_output(kernel, message, index); r != RK_SUCCESS) return r;
    if (message == nullptr) return RK_SUCCESS;
    HostMessage held{*message, {}};
    const auto* payload = reinterpret_cast<const uint8_t*>(message + 1);
    held.payload.assign(payload, payload + message->payload_size);
    clock.add(*message);
    release_output(kernel, index);
    kernel->held.push_back(std::move(held));
  }
  return RK_SUCCESS;
}

rk_result kernel_receive(rk_kernel_s* kernel, rk_msg_header* header, void* payload, uint32_t capacity,
                         uint32_t* size, uint64_t timeout_ns) {
  if (capacity > 0 && payload == nullptr) return fail(RK_ERROR_INVALID_ARGUMENT, "payload buffer is NULL");
  if (kernel->state.load() == RK_KERNEL_CREATED)
    return fail(RK_ERROR_INVALID_STATE, "kernel '" + kernel->config.name + "' is Created: launch it before receiving");
  auto deadline = deadline_after(timeout_ns);
  std::unique_lock lock(kernel->receive_mutex);
  if (rk_result r = check_may_receive_locked(kernel, timeout_ns); r != RK_SUCCESS) return r;
  BlockingReceiver receiving(lock, kernel);
  uint32_t round = 0;
  rk_result ended = RK_SUCCESS;  // why the last wait stopped; one more look before giving up
  for (;;) {
    bool got = false;
    if (rk_result r = receive_once_locked(kernel, header, payload, capacity, size, got); r != RK_SUCCESS || got) return r;
    if (ended == RK_ERROR_TIMEOUT) return timeout_or_empty(kernel, timeout_ns);
    if (ended != RK_SUCCESS) return ended;
    if (timeout_ns == 0 && kernel->state.load() != RK_KERNEL_TERMINATED) return timeout_or_empty(kernel, 0);
    bool attached = kernel->async.attached;
    lock.unlock();
    ended = wait_for_output(kernel, deadline, round, attached);
    lock.lock();
  }
}

namespace {

// Takes the reply to `correlation_id` out of `held` (receive_mutex held).
rk_result take_reply_locked(rk_kernel_s* kernel, uint64_t correlation_id, rk_msg_header* reply_header, void* reply,
                            uint32_t reply_capacity, uint32_t* reply_size, bool& got) {
  const size_t held_before = kernel->held.size();
  if (rk_result r = drain_for_waiter_locked(kernel); r != RK_SUCCESS) return r;
  leave_claimed_to_bridge_locked(kernel, held_before);
  for (auto it = kernel->held.begin(); it != kernel->held.end(); ++it) {
    if (it->header.correlation_id != correlation_id) continue;
    rk_result r = copy_out(it->header, it->payload.data(), reply_header, reply, reply_capacity, reply_size);
    if (r == RK_SUCCESS) kernel->held.erase(it);
    got = true;  // a reply too large for the buffer still ends the request
    return r;
  }
  return RK_SUCCESS;
}

}  // namespace

rk_result send_request(rk_kernel_s* kernel, uint32_t type_id, const void* payload, uint32_t size,
                       uint64_t correlation_id, uint64_t timeout_ns) {
  rk_send_options options = RK_SEND_OPTIONS_INIT;
  options.correlation_id = correlation_id;
  options.timeout_ns = timeout_ns;
  rk_result r = kernel_send(kernel, type_id, payload, size, &options, nullptr);
  if (r != RK_ERROR_TIMEOUT) return r;
  return fail(RK_ERROR_QUEUE_FULL, "request to kernel '" + kernel->config.name +
                                       "' was never sent: its input queue stayed full until the timeout");
}

// Ids need only be unique (pending requests are found by id, not by order), so no lock:
// the submitting thread of async requests took send_mutex twice per request before.
uint64_t next_request_id(rk_kernel_s* kernel) {
  const uint64_t n = kernel->next_correlation_id.fetch_add(1, std::memory_order_relaxed) + 1;
  return (uint64_t{1} << 63) | n;  // bit 63: a host request
}

rk_result kernel_request(rk_kernel_s* kernel, uint32_t type_id, const void* payload, uint32_t size,
                         rk_msg_header* reply_header, void* reply, uint32_t reply_capacity, uint32_t* reply_size,
                         uint64_t timeout_ns) {
  auto deadline = deadline_after(timeout_ns);
  uint64_t correlation_id = next_request_id(kernel);
  std::unique_lock lock(kernel->receive_mutex);
  if (kernel->async.attached && Bridge::on_bridge_thread(kernel->runtime))
    return refuse_reentrant(kernel, "rk_kernel_request");
  kernel->async.sync_waiters.push_back(correlation_id);  // so no handler or reader takes the reply
  lock.unlock();
  rk_result sent = send_request(kernel, type_id, payload, size, correlation_id, timeout_ns);
  lock.lock();
  if (sent != RK_SUCCESS) {
    kernel->async.forget_waiter(correlation_id);
    return sent;
  }
  uint32_t round = 0;
  rk_result ended = RK_SUCCESS;  // why the last wait stopped; one more look before giving up
  for (;;) {
    bool got = false;
    rk_result r = take_reply_locked(kernel, correlation_id, reply_header, reply, reply_capacity, reply_size, got);
    if (r != RK_SUCCESS || got || ended != RK_SUCCESS) kernel->async.forget_waiter(correlation_id);
    if (r != RK_SUCCESS || got) return r;
    if (ended == RK_ERROR_TIMEOUT) {
      kernel->async.abandoned.add(correlation_id);  // a reply after this is late: counted, dropped
      return fail(RK_ERROR_TIMEOUT, "no reply from kernel '" + kernel->config.name +
                                        "' before the timeout (the request was sent; a later reply is counted "
                                        "in late_replies and dropped)");
    }
    if (ended != RK_SUCCESS) return ended;
    bool attached = kernel->async.attached;
    lock.unlock();
    ended = wait_for_output(kernel, deadline, round, attached);
    lock.lock();
  }
}

namespace {

// The live status, field by field (the device keeps writing while we read).
void fill_status(rk_kernel_s* kernel, rk_kernel_status& status) {
  status.state = kernel->state.load();
  if (!views_published(status.state)) return;
  const RingViews& v = kernel->views;
  if (v.control == nullptr) return;  // never launched
  status.has_terminated = static_cast<int32_t>(rk_load_acquire_u32(reinterpret_cast<uint32_t*>(&v.control->has_terminated)));
  status.errors_encountered = static_cast<int32_t>(rk_load_relaxed_u32(reinterpret_cast<uint32_t*>(&v.control->errors_encountered)));
  status.messages_processed = static_cast<int64_t>(rk_load_acquire_u64(reinterpret_cast<uint64_t*>(&v.control->messages_processed)));
  status.last_activity_ns = static_cast<int64_t>(rk_load_relaxed_u64(reinterpret_cast<uint64_t*>(&v.control->last_activity_ticks)));
  status.input_depth = rk_queue_depth(v.input);
  size_t held = 0;
  {
    std::lock_guard lock(kernel->receive_mutex);  // the bridge moves messages into `held`
    held = kernel->held.size();
  }
  status.output_depth = rk_queue_depth(v.output) + static_cast<uint32_t>(held);
  status.inbox_depth = rk_queue_depth(v.inbox);
  // K2K backpressure: the kernel's leader writes these, one writer each; relaxed reads.
  status.outbox_depth = rk_load_relaxed_u32(&v.env->outbox_waiting);
  status.k2k_deferred = rk_load_relaxed_u64(&v.env->k2k_deferred);
  status.k2k_refused = rk_load_relaxed_u64(&v.env->k2k_refused);
  status.inbox_refused = rk_load_relaxed_u64(&v.inbox->rejected_full);
  status.late_replies = kernel->async.late_replies.load(std::memory_order_relaxed);  // a statistic
  status.relaunches = kernel->relaunches.load(std::memory_order_relaxed);           // a statistic
  status.resident = loop_resident(kernel) ? 1u : 0u;
  const KernelSupervision& s = kernel->supervision;  // statistics
  status.stalled = s.stalled_now.load(std::memory_order_relaxed);
  status.stalls = s.stalls.load(std::memory_order_relaxed);
  status.error_bursts = s.error_bursts.load(std::memory_order_relaxed);
  status.restarts = s.restarts.load(std::memory_order_relaxed);
  status.restart_failures = s.restart_failures.load(std::memory_order_relaxed);
  if (kernel->config.trace && kernel->ring_host != nullptr) {  // launched: its ring is attached
    TraceTrackCounts trace = kernel->runtime->trace->counts(kernel->id);
    status.trace_records = trace.records;
    status.trace_dropped = trace.dropped;
  }
}

}  // namespace

rk_result kernel_status(rk_kernel_s* kernel, rk_kernel_status* status) {
  if (status == nullptr) return fail(RK_ERROR_INVALID_ARGUMENT, "status is NULL");
  rk_kernel_status now{};
  now.struct_size = sizeof(now);
  fill_status(kernel, now);
  return write_struct(now, status);
}

rk_result kernel_latency(rk_kernel_s* kernel, rk_kernel_latency* out) {
  if (out == nullptr) return fail(RK_ERROR_INVALID_ARGUMENT, "latency is NULL");
  rk_kernel_latency now{};
  now.struct_size = sizeof(now);
  now.bucket_count = RK_LATENCY_BUCKETS;
  const RingViews& v = kernel->views;
  if (views_published(kernel->state.load()) && v.histograms != nullptr) {
    // The count first, with acquire: the loop stores the buckets before it.
    now.messages_processed = rk_load_acquire_u64(&v.telemetry->messages_processed);
    rk_latency_histograms* h = v.histograms;
    now.queueing_sum_ns = rk_load_relaxed_u64(&h->queueing_sum_ns);
    now.handler_sum_ns = rk_load_relaxed_u64(&h->handler_sum_ns);
    for (uint32_t i = 0; i < RK_LATENCY_BUCKETS; ++i) {
      now.queueing[i] = rk_load_relaxed_u64(&h->queueing[i]);
      now.handler[i] = rk_load_relaxed_u64(&h->handler[i]);
    }
  }
  return write_struct(now, out);
}

rk_result kernel_telemetry(rk_kernel_s* kernel, rk_telemetry* out) {
  if (out == nullptr) return fail(RK_ERROR_INVALID_ARGUMENT, "telemetry is NULL");
  *out = rk_telemetry{};
  out->messages_dropped = kernel->host_dropped.load(std::memory_order_relaxed);
  if (!views_published(kernel->state.load())) return RK_SUCCESS;
  rk_telemetry* t = kernel->views.telemetry;
  if (t == nullptr) return RK_SUCCESS;
  // A copied block's counters reach the mirror after its output (copy_out_device_parts):
  // wait out a copy under way, so a host that saw a reply sees what was counted before it
  // (drops in the same handler, say).
  StepHold steps = kernel->copied ? hold_steps(kernel->runtime) : StepHold();
  // Field by field: the device keeps updating the block while we read it.
  out->messages_processed = rk_load_acquire_u64(&t->messages_processed);
  out->messages_dropped += rk_load_relaxed_u64(&t->messages_dropped);  // the device's own
  out->last_processed_timestamp = static_cast<int64_t>(rk_load_relaxed_u64(reinterpret_cast<uint64_t*>(&t->last_processed_timestamp)));
  out->queue_depth = static_cast<int32_t>(rk_load_relaxed_u32(reinterpret_cast<uint32_t*>(&t->queue_depth)));
  out->total_latency_ns = rk_load_relaxed_u64(&t->total_latency_ns);
  out->max_latency_ns = rk_load_relaxed_u64(&t->max_latency_ns);
  out->min_latency_ns = rk_load_relaxed_u64(&t->min_latency_ns);
  out->error_code = static_cast<int32_t>(rk_load_relaxed_u32(reinterpret_cast<uint32_t*>(&t->error_code)));
  return RK_SUCCESS;
}

}  // namespace rk::core
