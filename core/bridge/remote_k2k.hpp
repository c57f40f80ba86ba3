// K2K between runtimes of one process (docs/bridge.md, "K2K between runtimes").
//
// A kernel may name as a peer a kernel of another runtime (another device or backend).
// The handler's side does not change: in its own runtime the peer is a proxy route whose
// "inbox" is that runtime's egress queue (MPSC, written by its kernels). One forwarding
// thread per process (while any runtime has an egress queue) drains the egress queues and
// writes each message into the target kernel's inbox as a host producer, giving the sender
// a proxy id in the target's runtime so K2K replies find their way back the same way. A
// full target inbox leaves the message at the egress head: the egress queue fills, then
// senders' outboxes, then their waiting sends; nothing is dropped for lack of room, and
// nothing is buffered on the host. Messages for other targets go on past it (forward_pass).
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "ringkernel.h"
#include "runtime/device_calls.hpp"

namespace rk::core {

constexpr uint32_t kThisProcess = UINT32_MAX;

// A kernel of another runtime, as one runtime's proxy route names it: of this process
// (runtime, kernel_id), or of another process of the group (distributed/group.hpp).
struct RemoteEnd {
  rk_runtime_s* runtime = nullptr;
  uint32_t serial = 0;     // runtime->serial: a runtime made later at the same address is another
  uint32_t kernel_id = 0;  // its id in its own runtime
  uint32_t rank = kThisProcess;
  uint32_t handle = 0;     // another process's: the kernel's export handle there
  std::string name;        // another process's: "R/name" when known (snapshots carry it)
};

struct Egress {
  MappedBuffer memory;
  rk_control_block* control = nullptr;  // the doorbell block senders ring (proxy routes' control_ptr)
  uint64_t control_device = 0;
  rk_queue_header* queue = nullptr;
  uint64_t queue_device = 0;
  uint64_t* sequence = nullptr;
  uint8_t* slots = nullptr;
  uint32_t capacity = 0;
  uint32_t slot_size = 0;
  std::unordered_map<uint32_t, RemoteEnd> proxies;  // proxy id -> target (directory lock held)
  // Slots the forwarding passes over, ascending: sends carried along by their moving sender
  // (EgressCarry), slots claimed for that and not needed, and messages already handed on
  // out of turn while one for a full target waited ahead of them (forward_pass). Directory
  // lock held.
  std::deque<uint64_t> carried;
};

// Every runtime joins the process-wide directory when it opens and leaves it before its
// kernels go; after leave returns, no bridge touches its memory.
void directory_join(rk_runtime_s* runtime);
void directory_leave(rk_runtime_s* runtime);

// Held while a kernel leaves its table, so forwarding never finds it half gone.
std::unique_lock<std::mutex> hold_directory();

// Calls `visit` for every joined runtime, the directory lock held (hang dumps).
void for_each_joined_runtime(const std::function<void(rk_runtime_s*)>& visit);

// A peer name that names no kernel of `local`: when exactly one other runtime has a kernel
// of that name, `id` becomes a proxy id in local's table (both runtimes get an egress queue,
// and the forwarding thread runs). `id` 0 with RK_SUCCESS: no other runtime has it either.
rk_result resolve_remote_peer(rk_runtime_s* local, const std::string& name, uint32_t& id);

// The same, the directory already held (hold_directory).
rk_result resolve_remote_peer_locked(rk_runtime_s* local, const std::string& name, uint32_t& id);

// Both runtimes get their egress queue now (allocating device memory), before a migration
// freezes kernels: on backends that park kernels to allocate, that cannot happen later.
rk_result prepare_egress(rk_runtime_s* a, rk_runtime_s* b);

// Migration (runtime/migrate.hpp), the directory held and every kernel of `from` parked:
// route `id` of `from`, whose kernel moved away, leads through the forwarder to kernel
// `to_id` of `to` from now on, and so does every other runtime's proxy that led to it.
rk_result reroute_locked(rk_runtime_s* from, uint32_t id, rk_runtime_s* to, uint32_t to_id, uint32_t max_payload);

// What a moving kernel sent to other runtimes and processes and left waiting in its old
// runtime's egress queue goes along with it (migrate.cpp, move_locked), ahead of anything
// its twin sends: the order per target holds across the move, and nothing waits for the old
// queue to drain (which, with the kernel parked, could wait on the kernel itself). The new
// runtime's slots are claimed first, so the move can still fail with nothing lost. Sends to
// kernels of the runtime it moves to go ahead of its outbox instead (local_sends: the move
// puts them into the snapshot it restores; where they do not fit, it refuses to move). All
// with the directory held.
class EgressCarry {
 public:
  // Finds them and claims room for them. RK_ERROR_QUEUE_FULL: not enough room now.
  rk_result prepare_locked(rk_kernel_s* old, rk_kernel_s* twin);
  // Those for kernels of the twin's runtime, oldest first: header, then payload.
  const std::vector<const rk_msg_header*>& local_sends() const { return local_; }
  void commit_locked();  // the move is done: they are written in under the twin's id
  void cancel_locked();  // the move failed: the claimed slots are passed over

