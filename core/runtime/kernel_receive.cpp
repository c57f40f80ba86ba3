// The host's reading side of a ring kernel: receive from the output queue, request/reply
// (send, then wait for the reply's correlation id while other output stays receivable),
// and the status and telemetry snapshots. Everything read from device-written memory is
// bounds-checked before use: a corrupt index or size is a device fault, never UB here.
// Sending is in kernel_messaging.cpp.
#include <cstring>
#include <thread>

#include "api/error.hpp"
#include "api/struct_growth.hpp"
#include "runtime/host_dialect.hpp"
#include "runtime/kernel.hpp"
#include "runtime/kernel_messaging.hpp"
#include "runtime/kernel_ops.hpp"
#include "runtime/kernel_table.hpp"
#include "runtime/runtime.hpp"

namespace rk::core {
namespace {

// The next output message, validated, or nullptr when the queue is empty.
rk_result peek_output(rk_kernel_s* kernel, rk_msg_header*& message, uint64_t& index) {
  rk_queue_header* output = kernel->views.output;
  // By the slot's publish_seq: the device's tail is never read, so it cannot misdirect us.
  rk_reservation slot = rk_spsc_peek_msg(output, 1u);
  message = nullptr;
  if (slot.count == 0) return RK_SUCCESS;
  auto* header = reinterpret_cast<rk_msg_header*>(rk_queue_slot(output, slot.index));
  if (header->payload_size > output->slot_size - RK_MSG_HEADER_SIZE)
    return fail(RK_ERROR_DEVICE_FAULT, "kernel '" + kernel->config.name + "' wrote an output message claiming " +
                                           std::to_string(header->payload_size) + " payload bytes in a " +
                                           std::to_string(output->slot_size) + "-byte slot");
  message = header;
  index = slot.index;
  return RK_SUCCESS;
}

void merge_clock(rk_kernel_s* kernel, const rk_msg_header& header) {
  KernelTable& table = *kernel->runtime->kernels;
  if (table.clock().merge(header.timestamp, table.max_clock_skew_ns()) != RK_SUCCESS)
    log_warn("kernel '" + kernel->config.name + "' sent a timestamp beyond the allowed clock skew");
}

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

// Waits until output is there, the kernel has terminated, or the deadline passes.
rk_result wait_for_output(rk_kernel_s* kernel, Clock::time_point deadline, uint32_t& round) {
  if (kernel->state.load() == RK_KERNEL_TERMINATED)
    return fail(RK_ERROR_TERMINATED, "kernel '" + kernel->config.name + "' is terminated and has no output left");
  if (Clock::now() >= deadline) return RK_ERROR_TIMEOUT;
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

}  // namespace

rk_result drain_output_locked(rk_kernel_s* kernel) {
  for (;;) {
    rk_msg_header* message = nullptr;
    uint64_t index = 0;
    if (rk_result r = peek_output(kernel, message, index); r != RK_SUCCESS) return r;
    if (message == nullptr) return RK_SUCCESS;
    HostMessage held{*message, {}};
    const auto* payload = reinterpret_cast<const uint8_t*>(message + 1);
    held.payload.assign(payload, payload + message->payload_size);
    merge_clock(kernel, *message);
    release_output(kernel, index);
    kernel->held.push_back(std::move(held));
  }
}

rk_result kernel_receive(rk_kernel_s* kernel, rk_msg_header* header, void* payload, uint32_t capacity,
                         uint32_t* size, uint64_t timeout_ns) {
  if (capacity > 0 && payload == nullptr) return fail(RK_ERROR_INVALID_ARGUMENT, "payload buffer is NULL");
  if (kernel->state.load() == RK_KERNEL_CREATED)
    return fail(RK_ERROR_INVALID_STATE, "kernel '" + kernel->config.name + "' is Created: launch it before receiving");
  std::lock_guard lock(kernel->receive_mutex);
  if (!kernel->held.empty()) {
    HostMessage& front = kernel->held.front();
    rk_result r = copy_out(front.header, front.payload.data(), header, payload, capacity, size);
    if (r == RK_SUCCESS) kernel->held.pop_front();
    return r;
  }
  auto deadline = deadline_after(timeout_ns);
  uint32_t round = 0;
  for (;;) {
    rk_msg_header* message = nullptr;
    uint64_t index = 0;
    if (kernel->state.load() != RK_KERNEL_TERMINATED) {
      if (rk_result r = peek_output(kernel, message, index); r != RK_SUCCESS) return r;
    }
    if (message != nullptr) {
      rk_result r = copy_out(*message, reinterpret_cast<const uint8_t*>(message + 1), header, payload, capacity, size);
      if (r != RK_SUCCESS) return r;
      merge_clock(kernel, *message);
      release_output(kernel, index);
      return RK_SUCCESS;
    }
    if (timeout_ns == 0 && kernel->state.load() != RK_KERNEL_TERMINATED) return timeout_or_empty(kernel, 0);
    rk_result waited = wait_for_output(kernel, deadline, round);
    if (waited == RK_ERROR_TIMEOUT) return timeout_or_empty(kernel, timeout_ns);
    if (waited != RK_SUCCESS) return waited;
  }
}

rk_result kernel_request(rk_kernel_s* kernel, uint32_t type_id, const void* payload, uint32_t size,
                         rk_msg_header* reply_header, void* reply, uint32_t reply_capacity, uint32_t* reply_size,
                         uint64_t timeout_ns) {
  rk_send_options options{};
  options.struct_size = sizeof(options);
  options.timeout_ns = timeout_ns;
  {
    std::lock_guard lock(kernel->send_mutex);
    options.correlation_id = (uint64_t{1} << 63) | ++kernel->next_correlation_id;
  }
  if (rk_result r = kernel_send(kernel, type_id, payload, size, &options, nullptr); r != RK_SUCCESS) return r;
  auto deadline = deadline_after(timeout_ns);
  std::lock_guard lock(kernel->receive_mutex);
  uint32_t round = 0;
  for (;;) {
    // Replies are matched by correlation id; anything else stays receivable in order.
    if (rk_result r = drain_output_locked(kernel); r != RK_SUCCESS) return r;
    for (auto it = kernel->held.begin(); it != kernel->held.end(); ++it) {
      if (it->header.correlation_id != options.correlation_id) continue;
      rk_result r = copy_out(it->header, it->payload.data(), reply_header, reply, reply_capacity, reply_size);
      if (r == RK_SUCCESS) kernel->held.erase(it);
      return r;
    }
    rk_result waited = wait_for_output(kernel, deadline, round);
    if (waited == RK_ERROR_TIMEOUT)
      return fail(RK_ERROR_TIMEOUT, "no reply from kernel '" + kernel->config.name + "' before the timeout");
    if (waited != RK_SUCCESS) return waited;
  }
}

namespace {

// The live status, field by field (the device keeps writing while we read).
void fill_status(rk_kernel_s* kernel, rk_kernel_status& status) {
  status.state = kernel->state.load();
  const RingViews& v = kernel->views;
  if (v.control == nullptr) return;  // never launched
  status.has_terminated = static_cast<int32_t>(rk_load_acquire_u32(reinterpret_cast<uint32_t*>(&v.control->has_terminated)));
  status.errors_encountered = static_cast<int32_t>(rk_load_relaxed_u32(reinterpret_cast<uint32_t*>(&v.control->errors_encountered)));
  status.messages_processed = static_cast<int64_t>(rk_load_acquire_u64(reinterpret_cast<uint64_t*>(&v.control->messages_processed)));
  status.last_activity_ns = static_cast<int64_t>(rk_load_relaxed_u64(reinterpret_cast<uint64_t*>(&v.control->last_activity_ticks)));
  status.input_depth = rk_queue_depth(v.input);
  status.output_depth = rk_queue_depth(v.output) + static_cast<uint32_t>(kernel->held.size());
  status.inbox_depth = rk_queue_depth(v.inbox);
  // K2K backpressure: the kernel's leader writes these, one writer each; relaxed reads.
  status.outbox_depth = rk_load_relaxed_u32(&v.env->outbox_waiting);
  status.k2k_deferred = rk_load_relaxed_u64(&v.env->k2k_deferred);
  status.k2k_refused = rk_load_relaxed_u64(&v.env->k2k_refused);
  status.inbox_refused = rk_load_relaxed_u64(&v.inbox->rejected_full);
}

}  // namespace

rk_result kernel_status(rk_kernel_s* kernel, rk_kernel_status* status) {
  if (status == nullptr) return fail(RK_ERROR_INVALID_ARGUMENT, "status is NULL");
  rk_kernel_status now{};
  now.struct_size = sizeof(now);
  fill_status(kernel, now);
  return write_struct(now, status);
}

rk_result kernel_telemetry(rk_kernel_s* kernel, rk_telemetry* out) {
  if (out == nullptr) return fail(RK_ERROR_INVALID_ARGUMENT, "telemetry is NULL");
  *out = rk_telemetry{};
  out->messages_dropped = kernel->host_dropped.load(std::memory_order_relaxed);
  rk_telemetry* t = kernel->views.telemetry;
  if (t == nullptr) return RK_SUCCESS;
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
