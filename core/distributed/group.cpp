#include "distributed/group.hpp"

#include <algorithm>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <fstream>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include <boost/dll/shared_library.hpp>

#include "api/environment.hpp"
#include "api/error.hpp"
#include "distributed/group_config.hpp"
#include "distributed/wire.hpp"
#include "plugin/registry.hpp"
#include "rk_transport.h"
#include "runtime/host_dialect.hpp"
#include "runtime/kernel.hpp"
#include "runtime/kernel_messaging.hpp"
#include "runtime/kernel_ops.hpp"
#include "runtime/runtime.hpp"

namespace rk::core::group {
namespace {

// A launch waits this long for a remote peer to exist (RINGKERNEL_GROUP_LOOKUP_MS).
uint32_t lookup_wait_ms() {
  static const uint32_t ms =
      static_cast<uint32_t>(number_from_environment("RINGKERNEL_GROUP_LOOKUP_MS", 10'000, 3'600'000));
  return ms;
}

// A data message that arrived while its target's inbox was full: held, in arrival order.
struct Held {
  uint32_t target = 0;
  uint32_t source = 0;
  rk_msg_header header{};
  std::vector<uint8_t> payload;
};

struct Peer {
  rk_group_peer_state state = RK_GROUP_PEER_CONNECTED;
  std::string why;
  uint64_t next_sequence_out = 1;
  uint64_t expected_sequence_in = 1;
  uint64_t sent = 0;
  uint64_t acknowledged = 0;
  uint32_t credits_owed = 0;  // data we took from it and have not told it about yet
  std::deque<Held> held;
  bool out_of_order_logged = false;
};

// A kernel of this process another rank may send to, by handle (its index here).
struct Export {
  rk_runtime_s* runtime = nullptr;  // nullptr once its runtime left
  uint32_t kernel_id = 0;
};

// A launching thread asks rank `rank` for kernel `name`.
struct Lookup {
  uint32_t id = 0;
  uint32_t rank = 0;
  std::string name;
  bool sent = false, done = false;
  rk_result result = RK_SUCCESS;
  std::string why;
  uint32_t handle = 0, max_payload = 0;
};

// Another rank asks us; answered once the kernel is launched here, or at the deadline.
struct Asked {
  uint32_t rank = 0, id = 0;
  std::string name;
  std::chrono::steady_clock::time_point deadline;
};

struct Group {
  GroupConfig config;
  boost::dll::shared_library library;  // the plugin stays loaded while the group uses it
  const rk_transport_table* table = nullptr;
  rk_transport transport = nullptr;
  std::mutex transport_mutex;  // idle_wait against leave's close
  bool closed = false;
  bool in_pass = false;  // the forwarding thread runs progress with the directory held
  std::vector<Peer> peers;
  std::vector<Export> exports;
  std::map<std::pair<rk_runtime_s*, uint32_t>, uint32_t> export_ids;
  std::list<std::shared_ptr<Lookup>> lookups;
  std::vector<Asked> asked;
  uint32_t next_lookup = 1;
  uint32_t peers_lost = 0;
  uint64_t received = 0, dropped = 0, lost = 0, held_now = 0, held_max = 0;
};

std::shared_ptr<Group> g_group;  // the directory lock
std::condition_variable g_lookup_done;  // waited on with the directory lock

std::string transport_error(const Group& g) {
  const char* text = g.table->last_error ? g.table->last_error() : nullptr;
  return text && *text ? text : "no detail";
}

rk_result send_control(Group& g, uint32_t rank, const WireHeader& header, const void* payload = nullptr,
                       uint32_t size = 0) {
  return g.table->send(g.transport, rank, &header, sizeof header, payload, size);
}

uint32_t export_handle(Group& g, rk_runtime_s* runtime, uint32_t kernel_id) {
  auto [it, made] = g.export_ids.try_emplace({runtime, kernel_id}, static_cast<uint32_t>(g.exports.size()));
  if (made) g.exports.push_back(Export{runtime, kernel_id});
  return it->second;
}

void mark_lost(Group& g, uint32_t rank, const std::string& detail, bool left = false) {
  Peer& peer = g.peers[rank];
  if (peer.state != RK_GROUP_PEER_CONNECTED) return;
  peer.state = RK_GROUP_PEER_LOST;
  peer.why = detail;
  ++g.peers_lost;
  const uint64_t in_flight = peer.sent - peer.acknowledged;
  g.lost += in_flight;
  close_rank_routes_locked(rank);
  for (auto& lookup : g.lookups)
    if (lookup->rank == rank && !lookup->done) {
      lookup->done = true;
      lookup->result = RK_ERROR_PEER_LOST;
      lookup->why = "rank " + std::to_string(rank) + " is lost: " + detail;
    }
  g_lookup_done.notify_all();
  const std::string words = "process group: rank " + std::to_string(rank) + (left ? " left" : " is lost") + " (" +
                            detail + "); " + std::to_string(in_flight) +
                            " message(s) sent to it were not taken and are counted lost; sends to its kernels fail "
                            "from now on";
  if (left && in_flight == 0) log_info(words);
  else log_warn(words);
}

// The kernel of this process named `name`, launched: its export handle. NOT_FOUND: none
// (yet); INVALID_ARGUMENT: kernels of that name in several runtimes.
rk_result find_export(Group& g, const std::string& name, uint32_t& handle, uint32_t& max_payload) {
  int matches = 0;
  for (rk_runtime_s* runtime : joined_runtimes_locked()) {
    rk_kernel_s* kernel = runtime->kernels->find(name);
    if (kernel == nullptr || kernel->migrated.load()) continue;
    const rk_kernel_state state = kernel->state.load();
    if (state == RK_KERNEL_TERMINATING || state == RK_KERNEL_TERMINATED) continue;
    if (rk_load_acquire_u32(&runtime->kernels->routes[kernel->id].state) != RK_ROUTE_LIVE) continue;
    handle = export_handle(g, runtime, kernel->id);
    max_payload = kernel->config.max_payload_size;
    ++matches;
  }
  return matches == 1 ? RK_SUCCESS : matches == 0 ? RK_ERROR_NOT_FOUND : RK_ERROR_INVALID_ARGUMENT;
}

void answer(Group& g, const Asked& asked, rk_result result, uint32_t handle, uint32_t max_payload) {
  WireHeader reply{};
  reply.kind = WireKind::lookup_reply;
  reply.target = asked.id;
  reply.value = static_cast<uint32_t>(result);
  reply.source = handle;
  reply.value2 = max_payload;
  send_control(g, asked.rank, reply);  // a lost asker is reported by the transport, not here
}

// True when answered (found, ambiguous, or out of time).
bool try_answer(Group& g, const Asked& asked) {
  uint32_t handle = 0, max_payload = 0;
  rk_result found = find_export(g, asked.name, handle, max_payload);
  if (found == RK_ERROR_NOT_FOUND && std::chrono::steady_clock::now() < asked.deadline) return false;
  answer(g, asked, found, handle, max_payload);
  return true;
}

Delivery deliver_here(Group& g, uint32_t from, uint32_t target, uint32_t source, rk_msg_header header,
                      const void* payload, std::string& why) {
  if (target >= g.exports.size() || g.exports[target].runtime == nullptr) {
    why = "no kernel here has handle " + std::to_string(target) + " (its runtime is gone, or it never had one)";
    return Delivery::dropped;
  }
  const Export end = g.exports[target];
  rk_kernel_s* kernel = end.runtime->kernels->find_id(end.kernel_id);
  if (kernel == nullptr) {
    why = "its target kernel is gone";
    return Delivery::dropped;
  }
  uint32_t source_id = RK_KERNEL_ID_HOST;
  if (source != kFromHost) {  // the sender's address here, so rk_reply_later finds it again
    source_id = rank_proxy_locked(end.runtime, from, source, "", kMaxPayloadBytes);
    if (source_id == 0) {
      why = "the target runtime's K2K table is full";
      return Delivery::dropped;
    }
  }
  header.dest_kernel = end.kernel_id;
  header.source_kernel = source_id;
  return write_to_kernel_locked(end.runtime, kernel, header, payload, why);
}

void count_drop(Group& g, uint32_t from, const std::string& why) {
  ++g.dropped;
  log_warn("process group: a message from rank " + std::to_string(from) + " was dropped: " + why);
}

void on_data(Group& g, uint32_t from, const Incoming& in) {
  Peer& peer = g.peers[from];
  ++peer.credits_owed;  // whatever becomes of it, the sender may send one more
  if (in.wire.sequence != peer.expected_sequence_in) {
    if (!std::exchange(peer.out_of_order_logged, true))
      log_warn("process group: rank " + std::to_string(from) + " sent message " + std::to_string(in.wire.sequence) +
               " where " + std::to_string(peer.expected_sequence_in) + " was due");
    return count_drop(g, from, "out of sequence");
  }
  ++peer.expected_sequence_in;
  if (peer.held.size() >= kCreditWindow) return count_drop(g, from, "the sender ignored its credits");
  if (peer.held.empty()) {
    std::string why;
    Delivery result = deliver_here(g, from, in.wire.target, in.wire.source, in.message, in.payload, why);
    if (result == Delivery::delivered) return;
    if (result == Delivery::dropped) return count_drop(g, from, why);
  }
  // Its inbox is full, or earlier messages from this rank wait: keep the order.
  peer.held.push_back(Held{in.wire.target, in.wire.source, in.message,
                           std::vector<uint8_t>(in.payload, in.payload + in.payload_size)});
  g.held_max = std::max(g.held_max, ++g.held_now);
  --peer.credits_owed;  // owed when it leaves the host
}

void on_credit(Group& g, uint32_t from, const WireHeader& wire) {
  Peer& peer = g.peers[from];
  if (wire.value > peer.sent - peer.acknowledged) return count_drop(g, from, "credit for more than was sent");
  peer.acknowledged += wire.value;
}

void on_lookup(Group& g, uint32_t from, const WireHeader& wire, const Incoming& in) {
  Asked asked{from, wire.target, std::string(reinterpret_cast<const char*>(in.payload), in.payload_size),
              std::chrono::steady_clock::now() + std::chrono::milliseconds(std::min<uint32_t>(wire.value, 3'600'000))};
  if (!try_answer(g, asked)) g.asked.push_back(std::move(asked));
}

void on_lookup_reply(Group& g, uint32_t from, const WireHeader& wire) {
  for (auto& lookup : g.lookups) {
    if (lookup->id != wire.target || lookup->rank != from || lookup->done) continue;
    lookup->done = true;
    lookup->result = static_cast<rk_result>(wire.value);
    lookup->handle = wire.source;
    lookup->max_payload = wire.value2;
    g_lookup_done.notify_all();
    return;
  }
  count_drop(g, from, "an answer to no question");
}

void deliver_callback(void* user, const rk_transport_delivery* d) {
  auto& g = *static_cast<Group*>(user);
  // During join the joining thread runs progress without the directory held.
  std::unique_lock<std::mutex> lock;
  if (!g.in_pass) lock = hold_directory();
  const uint32_t from = d->source_rank;
  if (from >= g.peers.size() || from == g.config.rank) return count_drop(g, from, "from no other rank");
  Incoming in;
  std::string why;
  if (!check_incoming(d->header, d->header_size, d->payload, d->payload_size, in, why)) {
    if (d->header_size >= kDataHeaderBytes) {  // the sender counted a credit for what looked like data
      WireHeader wire{};
      std::memcpy(&wire, d->header, sizeof wire);
      if (wire.magic == kWireMagic && wire.kind == WireKind::data) ++g.peers[from].credits_owed;
    }
    return count_drop(g, from, why);
  }
  switch (in.wire.kind) {
    case WireKind::data: ++g.received; return on_data(g, from, in);
    case WireKind::credit: return on_credit(g, from, in.wire);
    case WireKind::lookup: return on_lookup(g, from, in.wire, in);
    case WireKind::lookup_reply: return on_lookup_reply(g, from, in.wire);
    case WireKind::leaving: return mark_lost(g, from, "it left the group", true);
  }
}

void peer_lost_callback(void* user, uint32_t rank, const char* detail) {
  auto& g = *static_cast<Group*>(user);
  std::unique_lock<std::mutex> lock;
  if (!g.in_pass) lock = hold_directory();
  if (rank < g.peers.size()) mark_lost(g, rank, detail ? detail : "gone");
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

bool send_lookups(Group& g) {
  bool moved = false;
  for (auto& lookup : g.lookups) {
    if (lookup->sent || lookup->done) continue;
    WireHeader ask{};
    ask.kind = WireKind::lookup;
    ask.target = lookup->id;
    ask.value = lookup_wait_ms();
    rk_result r = send_control(g, lookup->rank, ask, lookup->name.data(), static_cast<uint32_t>(lookup->name.size()));
    if (r == RK_ERROR_QUEUE_FULL) continue;  // next pass
    lookup->sent = true;
    moved = true;
    if (r != RK_SUCCESS) {
      lookup->done = true;
      lookup->result = r;
      lookup->why = transport_error(g);
      g_lookup_done.notify_all();
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
  rank = 0;
  for (size_t i = 0; i < slash; ++i) {
    if (peer[i] < '0' || peer[i] > '9') return false;
    rank = rank * 10 + static_cast<uint32_t>(peer[i] - '0');
  }
  name = peer.substr(slash + 1);
  return !name.empty() && name.find('/') == std::string::npos;
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
      retry_held(*g_group);
      send_credits(*g_group);
      WireHeader leaving{};
      leaving.kind = WireKind::leaving;
      for (uint32_t rank = 0; rank < g_group->peers.size(); ++rank)
        if (g_group->peers[rank].state == RK_GROUP_PEER_CONNECTED) send_control(*g_group, rank, leaving);
    }
    g = std::exchange(g_group, nullptr);
    for (uint32_t rank = 0; rank < g->peers.size(); ++rank) {
      Peer& peer = g->peers[rank];
      if (peer.state == RK_GROUP_PEER_SELF) continue;
      close_rank_routes_locked(rank);
      if (peer.state == RK_GROUP_PEER_CONNECTED) g->lost += peer.sent - peer.acknowledged;  // fate unknown now
    }
    for (auto& lookup : g->lookups)
      if (!lookup->done) {
        lookup->done = true;
        lookup->result = RK_ERROR_INVALID_STATE;
        lookup->why = "this process left its process group";
      }
    g_lookup_done.notify_all();
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
  if ((id = find_rank_proxy_locked(local, rank, peer_name)) != 0) return RK_SUCCESS;
  if (directory_held)
    return fail(RK_ERROR_UNSUPPORTED, "peer '" + peer_name + "' is a kernel of another process that this runtime "
                                          "never routed to; a migrated or restored kernel reaches only those");
  auto lookup = std::make_shared<Lookup>();
  lookup->id = g.next_lookup++;
  lookup->rank = rank;
  lookup->name = name;
  g.lookups.push_back(lookup);
  // The forwarding thread asks; rank `rank` answers once it has launched the kernel, or
  // after lookup_wait_ms(). Our bound is longer, for the answer's own way back.
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::milliseconds(uint64_t{lookup_wait_ms()} + 5'000);
  g_lookup_done.wait_until(lock, give_up, [&] { return lookup->done; });
  g.lookups.remove(lookup);
  if (!lookup->done)
    return fail(RK_ERROR_TIMEOUT, "peer '" + peer_name + "': rank " + std::to_string(rank) + " did not answer");
  switch (lookup->result) {
    case RK_SUCCESS: break;
    case RK_ERROR_NOT_FOUND:
      return fail(RK_ERROR_NOT_FOUND, "peer '" + peer_name + "': rank " + std::to_string(rank) +
                                          " launched no kernel named '" + name + "' within " +
                                          std::to_string(lookup_wait_ms()) + " ms");
    case RK_ERROR_INVALID_ARGUMENT:
      return fail(RK_ERROR_INVALID_ARGUMENT, "peer '" + peer_name + "': rank " + std::to_string(rank) +
                                                 " has kernels of that name in several runtimes");
    default:
      return fail(lookup->result, "peer '" + peer_name + "': " + (lookup->why.empty() ? "lookup failed" : lookup->why));
  }
  if (g_group != joined) return fail(RK_ERROR_INVALID_STATE, "this process left its process group during the launch");
  id = rank_proxy_locked(local, rank, lookup->handle, peer_name, std::max(lookup->max_payload, 1u));
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
  if (peer.sent - peer.acknowledged >= kCreditWindow) return Delivery::target_full;  // no credit: wait at the egress head
  WireHeader wire{};
  wire.kind = WireKind::data;
  wire.sequence = peer.next_sequence_out;
  wire.target = end.handle;
  wire.source = message.source_kernel == RK_KERNEL_ID_HOST ? kFromHost : export_handle(g, runtime, message.source_kernel);
  uint8_t header[kDataHeaderBytes];
  std::memcpy(header, &wire, sizeof wire);
  std::memcpy(header + sizeof wire, &message, sizeof message);
  rk_result r = g.table->send(g.transport, end.rank, header, sizeof header, &message + 1, message.payload_size);
  if (r == RK_ERROR_QUEUE_FULL) return Delivery::target_full;
  if (r != RK_SUCCESS) {
    why = transport_error(g);
    if (r == RK_ERROR_PEER_LOST) mark_lost(g, end.rank, why);
    return Delivery::dropped;
  }
  ++peer.next_sequence_out;
  ++peer.sent;
  return Delivery::delivered;
}

std::unique_lock<std::mutex> hold_transport_locked() {
  return g_group ? std::unique_lock(g_group->transport_mutex) : std::unique_lock<std::mutex>();
}

bool route_stays_open_locked(uint32_t rank) {
  return g_group && rank < g_group->peers.size() && g_group->peers[rank].state != RK_GROUP_PEER_LOST;
}

bool pass_locked() {
  if (!g_group) return false;
  Group& g = *g_group;
  uint32_t events = 0;
  g.in_pass = true;
  g.table->progress(g.transport, &events);
  g.in_pass = false;
  bool moved = events != 0;
  moved |= retry_held(g);
  moved |= send_lookups(g);
  if (!g.asked.empty()) std::erase_if(g.asked, [&g](const Asked& asked) { return try_answer(g, asked); });
  moved |= send_credits(g);
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

rk_result wait_acknowledged(std::chrono::steady_clock::time_point deadline, bool egress_too) {
  for (uint32_t round = 0;; ++round) {
    std::string waiting;
    {
      auto lock = hold_directory();
      if (!g_group) return RK_SUCCESS;
      if (egress_too)
        for (rk_runtime_s* runtime : joined_runtimes_locked())
          if (runtime->egress && rk_load_acquire_u64(&runtime->egress->queue->head) <
                                     rk_load_acquire_u64(&runtime->egress->queue->tail))
            waiting = "some still in an egress queue";
      for (uint32_t rank = 0; rank < g_group->peers.size(); ++rank) {
        const Peer& peer = g_group->peers[rank];
        if (peer.state == RK_GROUP_PEER_CONNECTED && peer.sent != peer.acknowledged)
          waiting += (waiting.empty() ? "" : ", ") + std::to_string(peer.sent - peer.acknowledged) + " at rank " +
                     std::to_string(rank);
      }
    }
    if (waiting.empty()) return RK_SUCCESS;
    if (std::chrono::steady_clock::now() >= deadline)
      return fail(RK_ERROR_TIMEOUT, "messages sent to other processes are not taken yet (" + waiting +
                                        "): a target inbox stays full");
    backoff(round);
  }
}

}  // namespace rk::core::group
