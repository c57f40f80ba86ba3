#include "runtime/snapshot.hpp"

#include <algorithm>
#include <cstring>
#include <map>
#include <mutex>
#include <string>

#include "api/error.hpp"
#include "bridge/remote_k2k.hpp"
#include "runtime/device_calls.hpp"
#include "runtime/host_dialect.hpp"
#include "runtime/kernel.hpp"
#include "runtime/kernel_messaging.hpp"
#include "runtime/kernel_ops.hpp"
#include "runtime/kernel_table.hpp"
#include "runtime/park.hpp"
#include "runtime/runtime.hpp"

namespace rk::core {
namespace {

constexpr uint64_t kParkNs = 10'000'000'000ull;  // a parked or inactive loop stops within microseconds

rk_msg_header* slot_at(uint8_t* slots, uint32_t capacity, uint32_t slot_size, uint64_t index) {
  return reinterpret_cast<rk_msg_header*>(slots + (index & (capacity - 1u)) * size_t{slot_size});
}

// One message copied out of a slot; a payload size beyond the slot is the device's
// scribble and refuses the snapshot rather than read past the slot.
rk_result copy_out(const rk_kernel_s* kernel, const rk_msg_header* slot, const char* queue, SnapshotMessage& out) {
  out.header = *slot;
  if (out.header.payload_size > kernel->config.max_payload_size)
    return fail(RK_ERROR_DEVICE_FAULT, "kernel '" + kernel->config.name + "': a message in its " + queue + " claims a " +
                                           std::to_string(out.header.payload_size) + "-byte payload; no snapshot taken");
  const auto* payload = reinterpret_cast<const uint8_t*>(slot + 1);
  out.payload.assign(payload, payload + out.header.payload_size);
  out.header.publish_seq = 0;
  return RK_SUCCESS;
}

// [head, tail) of an SPSC queue whose consumer is parked (input, outbox).
rk_result copy_spsc(rk_kernel_s* kernel, rk_queue_header* queue, uint8_t* slots, uint32_t capacity, const char* name,
                    bool take, std::vector<SnapshotMessage>& out) {
  const uint64_t head = rk_load_acquire_u64(&queue->head);
  const uint64_t tail = rk_load_acquire_u64(&queue->tail);
  if (tail - head > capacity)
    return fail(RK_ERROR_DEVICE_FAULT, "kernel '" + kernel->config.name + "': its " + name + " queue's indices are corrupt");
  for (uint64_t i = head; i < tail; ++i) {
    const rk_msg_header* slot = slot_at(slots, capacity, kernel->config.slot_size, i);
    // The outbox marks what it delivered out of order (RK_OUTBOX_DELIVERED, rk_k2k.h).
    if (queue == kernel->views.outbox && slot->dest_kernel == RK_KERNEL_ID_HOST) continue;
    SnapshotMessage m;
    if (rk_result r = copy_out(kernel, slot, name, m); r != RK_SUCCESS) return r;
    out.push_back(std::move(m));
  }
  if (take) {  // the consumer's words, written while it is parked: it finds the queue empty
    rk_store_relaxed_u64(&queue->cached_tail, tail);
    rk_store_release_u64(&queue->head, tail);
  }
  return RK_SUCCESS;
}

// The published run of the K2K inbox from its head (peers may be adding behind it).
rk_result copy_inbox(rk_kernel_s* kernel, bool take, std::vector<SnapshotMessage>& out) {
  const RingViews& v = kernel->views;
  const uint32_t capacity = kernel->config.inbox_capacity;
  uint64_t index = rk_load_acquire_u64(&v.inbox->head);
  std::vector<uint64_t> taken;
  for (;; ++index) {
    if (rk_load_acquire_u64(&v.inbox_sequence[index & (capacity - 1u)]) != index + 1u) break;
    SnapshotMessage m;
    if (rk_result r = copy_out(kernel, slot_at(v.inbox_slots, capacity, kernel->config.slot_size, index), "inbox", m);
        r != RK_SUCCESS)
      return r;
    out.push_back(std::move(m));
    taken.push_back(index);
  }
  if (take)
    for (uint64_t i : taken) rk_mpsc_release_in(v.inbox, v.inbox_sequence, capacity, i);
  return RK_SUCCESS;
}

// The name under which a restore finds kernel `id` again; "" if none.
std::string name_for_id(rk_kernel_s* kernel, uint32_t id, bool directory_held) {
  if (id == kernel->id) return kernel->config.name;
  const std::string key = kernel->runtime->kernels->name_of(id);
  if (key.empty() || key.front() != '@') return key;
  std::string name = directory_held ? remote_kernel_name_locked(kernel->runtime, id) : remote_kernel_name(kernel->runtime, id);
  // A sender of another process known by its address only: a migration (the directory held,
  // the group the same on both sides) carries the address; a snapshot image cannot.
  if (name.empty() && directory_held && is_sender_address(key)) return key;
  return name;
}

rk_result add_name(rk_kernel_s* kernel, uint32_t id, Snapshot& out, bool directory_held) {
  if (id == RK_KERNEL_ID_HOST) return RK_SUCCESS;
  for (const SnapshotName& n : out.names)
    if (n.id == id) return RK_SUCCESS;
  std::string name = name_for_id(kernel, id, directory_held);
  if (name.empty())
    return fail(RK_ERROR_UNKNOWN_KERNEL, "kernel '" + kernel->config.name + "': a message it holds names kernel id " +
                                             std::to_string(id) + ", which no kernel answers to any more; a snapshot "
                                             "carries kernels by name, so none was taken");
  out.names.push_back(SnapshotName{id, std::move(name)});
  return RK_SUCCESS;
}

}  // namespace

rk_result capture_snapshot(rk_kernel_s* kernel, bool take, Snapshot& out, bool directory_held) {
  const RingViews& v = kernel->views;
  const KernelConfig& c = kernel->config;
  Snapshot s;
  s.kernel_name = c.name;
  s.kernel_id = kernel->id;
  s.max_payload_size = c.max_payload_size;
  s.hlc = v.env->hlc;  // the loop is parked: its words are still
  s.next_message_id = v.env->next_message_id;
  s.state.assign(kernel->ring_host + kernel->layout.state, kernel->ring_host + kernel->layout.state + c.state_bytes);
  {
    // The host's sends wait: the input queue holds still. A send already waiting for room
    // in a full queue holds the lock until its timeout (it gives up at once only when the
    // kernel closes, as migration does), so this waits a bounded time for it, and for an
    // open reservation's commit.
    std::unique_lock<std::mutex> sending;
    if (!lock_sends_by(kernel, deadline_after(kParkNs), sending))
      return fail(RK_ERROR_TIMEOUT, "kernel '" + c.name + "': " +
                                        (kernel->slot_open.load() ? "an rk_kernel_reserve awaits its commit"
                                                                  : "a send waits for room in its full input queue") +
                                        "; a snapshot needs the queue still (commit, receive, or let the send time "
                                        "out, and try again)");
    std::lock_guard receiving(kernel->receive_mutex);
    // Everything is read before anything is taken, so a refusal takes nothing.
    if (rk_result r = copy_spsc(kernel, v.input, v.input_slots, c.input_capacity, "input", false, s.input); r != RK_SUCCESS)
      return r;
    if (rk_result r = copy_spsc(kernel, v.outbox, v.outbox_slots, c.outbox_capacity, "outbox", false, s.outbox);
        r != RK_SUCCESS)
      return r;
    if (rk_result r = copy_inbox(kernel, false, s.inbox); r != RK_SUCCESS) return r;
    if (rk_result r = drain_output_locked(kernel); r != RK_SUCCESS) return r;
    for (const HostMessage& held : kernel->held) s.output.push_back(SnapshotMessage{held.header, held.payload});
    if (take) {
      std::vector<SnapshotMessage> again;  // the same runs, now taken (the loop is parked; peers add only behind)
      copy_spsc(kernel, v.input, v.input_slots, c.input_capacity, "input", true, again);
      copy_spsc(kernel, v.outbox, v.outbox_slots, c.outbox_capacity, "outbox", true, again);
      rk_store_release_u32(&v.env->outbox_waiting, 0u);
      std::vector<SnapshotMessage> inbox;
      copy_inbox(kernel, true, inbox);
      s.inbox = std::move(inbox);  // a peer's message that came meanwhile goes along (the caller compares)
      kernel->held.clear();
    }
  }
  // Names after the queues' locks: looking up another runtime's kernel takes the
  // directory lock, which others take before a receive lock (metrics, dumps). A take
  // names nothing: its caller resolved the names from a copy first, so it cannot fail.
  if (!take) {
    for (const SnapshotMessage& m : s.inbox)
      if (rk_result r = add_name(kernel, m.header.source_kernel, s, directory_held); r != RK_SUCCESS) return r;
    for (const SnapshotMessage& m : s.outbox)
      if (rk_result r = add_name(kernel, m.header.dest_kernel, s, directory_held); r != RK_SUCCESS) return r;
  }
  out = std::move(s);
  return RK_SUCCESS;
}

rk_result kernel_snapshot(rk_kernel_s* kernel, void* buffer, size_t capacity, size_t* size) {
  if (size == nullptr) return fail(RK_ERROR_INVALID_ARGUMENT, "rk_kernel_snapshot: size is NULL");
  std::lock_guard lock(kernel->lifecycle_mutex);
  rk_kernel_state state = kernel->state.load();
  if (state != RK_KERNEL_LAUNCHED && state != RK_KERNEL_DEACTIVATED)
    return fail(RK_ERROR_INVALID_STATE,
                "kernel '" + kernel->config.name + "' is " + rk_kernel_state_name(state) +
                    (state == RK_KERNEL_ACTIVE ? ": deactivate it first (its state would change under the copy)"
                                               : ": a snapshot is taken of a Launched or Deactivated kernel"));
  // A loop already off the device (idle exit, a supervisor's restart or fault) is left to
  // whoever parked it; one we park runs again after.
  bool parked = false;
  if (rk_result r = park_loop(kernel, deadline_after(kParkNs),
                              "did not reach a message boundary in time (a handler may be hung); no snapshot taken",
                              true, parked);
      r != RK_SUCCESS)
    return r;
  Snapshot s;
  rk_result captured = capture_snapshot(kernel, false, s, false);
  std::string why = captured == RK_SUCCESS ? "" : last_error_text();
  if (parked)
    if (rk_result r = resume_if_parked(kernel); r != RK_SUCCESS) return r;  // as it was: running, inactive
  if (captured != RK_SUCCESS) return fail(captured, why);
  std::vector<uint8_t> image = encode_snapshot(s);
  *size = image.size();
  if (buffer == nullptr) return RK_SUCCESS;
  if (capacity < image.size())
    return fail(RK_ERROR_INVALID_ARGUMENT, "rk_kernel_snapshot: the buffer holds " + std::to_string(capacity) +
                                               " bytes; the snapshot of kernel '" + kernel->config.name + "' needs " +
                                               std::to_string(image.size()));
  std::memcpy(buffer, image.data(), image.size());
  return RK_SUCCESS;
}

rk_result restore_snapshot(rk_kernel_s* kernel) {
  Snapshot s;
  if (rk_result r = decode_snapshot(kernel->config.snapshot.data(), kernel->config.snapshot.size(), s); r != RK_SUCCESS)
    return r;
  return restore_into(kernel, s, false);
}

rk_result carry_sends_ahead(rk_kernel_s* old, const std::vector<const rk_msg_header*>& sends, Snapshot& copy) {
  std::vector<SnapshotMessage> ahead;
  for (const rk_msg_header* header : sends) {
    if (rk_result r = add_name(old, header->dest_kernel, copy, true); r != RK_SUCCESS) return r;
    SnapshotMessage message;
    message.header = *header;
    const auto* payload = reinterpret_cast<const uint8_t*>(header + 1);
    message.payload.assign(payload, payload + header->payload_size);
    ahead.push_back(std::move(message));
  }
  copy.outbox.insert(copy.outbox.begin(), std::make_move_iterator(ahead.begin()), std::make_move_iterator(ahead.end()));
  return RK_SUCCESS;
}

rk_result restore_into(rk_kernel_s* kernel, const Snapshot& s, bool directory_held) {
  rk_runtime_s* runtime = kernel->runtime;
  // The snapshot's ids, by name, to ours.
  std::map<uint32_t, uint32_t> ids{{RK_KERNEL_ID_HOST, RK_KERNEL_ID_HOST}, {s.kernel_id, kernel->id}};
  for (const SnapshotName& n : s.names) {
    uint32_t id = kernel->id;
    if (directory_held && is_sender_address(n.name)) {
      if ((id = sender_address_route_locked(runtime, n.name)) == 0)
        return fail(RK_ERROR_UNKNOWN_KERNEL, "kernel '" + kernel->config.name + "': a message it holds came from a "
                                             "kernel of another process (" + n.name + ") that this process no longer "
                                             "reaches, or the runtime's K2K table is full; nothing moved");
    } else if (n.name != s.kernel_name && n.name != kernel->config.name) {
      if (rk_result r = kernel_id_for_name(runtime, n.name, id, directory_held); r != RK_SUCCESS) return r;
    }
    ids[n.id] = id;
  }
  auto mapped = [&](uint32_t id, uint32_t& out) -> rk_result {
    auto it = ids.find(id);
    if (it == ids.end())
      return fail(RK_ERROR_INVALID_ARGUMENT, "kernel '" + kernel->config.name + "': its snapshot has a message naming kernel id " +
                                                 std::to_string(id) + " without a name for it (a broken image)");
    out = it->second;
    return RK_SUCCESS;
  };
  const RingViews& v = kernel->views;
  const KernelConfig& c = kernel->config;
  if (!s.state.empty()) std::memcpy(kernel->ring_host + kernel->layout.state, s.state.data(), s.state.size());
  v.env->hlc = s.hlc;
  v.env->hlc.node_id = kernel->id;
  v.env->next_message_id = s.next_message_id;

  auto write = [&](uint8_t* slots, uint32_t capacity, uint64_t index, const SnapshotMessage& m) {
    rk_msg_header* slot = slot_at(slots, capacity, c.slot_size, index);
    *slot = m.header;
    slot->publish_seq = 0;
    if (!m.payload.empty()) std::memcpy(slot + 1, m.payload.data(), m.payload.size());
    return slot;
  };
  std::lock_guard sending(kernel->send_mutex);  // we are the input queue's producer meanwhile
  const uint64_t input_tail = rk_load_acquire_u64(&v.input->tail);  // 0 for a kernel just made
  if (input_tail - rk_load_acquire_u64(&v.input->head) + s.input.size() > c.input_capacity)
    return fail(RK_ERROR_QUEUE_FULL, "kernel '" + c.name + "': its input queue has no room for the snapshot's messages");
  for (uint64_t i = 0; i < s.input.size(); ++i) {  // as the host sent them
    rk_msg_header* slot = write(v.input_slots, c.input_capacity, input_tail + i, s.input[i]);
    slot->dest_kernel = kernel->id;
    rk_spsc_publish_msg_at(v.input, slot, input_tail + i);
    // Later host sends take fresh ids, and replies to these never match a new request.
    kernel->next_message_id = std::max(kernel->next_message_id, s.input[i].header.message_id);
    if (s.input[i].header.correlation_id > kernel->next_correlation_id.load())  // not launched: no other user
      kernel->next_correlation_id.store(s.input[i].header.correlation_id);
  }
  for (const SnapshotMessage& m : s.inbox) {
    rk_reservation claimed = rk_mpsc_try_claim_in(v.inbox, v.inbox_sequence, c.inbox_capacity);
    if (claimed.count == 0) return fail(RK_ERROR_INTERNAL, "a restored inbox overflowed (checked at create)");
    rk_msg_header* slot = write(v.inbox_slots, c.inbox_capacity, claimed.index, m);
    slot->dest_kernel = kernel->id;
    if (rk_result r = mapped(m.header.source_kernel, slot->source_kernel); r != RK_SUCCESS) return r;
    rk_mpsc_publish_in(v.inbox_sequence, c.inbox_capacity, claimed.index);
  }
  // The outbox is the loop's own on both ends; it is parked (or not launched yet).
  const uint64_t outbox_tail = rk_load_acquire_u64(&v.outbox->tail);
  if (outbox_tail - rk_load_acquire_u64(&v.outbox->head) + s.outbox.size() > c.outbox_capacity)
    return fail(RK_ERROR_QUEUE_FULL, "kernel '" + c.name + "': its outbox has no room for the snapshot's messages");
  for (uint64_t i = 0; i < s.outbox.size(); ++i) {
    rk_msg_header* slot = write(v.outbox_slots, c.outbox_capacity, outbox_tail + i, s.outbox[i]);
    slot->source_kernel = kernel->id;
    if (rk_result r = mapped(s.outbox[i].header.dest_kernel, slot->dest_kernel); r != RK_SUCCESS) return r;
  }
  rk_store_release_u64(&v.outbox->tail, outbox_tail + s.outbox.size());
  v.env->outbox_waiting += static_cast<uint32_t>(s.outbox.size());
  std::lock_guard receiving(kernel->receive_mutex);
  for (const SnapshotMessage& m : s.output) {
    HostMessage held{m.header, m.payload};
    held.header.source_kernel = kernel->id;
    kernel->held.push_back(std::move(held));
  }
  return RK_SUCCESS;
}

}  // namespace rk::core
