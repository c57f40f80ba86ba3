// The process group: K2K between processes through a transport plugin (docs/distributed.md).
//
// One group per process. The forwarding thread of bridge/remote_k2k.cpp owns the transport
// once the group is joined: it sends what kernels put in their runtimes' egress queues for
// kernels of other ranks, and writes what arrives into inboxes as a host producer. Every
// function here runs with the directory lock held (hold_directory) unless it says otherwise;
// the transport is used only under it, or by idle_wait.
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

#include "bridge/remote_k2k.hpp"
#include "ringkernel.h"

struct rk_registry_s;

namespace rk::core::group {

// Not with the directory held: joining connects (blocking), leaving closes.
rk_result join(rk_registry_s& registry, const rk_group_options* options);
rk_result leave();
rk_result status(rk_group_status& out);
rk_result peer_state(uint32_t rank, rk_group_peer_state& state, std::string& why);

// The host's own messages to a kernel "R/name" of another rank (group_host.cpp). Not with
// the directory held. request: the reply is the kernel's answer by its reply address.
struct HostSend {
  uint32_t type_id = 0;
  uint32_t size = 0;
  const void* payload = nullptr;
  uint32_t flags = 0;           // RK_MSG_FLAG_* as the caller set them (rk_send_options)
  uint64_t correlation_id = 0;
};
rk_result host_send(const std::string& peer, const HostSend& message, uint64_t timeout_ns, uint64_t* message_id);
// Looks up kernel "R/name" (waiting up to the group's lookup time for rank R to create it)
// and caches it for the sends: rk_runtime_find_kernel of a remote name.
// RK_ERROR_UNKNOWN_KERNEL when rank R has no such kernel.
rk_result host_find(const std::string& peer, uint32_t& max_payload);
rk_result host_request(const std::string& peer, uint32_t type_id, const void* payload, uint32_t size, uint64_t timeout_ns,
                       rk_msg_header* reply_header, void* reply, uint32_t capacity, uint32_t* reply_size);

// "R/name": a kernel of rank R. False for any other peer name (a name of this process), and
// then rank and name are left as they were.
bool split_rank_name(const std::string& peer, uint32_t& rank, std::string& name);
// This process is in a group as `rank`. Not with the directory held.
bool is_own_rank(uint32_t rank);
// Rank `rank` is another member of this process's group, still connected. Directory held.
bool rank_connected_locked(uint32_t rank);

// The route id for peer "R/name" in `local`'s table. For another rank it asks that rank for
// the kernel and waits (bounded) for the answer; for this process's own rank, `name` is a
// local name and id stays 0 (the caller resolves it). Not with the directory held, unless
// `directory_held`: then only a route that exists already is found.
rk_result resolve(rk_runtime_s* local, uint32_t rank, const std::string& name, uint32_t& id, bool directory_held);

// Held by the forwarding thread around each pass, after the directory lock: one thread at a
// time uses the transport, even while a stopping forwarder still sleeps in idle_wait and its
// successor has started. Empty without a group.
std::unique_lock<std::mutex> hold_transport_locked();
// The same without waiting (an idle kernel's assist): may not own it, then skip the pass.
std::unique_lock<std::mutex> try_hold_transport_locked();
bool joined_locked();  // this process is in a group

// Sends one egress message to a kernel of another rank: target_full while the peer's
// credits or the transport's send window are used up (it stays at the egress head).
Delivery send_locked(rk_runtime_s* runtime, const RemoteEnd& end, const rk_msg_header& message, std::string& why);
// After a dropped send: false when routes to `rank` must close (it is lost, or we left).
bool route_stays_open_locked(uint32_t rank);

// One pass of the forwarding thread: the transport's progress (deliveries), held messages,
// lookups, credits. True when anything moved.
bool pass_locked();

// Outside the lock: sleeps up to timeout_ns in the transport's wake-up mode. False (at once)
// when no group is joined.
bool idle_wait(uint64_t timeout_ns);

// Migration (bridge/remote_k2k.cpp reroute_locked): what other ranks send to kernel `id`
// of `from` goes to `to_id` of `to` from now on.
void reroute_exports_locked(rk_runtime_s* from, uint32_t id, rk_runtime_s* to, uint32_t to_id);

// A kernel of `runtime` was launched under `kernel_id`: the ranks told its export was gone
// (an earlier kernel of that name ended) are told it is back by the next pass, so their
// routes to it open again, as routes within the process do.
void kernel_back_locked(rk_runtime_s* runtime, uint32_t kernel_id, uint32_t max_payload);

// Before a launch parks anything: asks the ranks named by `peers` ("R/name") for their
// kernels, so the launch itself finds them without waiting on the network.
rk_result look_up_peers(const std::vector<std::string>& peers);

// For hang dumps: the group and each rank as this process sees it ("" when not joined).
std::string describe_locked();

// A runtime leaves the directory: its kernels' exports are forgotten.
void forget_runtime_locked(rk_runtime_s* runtime);

// Not with the directory held: waits until every message sent to another rank was taken
// there (acknowledged) or counted lost; `egress_too`: and every runtime's egress queue is
// empty. RK_SUCCESS at once without a group.
// `routing`: only when that runtime routes to other processes at all. The target is what
// was sent when called, so traffic that goes on meanwhile does not hold the caller up.
rk_result wait_acknowledged(std::chrono::steady_clock::time_point deadline, bool egress_too = false,
                            const rk_runtime_s* routing = nullptr);

}  // namespace rk::core::group
