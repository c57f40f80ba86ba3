// The process group (docs/distributed.md): joining and leaving, the forwarding thread's
// pass (sends, lookups, credits), and routes for kernels that name "R/name" peers. What
// arrives is handled in group_receive.cpp, the host's own requests in group_host.cpp.
#include "distributed/group.hpp"

#include <algorithm>
#include <cstring>
#include <fstream>

#include "api/error.hpp"
#include "distributed/group_state.hpp"
#include "plugin/registry.hpp"
#include "runtime/copy_mode.hpp"
#include "runtime/host_dialect.hpp"
#include "runtime/kernel_messaging.hpp"
#include "runtime/runtime.hpp"

namespace rk::core::group {
namespace {

bool send_lookups(Group& g) {
  bool moved = false;
  for (auto& lookup : g.lookups) {
    if (lookup->sent || lookup->done) continue;
    WireHeader ask{};
    ask.kind = WireKind::lookup;
    ask.target = lookup->id;
    ask.value = lookup->wait_ms;
    rk_result r = send_control(g, lookup->rank, ask, lookup->name.data(), static_cast<uint32_t>(lookup->name.size()));
    if (r == RK_ERROR_QUEUE_FULL) continue;  // next pass
    lookup->sent = true;
    moved = true;
    if (r != RK_SUCCESS) {
      lookup->done = true;
      lookup->result = r;
      lookup->why = transport_error(g);
      g_changed.notify_all();
    }
  }
  return moved;
}

bool send_credits(Group& g) {
  bool moved = false;
  for (uint32_t rank = 0; rank < g.peers.size(); ++rank) {
    Peer& peer = g.peers[rank];
    if (peer.credits_owed == 0 || peer.state != RK_GROUP_PEER_CONNECTED) continue;
    WireHeader credit{};
    credit.kind = WireKind::credit;
    credit.value = peer.credits_owed;
    if (send_control(g, rank, credit) == RK_SUCCESS) {
      peer.credits_owed = 0;
      moved = true;
    }
  }
  return moved;
}

}  // namespace

bool split_rank_name(const std::string& peer, uint32_t& rank, std::string& name) {
  size_t slash = peer.find('/');
  if (slash == 0 || slash == std::string::npos || slash > 9) return false;
  uint32_t number = 0;
  for (size_t i = 0; i < slash; ++i) {
    if (peer[i] < '0' || peer[i] > '9') return false;
    number = number * 10 + static_cast<uint32_t>(peer[i] - '0');
  }
  std::string rest = peer.substr(slash + 1);
  if (rest.empty() || rest.find('/') != std::string::npos) return false;
  rank = number;  // the outputs change only for a name that is one
  name = std::move(rest);
  return true;
}

bool is_own_rank(uint32_t rank) {
  auto lock = hold_directory();
  return g_group && g_group->config.rank == rank;
}

bool rank_connected_locked(uint32_t rank) {
  return g_group && rank < g_group->peers.size() && rank != g_group->config.rank &&
         g_group->peers[rank].state == RK_GROUP_PEER_CONNECTED;
}

rk_result join(rk_registry_s& registry, const rk_group_options* options) {
  auto g = std::make_shared<Group>();
  if (rk_result r = read_group_config(options, g->config); r != RK_SUCCESS) return r;
  {
    auto lock = hold_directory();
    if (g_group)
      return fail(RK_ERROR_INVALID_STATE, "this process is in a process group already (rank " +
                                              std::to_string(g_group->config.rank) + " of " +
                                              std::to_string(g_group->config.size) + "); rk_group_leave first");
  }
  std::string seen;
  for (const TransportRecord& record : registry_transports(registry)) {
    seen += (seen.empty() ? "" : "; ") + record.name + ": " + (record.table ? "usable" : record.detail);
    if (record.name != g->config.transport || record.table == nullptr) continue;
    g->library = record.library;
    g->table = record.table;
  }
  if (g->table == nullptr)
    return fail(RK_ERROR_NOT_FOUND, "no usable transport '" + g->config.transport + "' (RINGKERNEL_TRANSPORT) in " +
                                        rk_registry_search_path(&registry) + "; found: " +
                                        (seen.empty() ? "none (is the UCX transport built? it needs libucx-dev)" : seen));
  const GroupConfig& c = g->config;
  std::vector<const char*> addresses;
  for (const std::string& a : c.addresses) addresses.push_back(a.c_str());
  rk_transport_group group{sizeof(rk_transport_group), c.rank, c.size, static_cast<uint32_t>(c.key.size()),
                           addresses.data(), c.key.data()};
  rk_transport_callbacks callbacks{sizeof(rk_transport_callbacks), 0, g.get(), deliver_callback, peer_lost_callback};
  g->peers.resize(c.size);
  g->peers[c.rank].state = RK_GROUP_PEER_SELF;
  g->host.mailbox = static_cast<uint32_t>(g->exports.size());
  g->exports.push_back(Export{nullptr, 0, true});
  if (rk_result r = g->table->open(&group, &callbacks, &g->transport); r != RK_SUCCESS)
    return fail(r, "transport '" + c.transport + "' cannot open rank " + std::to_string(c.rank) + ": " + transport_error(*g));
  auto close_on_failure = [&g](rk_result r, const std::string& why) {
    g->table->close(g->transport);
    return fail(r, why);
  };
  if (!c.address_file.empty()) {  // for a launcher that gave port 0 and tells the others
    char text[256] = {};
    rk_text_out out{text, sizeof text, 0};
    if (g->table->local_address(g->transport, &out) != RK_SUCCESS)
      return close_on_failure(RK_ERROR_INTERNAL, "transport '" + c.transport + "': " + transport_error(*g));
    const std::string temporary = c.address_file + ".tmp";
    std::ofstream(temporary) << text << "\n";
    if (std::rename(temporary.c_str(), c.address_file.c_str()) != 0)
      return close_on_failure(RK_ERROR_INVALID_ARGUMENT, "cannot write the address file " + c.address_file);
  }
  if (rk_result r = g->table->connect_all(g->transport, c.connect_timeout_ns); r != RK_SUCCESS)
    return close_on_failure(r, "rank " + std::to_string(c.rank) + " of " + std::to_string(c.size) +
                                   " could not join its group: " + transport_error(*g));
  {
    auto lock = hold_directory();
    if (g_group) return close_on_failure(RK_ERROR_INVALID_STATE, "another thread joined a process group meanwhile");
    g_group = g;
    g->published = true;
    forwarder_acquire_locked();
  }
  log_info("process group: rank " + std::to_string(c.rank) + " of " + std::to_string(c.size) + " joined over '" +
           c.transport + "', listening on " + c.addresses[c.rank] + " (job key from " + c.key_source + ")");
  return RK_SUCCESS;
}

rk_result leave() {
  std::shared_ptr<Group> g;
  {
    auto lock = hold_directory();
    if (!g_group) return fail(RK_ERROR_INVALID_STATE, "this process is in no process group");
    {  // what we took and have not acknowledged yet, so no sender counts it lost
      std::lock_guard transport(g_group->transport_mutex);
      Group& joined = *g_group;
      retry_held(joined);
      // Told and waited for: every rank connected now, including one that says it leaves
      // while we do (each then waits for the other's farewell).
      std::vector<bool> tell(joined.peers.size(), false);
      for (uint32_t rank = 0; rank < joined.peers.size(); ++rank)
        tell[rank] = joined.peers[rank].state == RK_GROUP_PEER_CONNECTED;
      auto reachable = [&](const Peer& peer) {
        return !peer.disconnected && (peer.state == RK_GROUP_PEER_CONNECTED || peer.left);
      };
      WireHeader leaving{};
      leaving.kind = WireKind::leaving;
      // Bounded: a transport that stays full does not keep us here (the peer then counts
      // what we did not acknowledge as lost, and sees us go by the connection).
      const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(1);
      for (bool all = false; !all && std::chrono::steady_clock::now() < give_up;) {
        send_host_out(joined);  // the host's sends queued before the leave go first (credits allowing)
        send_credits(joined);
        all = joined.host.out.empty();
        for (uint32_t rank = 0; rank < joined.peers.size(); ++rank) {
          Peer& peer = joined.peers[rank];
          if (!tell[rank] || peer.told_leaving || !reachable(peer)) continue;
          // `leaving` says nothing more comes: the host's messages to that rank go before it.
          const bool host_first = std::any_of(joined.host.out.begin(), joined.host.out.end(),
                                              [rank](const Outbound& m) { return m.rank == rank; });
          peer.told_leaving = !host_first && peer.credits_owed == 0 &&
                              send_control(joined, rank, leaving) != RK_ERROR_QUEUE_FULL;
          all &= peer.told_leaving;
        }
        if (!all) progress_locked(joined);
      }
      if (!joined.host.out.empty()) {  // no credit came in time: dropped and said (a request fails below)
        for (const Outbound& m : joined.host.out)
          if ((m.header.correlation_id == 0 || joined.host.requests.count(m.header.correlation_id) == 0) &&
              !m.caller_told())
            ++joined.dropped;
        joined.host.handed_on += joined.host.out.size();
        log_warn("process group: " + std::to_string(joined.host.out.size()) +
                 " host message(s) to other ranks were still waiting for credit when this rank left; dropped");
      }
      // Then wait for each told rank's farewell: it comes after everything we sent before our
      // leaving was taken there, acknowledgements included, so closing now loses none of them
      // (a close could drop the last ones: UCX "error during flush: Endpoint timeout", and the
      // other side counted those messages lost). Bounded, for a rank that is alive but does
      // not answer; a rank whose connection drops is not waited for.
      const auto farewell_by = std::chrono::steady_clock::now() + std::chrono::seconds(5);
      for (;;) {
        send_farewells(joined);
        bool all = true;
        for (const Peer& peer : joined.peers) all &= !peer.told_leaving || peer.farewell_seen || !reachable(peer);
        if (all || std::chrono::steady_clock::now() >= farewell_by) break;
        if (progress_locked(joined) == 0) joined.table->wait(joined.transport, 1'000'000);
      }
    }
    g = std::exchange(g_group, nullptr);
    for (Peer& peer : g->peers)
      if (peer.state == RK_GROUP_PEER_CONNECTED) g->lost += peer.sent - peer.acknowledged;  // fate unknown now
    forget_rank_routes_locked();  // closed; a later group makes its own
    for (auto& lookup : g->lookups)
      if (!lookup->done) {
        lookup->done = true;
        lookup->result = RK_ERROR_INVALID_STATE;
        lookup->why = "this process left its process group";
      }
    fail_host_requests(*g, ~0u, RK_ERROR_INVALID_STATE, "this process left its process group");
    g_changed.notify_all();
  }
  forwarder_release();
  std::lock_guard lock(g->transport_mutex);
  g->closed = true;
  g->table->close(g->transport);
  log_info("process group: rank " + std::to_string(g->config.rank) + " left");
  return RK_SUCCESS;
}

rk_result status(rk_group_status& out) {
  out = rk_group_status{};
  auto lock = hold_directory();
  if (!g_group) return RK_SUCCESS;
  const Group& g = *g_group;
  out.joined = 1;
  out.rank = g.config.rank;
  out.size = g.config.size;
  out.peers_lost = g.peers_lost;
  for (const Peer& peer : g.peers) {
    out.messages_sent += peer.sent;
    out.messages_acknowledged += peer.acknowledged;
  }
  out.messages_received = g.received;
  out.messages_lost = g.lost;
  out.messages_dropped = g.dropped;
  out.messages_held = g.held_now;
  out.held_max = g.held_max;
  std::snprintf(out.transport, sizeof out.transport, "%s", g.config.transport.c_str());
  return RK_SUCCESS;
}

rk_result peer_state(uint32_t rank, rk_group_peer_state& state, std::string& why) {
  auto lock = hold_directory();
  if (!g_group) return fail(RK_ERROR_INVALID_STATE, "this process is in no process group");
  if (rank >= g_group->peers.size())
    return fail(RK_ERROR_NOT_FOUND, "rank " + std::to_string(rank) + " is not in a group of " +
                                        std::to_string(g_group->peers.size()));
  state = g_group->peers[rank].state;
  why = g_group->peers[rank].why;
  return RK_SUCCESS;
}

rk_result lookup(std::unique_lock<std::mutex>& lock, Group& g, uint32_t rank, const std::string& name, uint32_t wait_ms,
                 std::chrono::steady_clock::time_point give_up, uint32_t& handle, uint32_t& max_payload) {
  if (g.peers[rank].state == RK_GROUP_PEER_LOST)
    return fail(RK_ERROR_PEER_LOST, "rank " + std::to_string(rank) + " is lost (" + g.peers[rank].why + ")");
  auto asked = std::make_shared<Lookup>();
  asked->id = g.next_lookup++;
  asked->rank = rank;
  asked->name = name;
  asked->wait_ms = wait_ms;
  g.lookups.push_back(asked);
  // The forwarding thread asks; rank `rank` answers once it has launched the kernel, or
  // after wait_ms.
  g_changed.wait_until(lock, give_up, [&] { return asked->done; });
  g.lookups.remove(asked);
  if (!asked->done) return fail(RK_ERROR_TIMEOUT, "rank " + std::to_string(rank) + " did not answer in time");
  switch (asked->result) {
    case RK_SUCCESS:
      handle = asked->handle;
      max_payload = asked->max_payload;
      return RK_SUCCESS;
    case RK_ERROR_NOT_FOUND:
      return fail(RK_ERROR_NOT_FOUND, "rank " + std::to_string(rank) + " launched no kernel named '" + name +
                                          "' within " + std::to_string(wait_ms) + " ms");
    case RK_ERROR_INVALID_ARGUMENT:
      return fail(RK_ERROR_INVALID_ARGUMENT, "rank " + std::to_string(rank) + " has kernels named '" + name +
                                                 "' in several runtimes");
    default:
      return fail(asked->result, asked->why.empty() ? "the lookup failed" : asked->why);
  }
}

rk_result resolve(rk_runtime_s* local, uint32_t rank, const std::string& name, uint32_t& id, bool directory_held) {
  id = 0;
  const std::string peer_name = std::to_string(rank) + "/" + name;
  std::unique_lock<std::mutex> lock;
  if (!directory_held) lock = hold_directory();
  if (!g_group)
    return fail(RK_ERROR_INVALID_STATE, "peer '" + peer_name + "' names a kernel of rank " + std::to_string(rank) +
                                            ", and this process is in no process group (rk_group_join, "
                                            "docs/distributed.md)");
  const std::shared_ptr<Group> joined = g_group;  // alive while we wait, even if we leave meanwhile
  Group& g = *joined;
  if (rank >= g.config.size)
    return fail(RK_ERROR_NOT_FOUND, "peer '" + peer_name + "': the process group has ranks 0 to " +
                                        std::to_string(g.config.size - 1));
  if (rank == g.config.rank) return RK_SUCCESS;  // a kernel of ours
  if (g.peers[rank].state == RK_GROUP_PEER_LOST)
    return fail(RK_ERROR_PEER_LOST, "peer '" + peer_name + "': rank " + std::to_string(rank) + " is lost (" +
                                        g.peers[rank].why + ")");
  if (copy_mode(local))
    return fail(RK_ERROR_UNSUPPORTED, "peer '" + peer_name + "' is a kernel of another process, and K2K between "
                                      "processes needs host-coherent memory; a runtime in the relaunch-copy bridge "
                                      "mode reaches only its own kernels");
  if ((id = find_rank_proxy_locked(local, rank, peer_name)) != 0) return RK_SUCCESS;
  uint32_t handle = 0, max_payload = 0;
  if (auto known = g.targets.find(peer_name); known != g.targets.end()) {  // look_up_peers asked already
    handle = known->second.first;
    max_payload = known->second.second;
  } else if (directory_held) {
    return fail(RK_ERROR_UNSUPPORTED, "peer '" + peer_name + "' is a kernel of another process that this runtime "
                                          "never routed to; a migrated or restored kernel reaches only those");
  } else {
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::milliseconds(uint64_t{lookup_wait_ms()} + 5'000);
    if (rk_result r = lookup(lock, g, rank, name, lookup_wait_ms(), give_up, handle, max_payload); r != RK_SUCCESS)
      return fail(r, "peer '" + peer_name + "': " + last_error_text());
    if (g_group != joined) return fail(RK_ERROR_INVALID_STATE, "this process left its process group during the launch");
    g.targets[peer_name] = {handle, max_payload};
  }
  id = rank_proxy_locked(local, rank, handle, peer_name, std::max(max_payload, 1u));
  if (id == 0)
    return fail(RK_ERROR_OUT_OF_MEMORY, "the runtime's K2K table is full; cannot route to '" + peer_name + "'");
  return RK_SUCCESS;
}

Delivery send_locked(rk_runtime_s* runtime, const RemoteEnd& end, const rk_msg_header& message, std::string& why) {
  if (!g_group) {
    why = "this process left its process group";
    return Delivery::dropped;
  }
  Group& g = *g_group;
  Peer& peer = g.peers[end.rank];
  if (peer.state == RK_GROUP_PEER_LOST) {  // never sent: the sender's messages_dropped counts it
    why = "rank " + std::to_string(end.rank) + " is lost (" + peer.why + ")";
    return Delivery::dropped;
  }
  // Named by where it is now: a sender that moved since this left its old runtime would
  // otherwise get an export of its old place, and the answer would find it gone.
  rk_runtime_s* sender_runtime = runtime;
  uint32_t sender_id = message.source_kernel;
  if (sender_id != RK_KERNEL_ID_HOST) where_sender_is_now_locked(sender_runtime, sender_id);
  const uint32_t source = sender_id == RK_KERNEL_ID_HOST ? kFromHost : export_handle(g, sender_runtime, sender_id);
  rk_result r = send_data(g, end.rank, end.handle, source, message, &message + 1);
  if (r == RK_ERROR_QUEUE_FULL) return Delivery::target_full;  // no credit: wait at the egress head
  if (r != RK_SUCCESS) {
    why = transport_error(g);
    return Delivery::dropped;
  }
  return Delivery::delivered;
}

std::unique_lock<std::mutex> hold_transport_locked() {
  return g_group ? std::unique_lock(g_group->transport_mutex) : std::unique_lock<std::mutex>();
}

std::unique_lock<std::mutex> try_hold_transport_locked() {
  return g_group ? std::unique_lock(g_group->transport_mutex, std::try_to_lock) : std::unique_lock<std::mutex>();
}

bool joined_locked() { return g_group != nullptr; }

bool route_stays_open_locked(uint32_t rank) {
  return g_group && rank < g_group->peers.size() && g_group->peers[rank].state != RK_GROUP_PEER_LOST;
}

bool pass_locked() {
  if (!g_group) return false;
  Group& g = *g_group;
  bool moved = progress_locked(g) != 0;
  moved |= retry_held(g);
  moved |= send_lookups(g);
  moved |= answer_asked(g);
  moved |= send_backs(g);
  moved |= send_host_out(g);
  moved |= send_credits(g);
  moved |= send_farewells(g);
  return moved;
}

bool idle_wait(uint64_t timeout_ns) {
  std::shared_ptr<Group> g;
  {
    auto lock = hold_directory();
    g = g_group;
  }
  if (!g) return false;
  std::lock_guard lock(g->transport_mutex);
  if (!g->closed) g->table->wait(g->transport, timeout_ns);
  return true;
}

void forget_runtime_locked(rk_runtime_s* runtime) {
  if (!g_group) return;
  Group& g = *g_group;
  for (auto it = g.export_ids.begin(); it != g.export_ids.end();) {
    if (it->first.first != runtime) {
      ++it;
      continue;
    }
    g.exports[it->second].runtime = nullptr;
    it = g.export_ids.erase(it);
  }
}

rk_result wait_acknowledged(std::chrono::steady_clock::time_point deadline, bool egress_too,
                            const rk_runtime_s* routing) {
  // What is there when called: each egress queue's tail and, for rk_group_flush, the host's
  // own messages queued for the forwarding thread; then each rank's sent count.
  std::vector<std::pair<rk_runtime_s*, uint64_t>> egress_tails;
  uint64_t host_queued = 0;
  {
    auto lock = hold_directory();
    if (!g_group || (routing != nullptr && !routes_to_ranks_locked(routing))) return RK_SUCCESS;
    if (routing == nullptr) host_queued = g_group->host.queued;
    if (egress_too)
      for (rk_runtime_s* runtime : joined_runtimes_locked())
        if (runtime->egress) egress_tails.emplace_back(runtime, rk_load_acquire_u64(&runtime->egress->queue->tail));
  }
  std::vector<uint64_t> sent;  // filled once the egress queues have handed on what they had
  for (uint32_t round = 0;; ++round) {
    std::string waiting;
    {
      auto lock = hold_directory();
      if (!g_group) return RK_SUCCESS;
      const auto& joined = joined_runtimes_locked();
      for (auto& [runtime, tail] : egress_tails)
        if (std::find(joined.begin(), joined.end(), runtime) != joined.end() && runtime->egress &&
            rk_load_acquire_u64(&runtime->egress->queue->head) < tail)
          waiting = "some still in an egress queue";
      if (g_group->host.handed_on < host_queued)
        waiting = std::to_string(host_queued - g_group->host.handed_on) + " host message(s) not sent yet";
      if (waiting.empty() && sent.empty())
        for (const Peer& peer : g_group->peers) sent.push_back(peer.sent);
      for (uint32_t rank = 0; waiting.empty() && rank < g_group->peers.size() && rank < sent.size(); ++rank) {
        const Peer& peer = g_group->peers[rank];
        if (peer.state == RK_GROUP_PEER_CONNECTED && peer.acknowledged < sent[rank])
          waiting = std::to_string(sent[rank] - peer.acknowledged) + " not taken yet at rank " + std::to_string(rank);
      }
    }
    if (waiting.empty()) return RK_SUCCESS;
    if (std::chrono::steady_clock::now() >= deadline)
      return fail(RK_ERROR_TIMEOUT, "messages sent to other processes are not all taken (" + waiting +
                                        "): a target inbox stays full");
    backoff(round);
  }
}

std::string describe_locked() {
  if (!g_group) return "";
  const Group& g = *g_group;
  uint64_t sent = 0, acknowledged = 0;
  for (const Peer& peer : g.peers) {
    sent += peer.sent;
    acknowledged += peer.acknowledged;
  }
  std::string out = "process group: rank " + std::to_string(g.config.rank) + " of " + std::to_string(g.config.size) +
                    " over " + g.config.transport + "; sent " + std::to_string(sent) + ", taken there " +
                    std::to_string(acknowledged) + ", received " + std::to_string(g.received) + ", lost " +
                    std::to_string(g.lost) + ", dropped " + std::to_string(g.dropped) + ", held here " +
                    std::to_string(g.held_now) + " (most " + std::to_string(g.held_max) + ")\n";
  for (uint32_t rank = 0; rank < g.peers.size(); ++rank) {
    const Peer& peer = g.peers[rank];
    if (peer.state == RK_GROUP_PEER_SELF) continue;
    out += "  rank " + std::to_string(rank) + " (" + g.config.addresses[rank] + "): ";
    if (peer.state == RK_GROUP_PEER_LOST) {
      out += "LOST: " + peer.why + "\n";
      continue;
    }
    out += "connected; " + std::to_string(peer.sent - peer.acknowledged) + " of ours not taken yet" +
           (peer.sent - peer.acknowledged >= kCreditWindow ? " (no credit left: its inbox is full)" : "") + ", " +
           std::to_string(peer.held.size()) + " of its held here\n";
  }
  return out;
}

void reroute_exports_locked(rk_runtime_s* from, uint32_t id, rk_runtime_s* to, uint32_t to_id) {
  if (!g_group) return;
  Group& g = *g_group;
  auto it = g.export_ids.find({from, id});
  if (it == g.export_ids.end()) return;
  const uint32_t handle = it->second;
  g.export_ids.erase(it);
  g.exports[handle] = Export{to, to_id, false};
  g.export_ids[{to, to_id}] = handle;  // other ranks keep the handle they have
}

rk_result look_up_peers(const std::vector<std::string>& peers) {
  auto lock = hold_directory();
  for (const std::string& peer : peers) {
    uint32_t rank = 0;
    std::string name;
    if (!split_rank_name(peer, rank, name) || !g_group) continue;  // resolve() says what is wrong
    const std::shared_ptr<Group> joined = g_group;
    Group& g = *joined;
    if (rank >= g.config.size || rank == g.config.rank || g.targets.count(peer) != 0) continue;
    uint32_t handle = 0, max_payload = 0;
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::milliseconds(uint64_t{lookup_wait_ms()} + 5'000);
    if (rk_result r = lookup(lock, g, rank, name, lookup_wait_ms(), give_up, handle, max_payload); r != RK_SUCCESS)
      return fail(r, "peer '" + peer + "': " + last_error_text());
    if (g_group == joined) g.targets[peer] = {handle, max_payload};
  }
  return RK_SUCCESS;
}

}  // namespace rk::core::group
