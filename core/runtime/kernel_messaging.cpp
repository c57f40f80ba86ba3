// Sending to a ring kernel's input queue: a copied send, or reserve/fill/commit in place.
// A send is refused unless the kernel is launched and not closing, accepts the type, and
// the payload fits max_payload_size (type, size and full-queue refusals count as dropped);
// the header is stamped with the host's HLC. Receive, request/reply, status and telemetry are
// in kernel_receive.cpp; backoff() serves the waits of both.
#include <algorithm>
#include <cstddef>
#include <cstring>
#include <optional>
#include <thread>

#include "api/error.hpp"
#include "api/struct_growth.hpp"
#include "runtime/elastic.hpp"
#include "runtime/host_dialect.hpp"
#include "runtime/kernel.hpp"
#include "runtime/supervision.hpp"
#include "runtime/kernel_messaging.hpp"
#include "runtime/kernel_ops.hpp"
#include "runtime/kernel_table.hpp"
#include "runtime/prefetch.hpp"
#include "runtime/runtime.hpp"

namespace rk::core {
namespace {

void count_dropped(rk_kernel_s* kernel) {
  kernel->host_dropped.fetch_add(1, std::memory_order_relaxed);
}

rk_result refuse_closed(rk_kernel_s* kernel) {
  if (kernel->migrated.load() && kernel->state.load() != RK_KERNEL_TERMINATED)  // a move under way (migrate.cpp)
    return fail(RK_ERROR_TERMINATED, "kernel '" + kernel->config.name +
                                         "' is moving to another runtime (rk_kernel_migrate under way): send to the "
                                         "kernel that call returns, or here again should the move be refused");
  if (kernel->migrated.load())
    return fail(RK_ERROR_TERMINATED, "kernel '" + kernel->config.name +
                                         "' moved to another runtime (rk_kernel_migrate): send to the kernel that call returned");
  return fail(RK_ERROR_TERMINATED, "kernel '" + kernel->config.name + "' is terminating and accepts no more messages");
}

rk_result refuse_faulted(rk_kernel_s* kernel) {
  char reason[512];
  kernel_fault_reason(kernel, reason, sizeof(reason));
  return fail(RK_ERROR_KERNEL_FAULTED, "kernel '" + kernel->config.name + "' is Faulted (" + reason +
                                           "); rk_kernel_restart or rk_kernel_terminate it");
}

rk_result check_can_send(rk_kernel_s* kernel, uint32_t type_id, uint32_t size) {
  if (kernel->closing.load()) return refuse_closed(kernel);
  rk_kernel_state state = kernel->state.load();
  if (state == RK_KERNEL_CREATED)
    return fail(RK_ERROR_INVALID_STATE, "kernel '" + kernel->config.name + "' is Created: launch it before sending");
  if (state == RK_KERNEL_TERMINATING || state == RK_KERNEL_TERMINATED)
    return fail(RK_ERROR_TERMINATED, "kernel '" + kernel->config.name + "' is " + rk_kernel_state_name(state) +
                                         " and accepts no more messages");
  if (state == RK_KERNEL_FAULTED) return refuse_faulted(kernel);
  const auto& accepted = kernel->config.accepted_types;
  bool known = type_id != RK_MSG_TYPE_INVALID &&
               (accepted.empty() || std::find(accepted.begin(), accepted.end(), type_id) != accepted.end());
  if (!known) {
    count_dropped(kernel);
    return fail(RK_ERROR_UNKNOWN_MESSAGE_TYPE,
                "kernel '" + kernel->config.name + "' does not accept message type " + std::to_string(type_id));
  }
  if (size > kernel->config.max_payload_size) {
    count_dropped(kernel);
    return fail(RK_ERROR_MESSAGE_TOO_LARGE, "payload of " + std::to_string(size) + " bytes exceeds kernel '" +
                                                kernel->config.name + "' max_payload_size " +
                                                std::to_string(kernel->config.max_payload_size));
  }
  return RK_SUCCESS;
}

// Waits for one free input slot (send_mutex held). Nothing is dropped silently: a refusal
// is counted in the queue's rejected_full and the kernel's telemetry. Its first look is at
// `closing`, under the lock: terminate's handshake (wait_out_sends) rests on it.
rk_result wait_for_input_slot(rk_kernel_s* kernel, uint64_t timeout_ns, uint64_t& index) {
  rk_queue_header* input = kernel->views.input;
  // Read the clock only once the queue was found full: most sends find room at once, and
  // a reading is ~30 ns on a VM's clock (the deadline then counts from the first refusal,
  // a few instructions after the call).
  std::optional<Clock::time_point> deadline;
  for (uint32_t round = 0;; ++round) {
    if (kernel->closing.load()) return refuse_closed(kernel);  // waiting would delay terminate
    rk_reservation slot = rk_spsc_try_reserve_in(input, kernel->config.input_capacity, 1u);  // our geometry
    if (slot.count != 0) {
      index = slot.index;
      return RK_SUCCESS;
    }
    if (!deadline && timeout_ns != 0) deadline = deadline_after(timeout_ns);
    // A callback on the kernel's own thread (cpu_sim delivers a kernel's output there)
    // would wait for the one loop that drains this queue: it gives up at once. Asked only
    // of a full queue (a thread_local, a call into the loader's TLS lookup here).
    const bool own_thread = timeout_ns != 0 && Bridge::assisting_kernel() == kernel;
    if (timeout_ns == 0 || own_thread || Clock::now() >= *deadline) {
      rk_queue_count_rejected(input);
      count_dropped(kernel);
      if (own_thread)
        return fail(RK_ERROR_QUEUE_FULL, "input queue of kernel '" + kernel->config.name +
                                             "' is full, and this callback runs on that kernel's own thread (cpu_sim "
                                             "delivers a kernel's output on its own thread), which alone drains it: "
                                             "send with timeout 0 from callbacks");
      if (timeout_ns == 0)
        return fail(RK_ERROR_QUEUE_FULL, "input queue of kernel '" + kernel->config.name + "' is full (" +
                                             std::to_string(kernel->config.input_capacity) + " messages)");
      return fail(RK_ERROR_TIMEOUT, "input queue of kernel '" + kernel->config.name + "' stayed full until the timeout");
    }
    backoff(round);
  }
}

// Builds the header aside and writes it in two copies around publish_seq (which only the
// publish writes): the kernel polls this line, so it is written in one burst, not field by
// field around a clock read and the HLC lock.
void stamp(rk_kernel_s* kernel, rk_msg_header* header, uint32_t type_id, uint32_t size, uint32_t flags,
           uint64_t correlation_id) {
  int64_t now = rk_clock_ns();  // one reading for the HLC tick and sent_ns
  rk_hlc_result tick = kernel->runtime->kernels->clock().tick(now);
  rk_msg_header local{};
  local.type_id = type_id;
  local.payload_size = size;
  local.message_id = ++kernel->next_message_id;
  local.correlation_id = correlation_id;
  local.source_kernel = RK_KERNEL_ID_HOST;
  local.dest_kernel = kernel->id;
  local.timestamp = tick.clock;
  local.flags = flags;
  local.sent_ns = now;
  constexpr size_t seq_at = offsetof(rk_msg_header, publish_seq), after_seq = seq_at + sizeof(uint32_t);
  static_assert(after_seq == offsetof(rk_msg_header, sent_ns));
  auto* out = reinterpret_cast<uint8_t*>(header);
  const auto* in = reinterpret_cast<const uint8_t*>(&local);
  std::memcpy(out, in, seq_at);
  std::memcpy(out + after_seq, in + after_seq, sizeof(rk_msg_header) - after_seq);
}

rk_msg_header* input_slot(rk_kernel_s* kernel, uint64_t index) {
  const uint64_t at = (index & (kernel->config.input_capacity - 1u)) * kernel->config.slot_size;
  return reinterpret_cast<rk_msg_header*>(kernel->views.input_slots + at);
}

// The input slot kPrefetchAhead sends ahead is asked for ahead (prefetch.hpp): the doorbell's
// fence after the publish (or the HLC lock) would otherwise make the sender wait for the
// kernel's core to give up the slot's lines (docs/benchmarks.md, "Input prefetch; the
// caller drives progress").
constexpr uint64_t kPrefetchAhead = 2;

void publish_input(rk_kernel_s* kernel, uint64_t index) {
  if (kernel->config.trace)  // send_mutex held: the ring's one producer; before the kernel may take the slot
    kernel->trace_rings.sent->put(host_sent_record(*input_slot(kernel, index)));
  rk_spsc_publish_msg_at(kernel->views.input, input_slot(kernel, index), index);
  if (kernel->runtime->kernels_park) ring_kernel_doorbell(kernel->views.control);
  // The slot two sends ahead: consumed a lap ago, unless the queue is nearly full (then
  // the hint only makes the kernel fetch those lines once more). Not the next one: an idle
  // kernel polls that slot's header, and taking it from under the poll made every blocking
  // round trip 7-10 % slower. Not further: the gain shrinks with the distance (64 in
  // flight: 1.60 M req/s without, 2.05 one ahead, 1.85 two, 1.75 four; docs/benchmarks.md),
  // likely because the kernel core's own prefetcher, streaming through the slots it reads,
  // takes lines asked for early back first.
  if (kernel->config.input_capacity >= 4 * kPrefetchAhead)
    prefetch_for_write(input_slot(kernel, index + kPrefetchAhead), kernel->config.slot_size);
}

}  // namespace

void backoff(uint32_t round) {
  if (round < 64) return;  // spin
  if (round < 256) {
    std::this_thread::yield();
    return;
  }
  std::this_thread::sleep_for(std::chrono::microseconds(round < 2048 ? 10 : 100));
}

namespace {

rk_result send_copy(rk_kernel_s* kernel, uint32_t type_id, const void* payload, uint32_t size,
                    const rk_send_options* options, uint64_t* message_id) {
  if (size > 0 && payload == nullptr) return fail(RK_ERROR_INVALID_ARGUMENT, "payload is NULL but size > 0");
  rk_send_options given{};
  given.timeout_ns = RK_WAIT_FOREVER;  // no options: block
  if (options)
    if (rk_result r = read_struct(*options, given); r != RK_SUCCESS) return r;
  if (rk_result r = check_can_send(kernel, type_id, size); r != RK_SUCCESS) return r;
  uint64_t timeout = given.timeout_ns;
  std::lock_guard lock(kernel->send_mutex);
  uint64_t index = 0;
  if (rk_result r = wait_for_input_slot(kernel, timeout, index); r != RK_SUCCESS) return r;
  rk_msg_header* header = input_slot(kernel, index);
  if (size > 0) std::memcpy(header + 1, payload, size);  // payload first: the header line is the one polled
  stamp(kernel, header, type_id, size, given.flags, given.correlation_id);
  if (message_id) *message_id = header->message_id;
  publish_input(kernel, index);
  return RK_SUCCESS;
}

}  // namespace

// The send is complete (send_mutex released) before an elastic kernel's loop is launched
// again: terminate holds the lifecycle lock while it waits for sends to let go of it.
rk_result kernel_send(rk_kernel_s* kernel, uint32_t type_id, const void* payload, uint32_t size,
                      const rk_send_options* options, uint64_t* message_id) {
  rk_result r = send_copy(kernel, type_id, payload, size, options, message_id);
  if (r == RK_SUCCESS && kernel->config.elastic()) relaunch_after_send(kernel);
  return r;
}

rk_result kernel_reserve(rk_kernel_s* kernel, uint32_t type_id, uint32_t size, uint64_t timeout_ns, rk_slot* slot) {
  if (slot == nullptr) return fail(RK_ERROR_INVALID_ARGUMENT, "slot is NULL");
  if (rk_result r = check_can_send(kernel, type_id, size); r != RK_SUCCESS) return r;
  kernel->send_mutex.lock();  // held until commit: one open reservation per kernel
  uint64_t index = 0;
  if (rk_result r = wait_for_input_slot(kernel, timeout_ns, index); r != RK_SUCCESS) {
    kernel->send_mutex.unlock();
    return r;
  }
  kernel->slot_open = true;
  rk_msg_header* header = input_slot(kernel, index);
  stamp(kernel, header, type_id, size, 0u, 0u);
  slot->header = header;
  slot->payload = header + 1;
  slot->capacity = kernel->config.max_payload_size;
  slot->token = index;
  return RK_SUCCESS;
}

rk_result kernel_commit(rk_kernel_s* kernel, rk_slot* slot, uint64_t* message_id) {
  if (slot == nullptr || !kernel->slot_open || slot->header != input_slot(kernel, slot->token))
    return fail(RK_ERROR_INVALID_ARGUMENT, "commit without a matching open reservation on kernel '" + kernel->config.name + "'");
  rk_msg_header* header = slot->header;
  if (header->type_id == RK_MSG_TYPE_INVALID || header->payload_size > kernel->config.max_payload_size) {
    // The caller rewrote the header badly. An SPSC reservation cannot be taken back, so
    // keep it open and let the caller fix the header and commit again.
    return fail(RK_ERROR_INVALID_ARGUMENT, "reserved slot's header was changed to an invalid type or size");
  }
  header->sent_ns = rk_clock_ns();
  if (message_id) *message_id = header->message_id;
  kernel->slot_open = false;
  publish_input(kernel, slot->token);
  kernel->send_mutex.unlock();
  if (kernel->config.elastic()) relaunch_after_send(kernel);
  return RK_SUCCESS;
}

bool lock_sends_by(rk_kernel_s* kernel, Clock::time_point deadline, std::unique_lock<std::mutex>& sending) {
  // An open reservation holds send_mutex until its commit, perhaps on this very thread
  // (try_lock on a mutex this thread owns would be undefined): wait for the commit first.
  sending = std::unique_lock(kernel->send_mutex, std::defer_lock);
  for (uint32_t round = 0; kernel->slot_open.load() || !sending.try_lock(); ++round) {
    if (Clock::now() >= deadline) return false;
    backoff(round);
  }
  return true;
}

bool wait_out_sends(rk_kernel_s* kernel, Clock::time_point deadline) {
  std::unique_lock<std::mutex> sending;
  return lock_sends_by(kernel, deadline, sending);  // released: a send that takes it from now on sees `closing`
}

}  // namespace rk::core