 private:
  rk_runtime_s* from_ = nullptr;
  rk_runtime_s* to_ = nullptr;
  uint32_t twin_id_ = 0;
  std::vector<std::pair<uint64_t, uint32_t>> moves_;  // old slot -> the target's id in to_
  std::vector<uint64_t> claimed_;
  std::vector<const rk_msg_header*> local_;
  std::vector<uint64_t> local_slots_;
};

// A migration's twin was made (rk_kernel_migrate): until the move, its id in its runtime
// leads to the kernel it was made for, so kernels there that name it reach the kernel, not
// the twin's inbox, which the move fills. Takes the directory.
rk_result route_twin_to_original(rk_kernel_s* twin, rk_kernel_s* original);

// A migration's twin lands in its runtime (migrate.cpp, move_locked; the directory held,
// after reroute_locked). Kernels there may hold proxies that lead to it, made while it was
// elsewhere (reply addresses, peers named then), or its own id, which a move away from
// there left a proxy and which kernels there that name it as a peer hold (it led to the
// kernel through the egress queue while it was away), with messages through them still
// waiting in the runtime's egress queue. A direct route for its own id would let what they send
// next overtake those: then its id stays a proxy too, leading home through the egress
// queue, so everything sent to it from there keeps one order. False: no such proxy, and the
// caller publishes the direct route.
bool route_home_through_egress_locked(rk_kernel_s* twin);

// A kernel was launched (its route is live): other runtimes' proxies to its runtime and id,
// closed when an earlier kernel of that name ended, open again, as a local route does; and
// other processes told that kernel was gone are told it is back (group::kernel_back_locked).
// Takes the directory; a kernel's lifecycle lock may be held.
void reopen_proxies_to(rk_kernel_s* kernel);
void reopen_proxies_to_locked(rk_kernel_s* kernel);  // the same, the directory held

// The name of the kernel of another runtime that `local` routes to under proxy id `id`;
// "" when the id is no proxy or its kernel is gone.
std::string remote_kernel_name(rk_runtime_s* local, uint32_t id);
std::string remote_kernel_name_locked(rk_runtime_s* local, uint32_t id);  // the directory held

// Waits until every message in the runtime's egress queue when called has been handed
// on (or dropped and counted): a terminated sender's messages then are in their targets'
// inboxes. RK_ERROR_TIMEOUT at the deadline (a target that stays full).
rk_result wait_egress_handed_on(rk_runtime_s* runtime, std::chrono::steady_clock::time_point deadline);

// --- For the process group (distributed/group.hpp); the directory held unless said. ---

enum class Delivery { delivered, dropped, target_full };

const std::vector<rk_runtime_s*>& joined_runtimes_locked();

// Writes one message into `target`'s inbox as a host producer; `header` already names the
// target (dest_kernel) and the sender as the target's runtime knows it (source_kernel).
// dropped: `why` says why (the target is terminated, not launched, or the payload too big).
Delivery write_to_kernel_locked(rk_runtime_s* runtime, rk_kernel_s* target, const rk_msg_header& header,
                                const void* payload, std::string& why);

// The proxy id under which `local` routes to export `handle` of rank `rank` (made on first
// use, with local's egress queue); 0 when local's K2K table is full.
uint32_t rank_proxy_locked(rk_runtime_s* local, uint32_t rank, uint32_t handle, const std::string& name,
                           uint32_t max_payload);
// A migration carries a message from a kernel of another process by its sender's address,
// the proxy's own key ("@rR#H": export handle H of rank R), which means something only in
// this process's group: the route `local` has for it (made if need be), or 0 when `key` is
// no such address, its rank is not connected (lost, or the group was left), or local's K2K
// table is full.
uint32_t sender_address_route_locked(rk_runtime_s* local, const std::string& key);
bool is_sender_address(const std::string& key);
std::string sender_address(uint32_t rank, uint32_t handle);  // also the rank proxy's key in the kernel table
// The proxy of `local` that leads to "R/name", or 0.
uint32_t find_rank_proxy_locked(rk_runtime_s* local, uint32_t rank, const std::string& name);
// Closes every route to a kernel of `rank` (a lost peer, or this process left the group):
// handlers' later sends there fail.
void close_rank_routes_locked(uint32_t rank);
// The same for the routes to one kernel of `rank`, by its export handle there (it is gone).
void close_rank_handle_routes_locked(uint32_t rank, uint32_t handle);
// A kernel that sent a message from `runtime` as `id` and has moved since (rk_kernel_migrate;
// the message left the old runtime's egress queue after the move): where it is now, followed
// through every move. Left as they are when it has not moved.
void where_sender_is_now_locked(rk_runtime_s*& runtime, uint32_t& id);
// They open again: that rank launched a kernel under the handle again (WireKind::back).
void reopen_rank_handle_routes_locked(uint32_t rank, uint32_t handle, uint32_t max_payload);
// Forgets every route to another process (this process left its group): a later group
// makes them again, live.
void forget_rank_routes_locked();
// Whether `runtime` routes to any kernel of another process.
bool routes_to_ranks_locked(const rk_runtime_s* runtime);

// The forwarding thread runs while anything needs it: each runtime with an egress queue,
// and a joined group, holds it once.
void forwarder_acquire_locked();
void forwarder_release();  // not with the directory held (it may join the thread)

// Frees the runtime's egress queue (after directory_leave and its kernels).
void free_egress(rk_runtime_s* runtime);

// rk_host_services.idle_assist: an idle cpu_sim kernel thread runs one forwarding pass when
// there is forwarding to do and no other thread is at it; true when it ran one (in place
// of the caller's yield, a system call: measured, passes that find nothing still answer a
// waiting kernel sooner than yields; tried and not kept: yielding after every 8th or every
// fruitless pass, 4-50 us per cross-process hop instead of ~2).
bool forwarding_assist();

}  // namespace rk::core
