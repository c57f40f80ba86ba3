// What arrives from other ranks (docs/distributed.md, "The path of a message"): the
// transport's callbacks, run by the forwarding thread inside progress (or by the joining
// thread during connect_all). Every delivery's framing is checked first (check_incoming);
// data then goes through the sequence check and into its target's inbox, or is held, in
// order, while the inbox is full.
#include <algorithm>
#include <cstring>

#include "api/error.hpp"
#include "distributed/group.hpp"
#include "distributed/group_state.hpp"
#include "runtime/host_dialect.hpp"
#include "runtime/copy_mode.hpp"
#include "runtime/kernel.hpp"
#include "runtime/runtime.hpp"

namespace rk::core::group {
namespace {

constexpr size_t kMaxAsked = 1024;  // lookups from other ranks waiting for a kernel here

// The kernel of this process named `name` (created, not terminated): its export handle.
// NOT_FOUND: none (yet); INVALID_ARGUMENT: kernels of that name in several runtimes.
// Created is enough: two kernels of different ranks may name each other, and what comes
// before the launch waits on the host (deliver_here). A kernel that is moving is found
// neither in its old runtime nor as its twin until the move ends: asked meanwhile, the
// lookup waits a pass, as for a kernel not created yet.
rk_result find_export(Group& g, const std::string& name, uint32_t& handle, uint32_t& max_payload) {
  int matches = 0;
  for (rk_runtime_s* runtime : joined_runtimes_locked()) {
    rk_kernel_s* kernel = runtime->kernels->find(name);
    if (kernel == nullptr || kernel->migrated.load() || kernel->migration_twin.load() || copy_mode(runtime)) continue;
    const rk_kernel_state state = kernel->state.load();
    if (state == RK_KERNEL_TERMINATING || state == RK_KERNEL_TERMINATED) continue;
    handle = export_handle(g, runtime, kernel->id);
    max_payload = kernel->config.max_payload_size;
    ++matches;
  }
  return matches == 1 ? RK_SUCCESS : matches == 0 ? RK_ERROR_NOT_FOUND : RK_ERROR_INVALID_ARGUMENT;
}

rk_result answer(Group& g, const Asked& asked, rk_result result, uint32_t handle, uint32_t max_payload) {
  WireHeader reply{};
  reply.kind = WireKind::lookup_reply;
  reply.target = asked.id;
  reply.value = static_cast<uint32_t>(result);
  reply.source = handle;
  reply.value2 = max_payload;
  return send_control(g, asked.rank, reply);
}

// True when done with (answered, or its asker is gone); false: ask again next pass.
bool try_answer(Group& g, const Asked& asked) {
  if (g.peers[asked.rank].state != RK_GROUP_PEER_CONNECTED) return true;
  uint32_t handle = 0, max_payload = 0;
  rk_result found = find_export(g, asked.name, handle, max_payload);
  if (found == RK_ERROR_NOT_FOUND && std::chrono::steady_clock::now() < asked.deadline) return false;
  return answer(g, asked, found, handle, max_payload) != RK_ERROR_QUEUE_FULL;
}

// Tells `rank` once that our export `handle` has no kernel any more: it closes its routes
// there, so its handlers' sends fail instead of vanishing here.
void tell_gone(Group& g, uint32_t rank, uint32_t handle) {
  if (!g.gone_told.insert({rank, handle}).second) return;
  // Launched again and gone again before the "back" left: neither is said, in that order.
  std::erase_if(g.back_due, [&](const Group::BackDue& due) { return due.rank == rank && due.handle == handle; });
  WireHeader gone{};
  gone.kind = WireKind::gone;
  gone.target = handle;
  send_control(g, rank, gone);
}

// Whether export `handle`'s kernel ended (or is ending). A kernel being launched is still
// Created when its launch queues the back: that one has not ended.
bool export_ended(Group& g, uint32_t handle) {
  const Export& end = g.exports[handle];
  rk_kernel_s* kernel = end.runtime ? end.runtime->kernels->find_id(end.kernel_id) : nullptr;
  if (kernel == nullptr) return true;
  const rk_kernel_state state = kernel->state.load();
  return state == RK_KERNEL_TERMINATING || state == RK_KERNEL_TERMINATED;
}

void on_back(uint32_t from, const WireHeader& wire) {
  reopen_rank_handle_routes_locked(from, wire.target, wire.value2);
  log_info("process group: rank " + std::to_string(from) + " says its kernel (handle " + std::to_string(wire.target) +
           ") is launched again; routes to it are open again");
}

Delivery deliver_here(Group& g, uint32_t from, uint32_t target, uint32_t source, rk_msg_header header,
                      const void* payload, std::string& why) {
  if (target < g.exports.size() && g.exports[target].mailbox) {  // a reply to this host's rk_group_request
    host_reply_arrived(g, header, payload);
    return Delivery::delivered;
  }
  if (target >= g.exports.size()) {
    why = "no kernel here ever had handle " + std::to_string(target);
    return Delivery::dropped;
  }
  const Export end = g.exports[target];
  rk_kernel_s* kernel = end.runtime ? end.runtime->kernels->find_id(end.kernel_id) : nullptr;
  const rk_kernel_state state = kernel ? kernel->state.load() : RK_KERNEL_TERMINATED;
  if (state == RK_KERNEL_TERMINATING || state == RK_KERNEL_TERMINATED) {
    tell_gone(g, from, target);
    why = "its target kernel (handle " + std::to_string(target) + ") is gone";
    return Delivery::dropped;
  }
  // Moving to another runtime (rk_kernel_migrate): held, in order, until the move ends. Then
  // the export leads to its twin (reroute_exports_locked), or, if the move failed, here again.
  if (kernel->migrated.load() || kernel->migration_twin.load()) return Delivery::target_full;
  // Created, not launched yet: held until it is. (Its id's route can be live before: the
  // proxy an earlier kernel of that name left when it moved away.)
  if (state == RK_KERNEL_CREATED ||
      rk_load_acquire_u32(&end.runtime->kernels->routes[end.kernel_id].state) != RK_ROUTE_LIVE)
    return Delivery::target_full;
  uint32_t source_id = RK_KERNEL_ID_HOST;
  if (source != kFromHost) {  // the sender's address here, so rk_reply_later finds it again
    // A route back needs this runtime's egress queue. On a backend that parks its kernels
    // to allocate, the forwarding thread must not make one (a launch does, parked).
    if (end.runtime->egress || !end.runtime->park_to_load) {
      source_id = rank_proxy_locked(end.runtime, from, source, "", kMaxPayloadBytes);
      if (source_id == 0) {
        why = "the target runtime's K2K table is full";
        return Delivery::dropped;
      }
    }
  }
  header.dest_kernel = end.kernel_id;
  header.source_kernel = source_id;
  return write_to_kernel_locked(end.runtime, kernel, header, payload, why);
}

void on_data(Group& g, uint32_t from, const Incoming& in) {
  Peer& peer = g.peers[from];
  ++peer.credits_owed;  // whatever becomes of it, the sender may send one more
  if (in.wire.sequence != peer.expected_sequence_in) {  // the transport keeps order: the sender is broken
    count_drop(g, from, "out of sequence");
    return mark_lost(g, from, "it broke the protocol: message " + std::to_string(in.wire.sequence) + " where " +
                                  std::to_string(peer.expected_sequence_in) + " was due");
  }
  ++peer.expected_sequence_in;
  if (peer.held.size() >= kCreditWindow) {
    count_drop(g, from, "the sender ignored its credits");
    return mark_lost(g, from, "it broke the protocol: more messages than its credits");
  }
  if (peer.held.empty()) {
    std::string why;
    Delivery result = deliver_here(g, from, in.wire.target, in.wire.source, in.message, in.payload, why);
    if (result == Delivery::delivered) return;
    if (result == Delivery::dropped) return count_drop(g, from, why);
  }
  // Its inbox is full (or its kernel not launched yet), or earlier messages from this rank
  // wait: keep the order.
  peer.held.push_back(Held{in.wire.target, in.wire.source, in.message,
                           std::vector<uint8_t>(in.payload, in.payload + in.payload_size)});
  g.held_max = std::max(g.held_max, ++g.held_now);
  --peer.credits_owed;  // owed when it leaves the host
}

void on_credit(Group& g, uint32_t from, const WireHeader& wire) {
  Peer& peer = g.peers[from];
  if (peer.state != RK_GROUP_PEER_CONNECTED) return;  // counted lost already
  if (wire.value > peer.sent - peer.acknowledged) {
    count_drop(g, from, "credit for more than was sent");
    return mark_lost(g, from, "it broke the protocol: credit for more than was sent");
  }
  peer.acknowledged += wire.value;
}

void on_lookup(Group& g, uint32_t from, const WireHeader& wire, const Incoming& in) {
  Asked asked{from, wire.target, std::string(reinterpret_cast<const char*>(in.payload), in.payload_size),
              std::chrono::steady_clock::now() + std::chrono::milliseconds(std::min<uint32_t>(wire.value, 3'600'000))};
  // Until the group is published a runtime may leave unseen: answered by the first pass.
  if (g.published && try_answer(g, asked)) return;
  if (g.asked.size() >= kMaxAsked) return count_drop(g, from, "too many lookups waiting");
  g.asked.push_back(std::move(asked));
}

void on_gone(Group& g, uint32_t from, const WireHeader& wire) {
  close_rank_handle_routes_locked(from, wire.target);
  std::erase_if(g.targets, [&](const auto& entry) {
    uint32_t rank = 0;
    std::string name;
    return split_rank_name(entry.first, rank, name) && rank == from && entry.second.first == wire.target;
  });
  log_info("process group: rank " + std::to_string(from) + " says its kernel (handle " + std::to_string(wire.target) +
           ") is gone; routes to it are closed");
}

void on_lookup_reply(Group& g, uint32_t from, const WireHeader& wire) {
  for (auto& lookup : g.lookups) {
    if (lookup->id != wire.target || lookup->rank != from || lookup->done) continue;
    lookup->done = true;
    lookup->result = static_cast<rk_result>(wire.value);
    lookup->handle = wire.source;
    lookup->max_payload = wire.value2;
    g_changed.notify_all();
    return;
  }
  // Its asker gave up (a timeout here, or a leave): a control message, not a K2K one.
  log_debug("process group: rank " + std::to_string(from) + " answered a lookup nobody waits for any more");
}

}  // namespace

void deliver_callback(void* user, const rk_transport_delivery* d) {
  auto& g = *static_cast<Group*>(user);
  // During join the joining thread runs progress without the directory held.
  std::unique_lock<std::mutex> lock;
  if (!g.in_pass) lock = hold_directory();
  const uint32_t from = d->source_rank;
  if (from >= g.peers.size() || from == g.config.rank) return count_drop(g, from, "from no other rank");
  Peer& peer = g.peers[from];
  // A rank that left still answers our own leaving with its farewell; nothing else of it counts.
  if (peer.state != RK_GROUP_PEER_CONNECTED && !peer.left) return count_drop(g, from, "its sender is lost already");
  Incoming in;
  std::string why;
  if (!check_incoming(d->header, d->header_size, d->payload, d->payload_size, in, why)) {
    count_drop(g, from, why);
    return mark_lost(g, from, "it broke the protocol: " + why);  // an authenticated member: a bug, or hostile
  }
  if (in.wire.kind == WireKind::farewell) {
    peer.farewell_seen = true;
    return;
  }
  if (peer.state != RK_GROUP_PEER_CONNECTED) return count_drop(g, from, "its sender left the group");
  // We are leaving and told it so: it counts what it sends from now on lost (we acknowledge
  // nothing more), so taking it would count it twice.
  if (peer.told_leaving && in.wire.kind == WireKind::data) return;
  switch (in.wire.kind) {
    case WireKind::data: ++g.received; return on_data(g, from, in);
    case WireKind::credit: return on_credit(g, from, in.wire);
    case WireKind::lookup: return on_lookup(g, from, in.wire, in);
    case WireKind::lookup_reply: return on_lookup_reply(g, from, in.wire);
    case WireKind::leaving:
      peer.farewell_owed = true;  // sent by the next pass: not from inside the transport's callback
      return mark_lost(g, from, "it left the group", true);
    case WireKind::gone: return on_gone(g, from, in.wire);
    case WireKind::back: return on_back(from, in.wire);
    case WireKind::farewell: return;  // taken above
  }
}

void kernel_back_locked(rk_runtime_s* runtime, uint32_t kernel_id, uint32_t max_payload) {
  if (!g_group) return;
  Group& g = *g_group;
  auto it = g.export_ids.find({runtime, kernel_id});
  if (it == g.export_ids.end()) return;  // no other rank ever asked for it
  const uint32_t handle = it->second;
  for (auto told = g.gone_told.begin(); told != g.gone_told.end();) {
    if (told->second != handle) {
      ++told;
      continue;
    }
    g.back_due.push_back({told->first, handle, max_payload});
    told = g.gone_told.erase(told);  // gone again later: told again
  }
}

bool send_backs(Group& g) {
  bool sent_any = false;
  std::erase_if(g.back_due, [&](const Group::BackDue& due) {
    if (g.peers[due.rank].state != RK_GROUP_PEER_CONNECTED) return true;
    if (export_ended(g, due.handle)) {  // gone again meanwhile: the rank still has it closed
      g.gone_told.insert({due.rank, due.handle});
      return true;
    }
    WireHeader back{};
    back.kind = WireKind::back;
    back.target = due.handle;
    back.value2 = due.max_payload;
    if (send_control(g, due.rank, back) == RK_ERROR_QUEUE_FULL) return false;  // the next pass
    sent_any = true;
    return true;
  });
  return sent_any;
}

void peer_lost_callback(void* user, uint32_t rank, const char* detail) {
  auto& g = *static_cast<Group*>(user);
  std::unique_lock<std::mutex> lock;
  if (!g.in_pass) lock = hold_directory();
  if (rank >= g.peers.size()) return;
  g.peers[rank].disconnected = true;  // a rank that left says no farewell any more
  mark_lost(g, rank, detail ? detail : "gone");
}

bool retry_held(Group& g) {
  bool moved = false;
  for (uint32_t rank = 0; rank < g.peers.size(); ++rank) {
    Peer& peer = g.peers[rank];
    while (!peer.held.empty()) {
      Held& held = peer.held.front();
      std::string why;
      Delivery result = deliver_here(g, rank, held.target, held.source, held.header, held.payload.data(), why);
      if (result == Delivery::target_full) break;
      if (result == Delivery::dropped) count_drop(g, rank, why);
      peer.held.pop_front();
      --g.held_now;
      ++peer.credits_owed;
      moved = true;
    }
  }
  return moved;
}

bool send_farewells(Group& g) {
  bool moved = false;
  for (uint32_t rank = 0; rank < g.peers.size(); ++rank) {
    Peer& peer = g.peers[rank];
    if (!peer.farewell_owed) continue;
    WireHeader farewell{};
    farewell.kind = WireKind::farewell;
    rk_result r = send_control(g, rank, farewell);
    if (r == RK_ERROR_QUEUE_FULL) continue;  // next pass
    peer.farewell_owed = false;  // sent, or its endpoint is gone: the leaver then gives up waiting
    moved = true;
  }
  return moved;
}

bool answer_asked(Group& g) {
  if (g.asked.empty() || !g.published) return false;
  const size_t before = g.asked.size();
  std::erase_if(g.asked, [&g](const Asked& asked) { return try_answer(g, asked); });
  return g.asked.size() != before;
}

}  // namespace rk::core::group
