// The state of this process's group, shared by the files of core/distributed/: group.cpp
// (join, leave, the forwarding thread's pass, routes for kernels), group_receive.cpp (what
// arrives) and group_host.cpp (the host's own sends and requests). Everything in a Group is
// guarded by the directory lock (hold_directory); the transport is used under it and
// Group::transport_mutex, by one thread at a time.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <list>
#include <map>
#include <set>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include <boost/dll/shared_library.hpp>

#include "bridge/remote_k2k.hpp"
#include "distributed/group_config.hpp"
#include "distributed/wire.hpp"
#include "hlc/host_clock.hpp"
#include "ringkernel.h"
#include "rk_transport.h"

namespace rk::core::group {

// A launch waits this long for a remote peer to exist (RINGKERNEL_GROUP_LOOKUP_MS).
uint32_t lookup_wait_ms();

// A blocking rk_group_request: completed by its reply (to the mailbox), or by a lost peer.
struct HostRequest {
  bool done = false;
  rk_result result = RK_SUCCESS;
  std::string why;
  uint32_t rank = 0;
  rk_msg_header header{};
  std::vector<uint8_t> payload;
};

// A message the host sends to a kernel of another rank (group_host.cpp), waiting for the
// forwarding thread to send it within the credits.
struct Outbound {
  uint32_t rank = 0;
  uint32_t handle = 0;
  rk_msg_header header{};
  std::vector<uint8_t> payload;
  std::shared_ptr<HostRequest> request;  // a blocking rk_group_request's message: who waits for it

  // A request whose caller was told it failed (fail_host_requests: its rank was lost, or
  // this process left): should the message then never leave, that is not a second loss.
  bool caller_told() const { return request != nullptr && request->done; }
};

struct HostSide {
  HostClock clock{0xFFFFu};
  uint32_t mailbox = 0;  // the export handle replies come back to
  std::deque<Outbound> out;
  uint64_t queued = 0;     // into `out`, ever
  uint64_t handed_on = 0;  // out of `out`, ever: sent, or failed and counted (rk_group_flush waits on it)
  std::unordered_map<uint64_t, std::shared_ptr<HostRequest>> requests;  // by correlation id
  uint64_t next_message_id = 0;
  uint64_t next_correlation = 0;
  uint64_t late_replies = 0;
};

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
  // Leaving (docs/distributed.md, "Faults"): it said it leaves; we owe it a farewell for
  // that; we told it we leave (what it sends after that is never acknowledged, so it counts
  // it lost and we take none of it); it said farewell to ours, so it took everything we sent
  // before; its connection is gone (the transport said so, whatever we thought of it).
  bool left = false;
  bool farewell_owed = false;
  bool told_leaving = false;
  bool farewell_seen = false;
  bool disconnected = false;
};

// What another rank may send to here, by handle (its index in Group::exports): a kernel of
// this process, or this process's host mailbox (replies to rk_group_request).
struct Export {
  rk_runtime_s* runtime = nullptr;  // nullptr once its runtime left
  uint32_t kernel_id = 0;
  bool mailbox = false;
};

// A launching thread asks rank `rank` for kernel `name`.
struct Lookup {
  uint32_t id = 0;
  uint32_t rank = 0;
  std::string name;
  uint32_t wait_ms = 0;  // how long the other rank may wait for the kernel to be launched
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
  // The transport runs callbacks inside progress only: true while the thread calling it
  // holds the directory (the forwarding thread's pass, leave), so they do not take it again.
  bool in_pass = false;
  bool published = false;  // g_group: until then (connect_all) lookups from others wait
  std::set<std::pair<uint32_t, uint32_t>> gone_told;  // (rank, our handle) told "gone" once
  struct BackDue {
    uint32_t rank, handle, max_payload;
  };
  std::vector<BackDue> back_due;  // told "gone", launched again: to tell "back" (kernel_back_locked)
  std::vector<Peer> peers;
  std::vector<Export> exports;
  std::map<std::pair<rk_runtime_s*, uint32_t>, uint32_t> export_ids;
  std::list<std::shared_ptr<Lookup>> lookups;
  std::vector<Asked> asked;
  uint32_t next_lookup = 1;
  uint32_t peers_lost = 0;
  uint64_t received = 0, dropped = 0, lost = 0, held_now = 0, held_max = 0;
  HostSide host;  // rk_group_send and rk_group_request (group_host.cpp)
  // "R/name" -> its export handle there and max payload: looked up once, for kernels'
  // launches and host sends alike; forgotten when that rank says the kernel is gone.
  std::map<std::string, std::pair<uint32_t, uint32_t>> targets;
};

extern std::shared_ptr<Group>& g_group;     // the directory lock; never destroyed (exit with a group joined)
extern std::condition_variable g_changed;   // with the directory lock: lookups, requests, room

std::string transport_error(const Group& g);
rk_result send_control(Group& g, uint32_t rank, const WireHeader& header, const void* payload = nullptr,
                       uint32_t size = 0);
uint32_t export_handle(Group& g, rk_runtime_s* runtime, uint32_t kernel_id);
// A peer is gone (or left): routes to it close, what it did not take is counted lost, and
// lookups and host requests waiting for it fail.
void mark_lost(Group& g, uint32_t rank, const std::string& detail, bool left = false);
void count_drop(Group& g, uint32_t from, const std::string& why);

// One data message to `rank` (not lost) within its credits and sequence, kernels' and the
// host's alike: RK_ERROR_QUEUE_FULL when no credit is left or the transport is full (try
// again later); a peer the transport finds gone is marked lost.
rk_result send_data(Group& g, uint32_t rank, uint32_t target, uint32_t source, const rk_msg_header& header,
                    const void* payload);

// Asks rank `rank` (the forwarding thread sends it) for its launched kernel `name`, waiting
// up to wait_ms there and until `give_up` here; `lock` holds the directory. The group may
// be left meanwhile: the caller checks g_group again.
rk_result lookup(std::unique_lock<std::mutex>& lock, Group& g, uint32_t rank, const std::string& name, uint32_t wait_ms,
                 std::chrono::steady_clock::time_point give_up, uint32_t& handle, uint32_t& max_payload);

// The transport's progress with its callbacks, the directory held by this thread.
uint32_t progress_locked(Group& g);

// group_receive.cpp
void deliver_callback(void* user, const rk_transport_delivery* d);
void peer_lost_callback(void* user, uint32_t rank, const char* detail);
bool retry_held(Group& g);
bool send_farewells(Group& g);  // to every rank whose leaving we took
bool answer_asked(Group& g);
bool send_backs(Group& g);  // the `back` messages kernel_back_locked queued  // lookups from other ranks whose kernel is there now, or whose time is up

// group_host.cpp
bool send_host_out(Group& g);  // the forwarding thread: host messages within the credits
void host_reply_arrived(Group& g, const rk_msg_header& header, const void* payload);
void fail_host_requests(Group& g, uint32_t rank, rk_result result, const std::string& why);  // rank ~0u: all

}  // namespace rk::core::group
