#include "bridge/remote_k2k.hpp"

#include <sys/prctl.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstring>
#include <thread>
#include <utility>
#include <vector>

#include "api/error.hpp"
#include "bridge/kernel_assist.hpp"
#include "distributed/group.hpp"
#include "distributed/wire.hpp"
#include "plugin/discovery.hpp"
#include "runtime/kernel_messaging.hpp"
#include "queue/queue_init.hpp"
#include "runtime/host_dialect.hpp"
#include "runtime/kernel.hpp"
#include "runtime/kernel_ops.hpp"
#include "runtime/ring_block.hpp"
#include "runtime/runtime.hpp"

namespace rk::core {
namespace {

// 256 slots of 4 KiB payload: about 1 MiB per runtime that talks to another one.
constexpr uint32_t kEgressCapacity = 256;
constexpr uint32_t kEgressPayload = 4096;
constexpr uint32_t kForwardBatch = 64;  // per pass, so one busy egress does not starve the rest

std::mutex g_mutex;  // the directory, every Egress::proxies, forwarding, the forwarder
// Threads blocked on g_mutex: idle kernel threads, which only try-lock it, leave it to them
// (a try-lock in every idle round would otherwise win it again and again).
std::atomic<uint32_t> g_directory_waiters{0};

// Both never destroyed by a static destructor: kernel threads of runtimes a program did not
// destroy may still run forwarding passes (forwarding_assist) while the process exits.
std::vector<rk_runtime_s*>& g_runtimes = *new std::vector<rk_runtime_s*>();
uint32_t g_next_serial = 1;

// One forwarding thread for the process while any runtime has an egress queue: a hop
// between two runtimes and its answer then cost one thread, not two runtimes' bridges.
struct Forwarder {
  std::thread thread;
  std::shared_ptr<std::atomic<bool>> stop = std::make_shared<std::atomic<bool>>(false);
};
// Never destroyed by a static destructor: a program that exits without destroying its
// runtimes must not meet a joinable std::thread at exit (std::terminate).
Forwarder* g_forwarder = nullptr;
// Runtimes with an egress queue, and a joined group. Changed under g_mutex; atomic because
// idle kernels' forwarding_assist reads it without the lock.
std::atomic<uint32_t> g_forwarder_users{0};

bool forward_pass(rk_runtime_s* runtime);

std::atomic<int64_t> g_assisted_ns{0};  // an idle kernel thread last ran a forwarding pass
std::atomic<int64_t> g_moved_ns{0};     // a forwarding pass (any thread's) last moved something

int64_t steady_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// One pass of the forwarder's work: every runtime's egress, then what the group brought.
bool forwarding_pass_locked() {
  bool moved = false;
  for (rk_runtime_s* runtime : g_runtimes)
    if (runtime->egress) moved |= forward_pass(runtime);
  moved |= group::pass_locked();  // what came from other processes, credits, lookups
  if (moved) g_moved_ns.store(steady_ns(), std::memory_order_relaxed);
  return moved;
}

void forwarder_loop(std::shared_ptr<std::atomic<bool>> stop) {
  // Its idle sleeps are 10 and 100 us: with the default 50 us timer slack a 10 us sleep
  // lasts about 60, and every hop between runtimes or processes that finds it asleep waits.
  prctl(PR_SET_TIMERSLACK, 1000UL, 0, 0, 0);
  uint32_t idle_rounds = 0;
  while (!stop->load(std::memory_order_acquire)) {
    bool moved = false;
    if (steady_ns() - g_assisted_ns.load(std::memory_order_relaxed) < 20'000) {
      std::this_thread::sleep_for(std::chrono::microseconds(10));  // idle kernels forward meanwhile
      idle_rounds = 0;
      continue;
    }
    {
      std::lock_guard lock(g_mutex);  // not counted as a waiter: kernels' passes stand in for these
      std::unique_lock transport = group::hold_transport_locked();
      moved = forwarding_pass_locked();
    }
    if (moved) {
      idle_rounds = 0;
    } else if (idle_rounds < 256 || !group::idle_wait(idle_rounds < 2048 ? 10'000 : 100'000)) {
      backoff(idle_rounds++);  // spin, yield, then sleep in bounded steps
    } else {
      ++idle_rounds;  // slept in the transport's wake-up mode: a message from another process wakes it
    }
  }
}

RemoteEnd in_process(rk_runtime_s* runtime, uint32_t kernel_id) {
  RemoteEnd end;
  end.runtime = runtime;
  end.serial = runtime->serial;
  end.kernel_id = kernel_id;
  return end;
}

bool joined(const rk_runtime_s* runtime) {
  return std::find(g_runtimes.begin(), g_runtimes.end(), runtime) != g_runtimes.end();
}

// The runtime `end` was made for is still there: joined (so its memory is live) and the
// same one, not a later runtime that got its address.
bool still_there(const RemoteEnd& end) { return joined(end.runtime) && end.runtime->serial == end.serial; }

// Whether `end` names kernel `id` of `runtime` (a live runtime: its serial tells it from an
// earlier one at the same address).
bool leads_to(const RemoteEnd& end, const rk_runtime_s* runtime, uint32_t id) {
  return end.rank == kThisProcess && end.runtime == runtime && end.serial == runtime->serial && end.kernel_id == id;
}

// Whether route `id` of `runtime` is a proxy: it leads into the runtime's egress queue.
// (An id a kernel left behind when it moved is one until a kernel takes it over again; its
// entry in Egress::proxies stays, for messages sent through it before.)
bool is_proxy_route(const rk_runtime_s* runtime, uint32_t id) {
  return runtime->egress && runtime->kernels->routes[id].inbox_ptr == runtime->egress->queue_device;
}

// Whether the slot at `index`, the egress queue's head, is one a moving sender took along
// (EgressCarry) or one handed on out of turn (forward_pass): then it is passed over, and
// forgotten.
bool pass_over_carried(Egress& egress, uint64_t index) {
  if (egress.carried.empty() || egress.carried.front() != index) return false;
  egress.carried.pop_front();
  return true;
}

// Every proxy that leads to kernel `id` of `runtime`, with its route there. `runtime`'s own
// count too: a proxy there that led to a kernel of another runtime leads home once that
// kernel moved into `runtime`, and must follow it when it moves on. Entries whose id is a
// kernel's own route by now do not.
template <class Fn>
void for_each_proxy_to(const rk_runtime_s* runtime, uint32_t id, Fn fn) {
  for (rk_runtime_s* other : g_runtimes) {
    if (!other->egress) continue;
    for (auto& [proxy, end] : other->egress->proxies)
      if (leads_to(end, runtime, id) && is_proxy_route(other, proxy)) fn(end, other->kernels->routes[proxy]);
  }
}

// Where a message of an egress queue lies.
const rk_msg_header* egress_message(const Egress& egress, uint64_t index) {
  return reinterpret_cast<const rk_msg_header*>(egress.slots + (index & (egress.capacity - 1u)) * size_t{egress.slot_size});
}

rk_result ensure_egress(rk_runtime_s* runtime) {
  if (runtime->egress) return RK_SUCCESS;
  auto egress = std::make_shared<Egress>();
  const uint32_t slot_size = RK_MSG_HEADER_SIZE + kEgressPayload;
  const size_t queue_at = sizeof(rk_control_block);
  const size_t bytes = queue_at + queue_bytes(kEgressCapacity, slot_size, RK_QUEUE_MPSC);
  if (rk_result r = allocate_mapped(runtime, bytes, egress->memory); r != RK_SUCCESS) return r;
  auto* host = static_cast<uint8_t*>(egress->memory.host);
  std::memset(host, 0, sizeof(rk_control_block));
  queue_init(host + queue_at, egress->memory.device + queue_at, kEgressCapacity, slot_size, RK_QUEUE_MPSC);
  egress->control = reinterpret_cast<rk_control_block*>(host);
  egress->control_device = egress->memory.device;
  egress->queue = reinterpret_cast<rk_queue_header*>(host + queue_at);
  egress->queue_device = egress->memory.device + queue_at;
  egress->slots = host + queue_at + queue_detail::slots_offset();
  egress->sequence = reinterpret_cast<uint64_t*>(host + queue_at + queue_detail::sequence_offset(kEgressCapacity, slot_size));
  egress->capacity = kEgressCapacity;
  egress->slot_size = slot_size;
  runtime->egress = std::move(egress);
  forwarder_acquire_locked();
  return RK_SUCCESS;
}

// Route `id` of `local` (a proxy named `key`) leads into local's egress queue from now on.
void open_proxy_route(rk_runtime_s* local, uint32_t id, const std::string& key, uint32_t max_payload) {
  const Egress& egress = *local->egress;
  rk_k2k_route& route = local->kernels->routes[id];
  route.inbox_ptr = egress.queue_device;
  route.control_ptr = egress.control_device;
  route.kernel_id = id;
  route.max_payload = std::min(max_payload, kEgressPayload);
  route.name_hash = fnv1a32(key);
  rk_store_release_u32(&route.state, RK_ROUTE_LIVE);  // after the fields: senders acquire it
}

// The id under which `local` routes to kernel `remote_id` of `remote`: one per target,
// named "@<runtime serial>#<id>" in local's table (no kernel can take such a name).
uint32_t proxy_id(rk_runtime_s* local, rk_runtime_s* remote, uint32_t remote_id, uint32_t max_payload) {
  Egress& egress = *local->egress;
  std::string key = "@";  // appended, not "@" + ...: GCC 12 -O3 warns (-Wrestrict) on the insert that builds
  key += std::to_string(remote->serial);
  key += '#';
  key += std::to_string(remote_id);
  uint32_t id = local->kernels->id_for(key);
  if (id == 0 || egress.proxies.count(id) != 0) return id;
  egress.proxies[id] = in_process(remote, remote_id);
  open_proxy_route(local, id, key, max_payload);
  return id;
}

void close_proxy(rk_runtime_s* runtime, uint32_t id) {
  rk_store_release_u32(&runtime->kernels->routes[id].state, RK_ROUTE_CLOSED);
}

Delivery drop(rk_runtime_s* runtime, const rk_msg_header& message, const std::string& why, bool log = true) {
  // relaxed: a statistic; the sender's telemetry adds it to its dropped count
  if (rk_kernel_s* sender = runtime->kernels->find_id(message.source_kernel))
    sender->host_dropped.fetch_add(1, std::memory_order_relaxed);
  if (log)
    log_warn("a K2K message (type " + std::to_string(message.type_id) + ") to a kernel of another runtime was dropped: " +
           why);
  return Delivery::dropped;
}

// `to`: where its proxy id leads (Egress::proxies, looked up by the pass), or null.
Delivery deliver(rk_runtime_s* runtime, Egress& egress, const rk_msg_header& message, const RemoteEnd* to) {
  if (message.payload_size > egress.slot_size - RK_MSG_HEADER_SIZE)  // a slot's header is device-written
    return drop(runtime, message, "its header claims " + std::to_string(message.payload_size) +
                                      " payload bytes, more than an egress slot holds");
  if (to == nullptr) return drop(runtime, message, "no route to another runtime has that id");
  const RemoteEnd& end = *to;
  if (end.rank != kThisProcess) {  // a kernel of another process
    std::string why;
    Delivery sent = group::send_locked(runtime, end, message, why);
    if (sent == Delivery::dropped) {
      // Once per route when its rank is lost, not once per message still queued for it.
      const bool open = rk_load_acquire_u32(&runtime->kernels->routes[message.dest_kernel].state) == RK_ROUTE_LIVE;
      if (!group::route_stays_open_locked(end.rank)) close_proxy(runtime, message.dest_kernel);
      return drop(runtime, message, why + (open ? "" : " (and later ones to it, counted, not logged)"), open);
    }
    return sent;
  }
  if (!still_there(end)) {
    close_proxy(runtime, message.dest_kernel);
    return drop(runtime, message, "the target's runtime was destroyed");
  }
  rk_kernel_s* target = end.runtime->kernels->find_id(end.kernel_id);
  const rk_kernel_state state = target ? target->state.load() : RK_KERNEL_TERMINATED;
  if (state == RK_KERNEL_TERMINATING || state == RK_KERNEL_TERMINATED) {
    close_proxy(runtime, message.dest_kernel);  // later sends fail in the handler
    return drop(runtime, message, "the target kernel is terminated");
  }
  uint32_t source = RK_KERNEL_ID_HOST;
  if (message.source_kernel != RK_KERNEL_ID_HOST) {  // so a K2K reply finds its way back
    // To where the sender is now: one that moved since this left would be answered at its old place.
    rk_runtime_s* sender_runtime = runtime;
    source = message.source_kernel;
    where_sender_is_now_locked(sender_runtime, source);
    if (sender_runtime != end.runtime) {
      rk_kernel_s* sender = sender_runtime->kernels->find_id(source);
      source = proxy_id(end.runtime, sender_runtime, source, sender ? sender->config.max_payload_size : 64u);
    }
    if (source == 0) return drop(runtime, message, "the target runtime's K2K table is full");
  }
  rk_msg_header header = message;
  header.dest_kernel = end.kernel_id;
  header.source_kernel = source;
  std::string why;
  Delivery delivered = write_to_kernel_locked(end.runtime, target, header, &message + 1, why);
  return delivered == Delivery::dropped ? drop(runtime, message, why) : delivered;
}

}  // namespace

void directory_join(rk_runtime_s* runtime) {
  auto lock = hold_directory();
  runtime->serial = g_next_serial++;
  g_runtimes.push_back(runtime);
}

void directory_leave(rk_runtime_s* runtime) {
  bool had_egress = false;
  {
    auto lock = hold_directory();
    if (std::find(g_runtimes.begin(), g_runtimes.end(), runtime) == g_runtimes.end()) return;
    std::erase(g_runtimes, runtime);
    group::forget_runtime_locked(runtime);  // other processes' messages for it are dropped now
    had_egress = runtime->egress != nullptr;
  }
  if (had_egress) forwarder_release();
}

void forwarder_acquire_locked() {
  if (g_forwarder_users.fetch_add(1, std::memory_order_relaxed) == 0) {
    set_idle_assist(forwarding_assist);  // idle cpu_sim kernel threads may forward from now on
    g_forwarder = new Forwarder();
    g_forwarder->thread = std::thread(forwarder_loop, g_forwarder->stop);
  }
}

void forwarder_release() {
  std::unique_ptr<Forwarder> last;
  {
    auto lock = hold_directory();
    if (g_forwarder_users.fetch_sub(1, std::memory_order_relaxed) == 1) last.reset(std::exchange(g_forwarder, nullptr));
  }
  if (last) {  // joined outside the lock it takes
    last->stop->store(true, std::memory_order_release);
    last->thread.join();
  }
}

const std::vector<rk_runtime_s*>& joined_runtimes_locked() { return g_runtimes; }

Delivery write_to_kernel_locked(rk_runtime_s* runtime, rk_kernel_s* target, const rk_msg_header& header,
                                const void* payload, std::string& why) {
  const rk_kernel_state state = target->state.load();
  if (state == RK_KERNEL_TERMINATING || state == RK_KERNEL_TERMINATED) {
    why = "the target kernel '" + target->config.name + "' is terminated";
    return Delivery::dropped;
  }
  // A migration's twin takes messages from the move on: its inbox is filled by the move.
  if (target->migration_twin.load()) return Delivery::target_full;
  // Its id's route may be live while it is Created: the proxy an earlier kernel of that name
  // left when it moved away. Its queues do not exist yet.
  if (state == RK_KERNEL_CREATED || rk_load_acquire_u32(&runtime->kernels->routes[target->id].state) != RK_ROUTE_LIVE) {
    why = "the target kernel '" + target->config.name + "' is not launched yet";
    return Delivery::dropped;
  }
  if (header.payload_size > target->config.max_payload_size) {
    why = "its payload (" + std::to_string(header.payload_size) + " bytes) is larger than '" + target->config.name +
          "' takes";
    return Delivery::dropped;
  }
  const uint32_t capacity = target->config.inbox_capacity;  // ours, not the shared header's
  rk_reservation claim = rk_mpsc_try_claim_in(target->views.inbox, target->views.inbox_sequence, capacity);
  if (claim.count == 0) return Delivery::target_full;
  uint8_t* slots = target->ring_host + target->layout.inbox + queue_detail::slots_offset();
  uint8_t* slot = slots + (claim.index & (capacity - 1u)) * target->config.slot_size;
  rk_msg_header copy = header;
  copy.publish_seq = 0;  // MPSC slots publish through the sequence array
  std::memcpy(slot, &copy, sizeof(copy));
  std::memcpy(slot + sizeof(copy), payload, header.payload_size);
  rk_mpsc_publish_in(target->views.inbox_sequence, capacity, claim.index);
  if (runtime->kernels_park) ring_kernel_doorbell(target->views.control);
  return Delivery::delivered;
}

uint32_t rank_proxy_locked(rk_runtime_s* local, uint32_t rank, uint32_t handle, const std::string& name,
                           uint32_t max_payload) {
  if (ensure_egress(local) != RK_SUCCESS) return 0;
  Egress& egress = *local->egress;
  const std::string key = sender_address(rank, handle);
  uint32_t id = local->kernels->id_for(key);
  if (id == 0) return 0;
  auto [it, made] = egress.proxies.try_emplace(id);
  if (!made) {
    if (it->second.name.empty()) it->second.name = name;
    return id;
  }
  it->second = RemoteEnd{nullptr, 0, 0, rank, handle, name};
  open_proxy_route(local, id, key, max_payload);
  return id;
}

std::string sender_address(uint32_t rank, uint32_t handle) {
  return "@r" + std::to_string(rank) + "#" + std::to_string(handle);  // read back by sender_address_route_locked
}

bool is_sender_address(const std::string& key) { return key.rfind("@r", 0) == 0 && key.find('#') != std::string::npos; }

uint32_t sender_address_route_locked(rk_runtime_s* local, const std::string& key) {
  unsigned rank = 0, handle = 0;
  int used = 0;
  if (!is_sender_address(key) || std::sscanf(key.c_str(), "@r%u#%u%n", &rank, &handle, &used) != 2 ||
      used != static_cast<int>(key.size()) || !group::rank_connected_locked(rank))
    return 0;  // not an address, or of a rank this process no longer reaches (lost, or the group left)
  return rank_proxy_locked(local, rank, handle, "", group::kMaxPayloadBytes);
}

uint32_t find_rank_proxy_locked(rk_runtime_s* local, uint32_t rank, const std::string& name) {
  if (!local->egress) return 0;
  for (auto& [id, end] : local->egress->proxies)
    if (end.rank == rank && end.name == name) return id;
  return 0;
}

void close_rank_handle_routes_locked(uint32_t rank, uint32_t handle) {
  for (rk_runtime_s* runtime : g_runtimes) {
    if (!runtime->egress) continue;
    for (auto& [id, end] : runtime->egress->proxies)
      if (end.rank == rank && end.handle == handle) close_proxy(runtime, id);
  }
}

void where_sender_is_now_locked(rk_runtime_s*& runtime, uint32_t& id) {
  // Each move leaves the id behind as a proxy to where the kernel went (reroute_locked): the
  // route there leads into the egress queue. Anything else (the kernel itself, a move not
  // rerouted yet, a closed route) means "here".
  for (int hop = 0; hop < 64 && runtime->egress; ++hop) {  // the bound only guards against a cycle
    if (id >= runtime->kernels->max_kernels() || !is_proxy_route(runtime, id)) return;  // the id is device-written
    auto it = runtime->egress->proxies.find(id);
    if (it == runtime->egress->proxies.end() || it->second.rank != kThisProcess || !still_there(it->second)) return;
    if (leads_to(it->second, runtime, id)) return;  // a kernel's own id leading home (route_home_through_egress_locked)
    runtime = it->second.runtime;
    id = it->second.kernel_id;
  }
}

void reopen_rank_handle_routes_locked(uint32_t rank, uint32_t handle, uint32_t max_payload) {
  for (rk_runtime_s* runtime : g_runtimes) {
    if (!runtime->egress) continue;
    for (auto& [id, end] : runtime->egress->proxies) {
      if (end.rank != rank || end.handle != handle) continue;
      rk_k2k_route& route = runtime->kernels->routes[id];
      route.max_payload = std::min(max_payload, kEgressPayload);
      rk_store_release_u32(&route.state, RK_ROUTE_LIVE);  // after the field: senders acquire it
    }
  }
}

void forget_rank_routes_locked() {
  for (rk_runtime_s* runtime : g_runtimes) {
    if (!runtime->egress) continue;
    std::erase_if(runtime->egress->proxies, [runtime](const auto& entry) {
      if (entry.second.rank == kThisProcess) return false;
      close_proxy(runtime, entry.first);
      return true;
    });
  }
}

bool routes_to_ranks_locked(const rk_runtime_s* runtime) {
  if (!runtime->egress) return false;
  for (const auto& [id, end] : runtime->egress->proxies)
    if (end.rank != kThisProcess) return true;
  return false;
}

void close_rank_routes_locked(uint32_t rank) {
  for (rk_runtime_s* runtime : g_runtimes) {
    if (!runtime->egress) continue;
    for (auto& [id, end] : runtime->egress->proxies)
      if (end.rank == rank) close_proxy(runtime, id);
  }
}

std::unique_lock<std::mutex> hold_directory() {
  g_directory_waiters.fetch_add(1, std::memory_order_relaxed);  // counted while blocked (see g_directory_waiters)
  std::unique_lock lock(g_mutex);
  g_directory_waiters.fetch_sub(1, std::memory_order_relaxed);
  return lock;
}

void for_each_joined_runtime(const std::function<void(rk_runtime_s*)>& visit) {
  auto lock = hold_directory();
  for (rk_runtime_s* runtime : g_runtimes) visit(runtime);
}

rk_result resolve_remote_peer(rk_runtime_s* local, const std::string& name, uint32_t& id) {
  auto lock = hold_directory();
  return resolve_remote_peer_locked(local, name, id);
}

rk_result prepare_egress(rk_runtime_s* a, rk_runtime_s* b) {
  auto lock = hold_directory();
  if (rk_result r = ensure_egress(a); r != RK_SUCCESS) return r;
  return ensure_egress(b);
}

rk_result reroute_locked(rk_runtime_s* from, uint32_t id, rk_runtime_s* to, uint32_t to_id, uint32_t max_payload) {
  if (rk_result r = ensure_egress(from); r != RK_SUCCESS) return r;
  if (rk_result r = ensure_egress(to); r != RK_SUCCESS) return r;
  Egress& egress = *from->egress;
  egress.proxies[id] = in_process(to, to_id);
  group::reroute_exports_locked(from, id, to, to_id);  // other processes' messages follow it too
  rk_k2k_route& route = from->kernels->routes[id];
  rk_store_release_u32(&route.state, RK_ROUTE_CLOSED);  // no sender reads it now (they are parked); still, fields first
  route.inbox_ptr = egress.queue_device;
  route.control_ptr = egress.control_device;
  route.kernel_id = id;
  route.max_payload = std::min(max_payload, kEgressPayload);
  rk_store_release_u32(&route.state, RK_ROUTE_LIVE);
  for_each_proxy_to(from, id, [&](RemoteEnd& end, rk_k2k_route& via) {
    end = in_process(to, to_id);
    via.max_payload = std::min(max_payload, kEgressPayload);
    rk_store_release_u32(&via.state, RK_ROUTE_LIVE);  // a proxy closed on a terminated target opens again
  });
  return RK_SUCCESS;
}

rk_result EgressCarry::prepare_locked(rk_kernel_s* old, rk_kernel_s* twin) {
  from_ = old->runtime;
  to_ = twin->runtime;
  twin_id_ = twin->id;
  if (!from_->egress) return RK_SUCCESS;
  if (rk_result r = ensure_egress(to_); r != RK_SUCCESS) return r;
  Egress& from = *from_->egress;
  // Every slot is published: the old runtime's kernels are parked at message boundaries.
  const uint64_t tail = rk_load_acquire_u64(&from.queue->tail);
  for (uint64_t index = rk_load_acquire_u64(&from.queue->head); index < tail; ++index) {
    if (rk_load_acquire_u64(&from.sequence[index & (from.capacity - 1u)]) != index + 1u) continue;
    if (std::find(from.carried.begin(), from.carried.end(), index) != from.carried.end()) continue;
    const rk_msg_header& message = *egress_message(from, index);
    if (message.source_kernel != old->id || message.payload_size > from.slot_size - RK_MSG_HEADER_SIZE) continue;
    auto end = from.proxies.find(message.dest_kernel);
    if (end == from.proxies.end()) continue;  // dropped and counted there, as it would have been
    uint32_t dest = 0;
    if (end->second.rank != kThisProcess) {
      dest = rank_proxy_locked(to_, end->second.rank, end->second.handle, end->second.name, kEgressPayload);
    } else if (!still_there(end->second)) {
      continue;  // to a runtime gone: dropped and counted there, as it would have been
    } else if (end->second.runtime == to_) {
      local_.push_back(&message);  // to a kernel of the runtime it moves to: ahead of its outbox
      local_slots_.push_back(index);
      continue;
    } else {
      dest = proxy_id(to_, end->second.runtime, end->second.kernel_id, from.slot_size - RK_MSG_HEADER_SIZE);
    }
    if (dest == 0) return fail(RK_ERROR_OUT_OF_MEMORY, "the target runtime's K2K table is full");
    moves_.push_back({index, dest});
  }
  Egress& to = *to_->egress;
  for (size_t n = 0; n < moves_.size(); ++n) {
    rk_reservation claim = rk_mpsc_try_claim_in(to.queue, to.sequence, to.capacity);
    if (claim.count == 0) {
      cancel_locked();
      return fail(RK_ERROR_QUEUE_FULL, std::to_string(moves_.size()) +
                                           " message(s) it sent to other runtimes wait in its runtime's egress queue, "
                                           "and the target runtime's has no room for them now");
    }
    claimed_.push_back(claim.index);
  }
  return RK_SUCCESS;
}

void EgressCarry::commit_locked() {
  if (claimed_.empty() && local_slots_.empty()) return;
  Egress& from = *from_->egress;
  from.carried.insert(from.carried.end(), local_slots_.begin(), local_slots_.end());  // in the twin's outbox now
  local_slots_.clear();
  Egress& to = *to_->egress;
  for (size_t n = 0; n < moves_.size(); ++n) {
    const rk_msg_header& message = *egress_message(from, moves_[n].first);
    auto* slot = const_cast<rk_msg_header*>(egress_message(to, claimed_[n]));
    rk_msg_header header = message;
    header.dest_kernel = moves_[n].second;
    header.source_kernel = twin_id_;
    std::memcpy(slot, &header, sizeof header);
    std::memcpy(slot + 1, &message + 1, message.payload_size);
    rk_mpsc_publish_in(to.sequence, to.capacity, claimed_[n]);
    from.carried.push_back(moves_[n].first);
  }
  std::sort(from.carried.begin(), from.carried.end());
  claimed_.clear();
}

void EgressCarry::cancel_locked() {
  if (claimed_.empty()) return;
  Egress& to = *to_->egress;
  for (uint64_t index : claimed_) {  // published, and passed over by the forwarding
    to.carried.push_back(index);
    rk_mpsc_publish_in(to.sequence, to.capacity, index);
  }
  std::sort(to.carried.begin(), to.carried.end());
  claimed_.clear();
}

rk_result route_twin_to_original(rk_kernel_s* twin, rk_kernel_s* original) {
  auto lock = hold_directory();
  rk_runtime_s* here = twin->runtime;
  rk_k2k_route& route = here->kernels->routes[twin->id];
  // Live already: the proxy the kernel left when it last moved away from here, which leads
  // to it (each move since left one more). Unless it is another kernel's of that name.
  if (rk_load_acquire_u32(&route.state) == RK_ROUTE_LIVE && is_proxy_route(here, twin->id)) {
    rk_runtime_s* runtime = here;
    uint32_t id = twin->id;
    where_sender_is_now_locked(runtime, id);
    if (runtime == original->runtime && id == original->id) {
      twin->id_was_home_proxy = true;  // kernels here may be sending through it now
      return RK_SUCCESS;
    }
  }
  if (rk_result r = ensure_egress(here); r != RK_SUCCESS) return r;
  here->egress->proxies[twin->id] = in_process(original->runtime, original->id);
  open_proxy_route(here, twin->id, twin->config.name, original->config.max_payload_size);
  return RK_SUCCESS;
}

namespace {

// Whether another kernel of `kernel`'s runtime names it as a peer: its peer id there is the
// kernel's id, which led through the egress queue while the kernel was not there (a proxy
// to where it was, opened by route_twin_to_original if not before).
bool named_by_a_neighbour(rk_kernel_s* kernel) {
  for (const rk_kernel_s* other : kernel->runtime->kernels->all()) {
    if (other == kernel) continue;
    for (const std::string& peer : other->config.peers) {
      uint32_t rank = 0;
      std::string local = peer;
      if (group::split_rank_name(peer, rank, local) && !group::is_own_rank(rank)) continue;
      if (local == kernel->config.name) return true;
    }
  }
  return false;
}

}  // namespace

bool route_home_through_egress_locked(rk_kernel_s* twin) {
  rk_runtime_s* here = twin->runtime;
  if (!here->egress) return false;
  bool home = twin->id_was_home_proxy || named_by_a_neighbour(twin);
  for (const auto& [proxy, end] : here->egress->proxies)
    if (proxy != twin->id && leads_to(end, here, twin->id) && is_proxy_route(here, proxy)) home = true;
  if (!home) return false;
  here->egress->proxies[twin->id] = in_process(here, twin->id);
  // Already a live proxy (route_twin_to_original): kernels there may be reading it now, and
  // only where it leads changed, which is the map's. Else it opens as one.
  if (rk_load_acquire_u32(&here->kernels->routes[twin->id].state) != RK_ROUTE_LIVE || !is_proxy_route(here, twin->id))
    open_proxy_route(here, twin->id, twin->config.name, twin->config.max_payload_size);
  return true;
}

void reopen_proxies_to(rk_kernel_s* kernel) {
  auto lock = hold_directory();
  reopen_proxies_to_locked(kernel);
}

void reopen_proxies_to_locked(rk_kernel_s* kernel) {
  rk_runtime_s* runtime = kernel->runtime;
  if (!joined(runtime)) return;
  for_each_proxy_to(runtime, kernel->id, [&](RemoteEnd&, rk_k2k_route& via) {
    via.max_payload = std::min(kernel->config.max_payload_size, kEgressPayload);
    rk_store_release_u32(&via.state, RK_ROUTE_LIVE);  // after the field: senders acquire it
  });
  group::kernel_back_locked(runtime, kernel->id, kernel->config.max_payload_size);  // and other processes' routes
}

rk_result resolve_remote_peer_locked(rk_runtime_s* local, const std::string& name, uint32_t& id) {
  id = 0;
  RemoteEnd found;
  uint32_t max_payload = 0;
  int matches = 0;
  rk_kernel_s* twin = nullptr;  // a migration's twin: the one to name only while its original is found nowhere
  for (rk_runtime_s* other : g_runtimes) {
    if (other == local) continue;
    if (rk_kernel_s* kernel = other->kernels->find(name)) {
      const rk_kernel_state state = kernel->state.load();
      if (kernel->migrated.load() || state == RK_KERNEL_TERMINATING || state == RK_KERNEL_TERMINATED) continue;
      if (kernel->migration_twin.load()) {
        twin = kernel;
        continue;
      }
      found = in_process(other, kernel->id);
      max_payload = kernel->config.max_payload_size;
      ++matches;
    }
  }
  // Mid-move the original is marked migrated before the twin is moved into: name the twin
  // then (its route is the kernel's from the move on). Before that, the original: the move
  // reroutes proxies to it. Never both, which would read as an ambiguous name.
  if (matches == 0 && twin != nullptr) {
    found = in_process(twin->runtime, twin->id);
    max_payload = twin->config.max_payload_size;
    matches = 1;
  }
  if (matches == 0) return RK_SUCCESS;
  if (copy_mode(local) || copy_mode(found.runtime))
    return fail(RK_ERROR_UNSUPPORTED, "peer '" + name + "' is a kernel of another runtime, and K2K between runtimes "
                                      "needs host-coherent memory on both sides; a runtime in the relaunch-copy "
                                      "bridge mode reaches only its own kernels");
  if (matches > 1)
    return fail(RK_ERROR_INVALID_ARGUMENT, "peer '" + name + "' names kernels in " + std::to_string(matches) +
                                               " other runtimes; a peer must name one kernel");
  if (rk_result r = ensure_egress(local); r != RK_SUCCESS) return r;
  if (rk_result r = ensure_egress(found.runtime); r != RK_SUCCESS) return r;
  id = proxy_id(local, found.runtime, found.kernel_id, max_payload);
  if (id == 0)
    return fail(RK_ERROR_OUT_OF_MEMORY, "the runtime's K2K table is full (max_kernels " +
                                            std::to_string(local->kernels->max_kernels()) + "); cannot route to '" + name + "'");
  return RK_SUCCESS;
}

std::string remote_kernel_name(rk_runtime_s* local, uint32_t id) {
  auto lock = hold_directory();
  return remote_kernel_name_locked(local, id);
}

std::string remote_kernel_name_locked(rk_runtime_s* local, uint32_t id) {
  if (!local->egress) return "";
  auto it = local->egress->proxies.find(id);
  if (it == local->egress->proxies.end()) return "";
  if (it->second.rank != kThisProcess) return it->second.name;
  if (std::find(g_runtimes.begin(), g_runtimes.end(), it->second.runtime) == g_runtimes.end()) return "";
  return it->second.runtime->kernels->name_of(it->second.kernel_id);
}

namespace {

// The targets a forwarding pass found full: messages behind one of them for the same target
// wait their turn, so the order per target holds while the pass goes on to other targets.
// A kernel of this process by (runtime, id): proxies of several ids can lead to one kernel
// (a reply address, a peer, its own id leading home). Another process by its rank: its
// credits are the rank's.
class FullTargets {
 public:
  using Key = std::pair<const void*, uint32_t>;
  static Key key_of(const RemoteEnd& end) {
    return end.rank != kThisProcess ? Key{nullptr, end.rank} : Key{end.runtime, end.kernel_id};
  }
  bool holds(const Key& key) const { return std::find(keys_, keys_ + count_, key) != keys_ + count_; }
  bool add(const Key& key) {  // false: no room to remember more
    if (count_ == kMax) return false;
    keys_[count_++] = key;
    return true;
  }

 private:
  static constexpr uint32_t kMax = 8;
  Key keys_[kMax];
  uint32_t count_ = 0;
};

// One pass over a runtime's egress queue (g_mutex held, the runtime joined). A full target
// does not hold up the others: the pass steps around its messages (they stay, in order) and
// hands on what follows for other targets; those slots join Egress::carried, passed over
// once the head gets there (before, the first full inbox stopped the runtime's whole
// egress: every kernel's messages to every other runtime and process waited behind it).
bool forward_pass(rk_runtime_s* runtime) {
  Egress& egress = *runtime->egress;
  bool moved = false;
  FullTargets full;
  uint64_t head = rk_load_relaxed_u64(&egress.queue->head);  // ours: one forwarder at a time (g_mutex)
  // Bounded by the messages it hands on (or tries to), not by the slots it steps over: a
  // window from the head would hold the same waiting and handed-on slots pass after pass.
  for (uint64_t index = head, tries = 0; tries < kForwardBatch && index - head < egress.capacity; ++index) {
    const uint64_t seq = rk_load_acquire_u64(&egress.sequence[index & (egress.capacity - 1u)]);
    if (seq != index + 1u) break;  // not published yet: what follows waits for the next pass
    const bool at_head = index == head;
    if (std::binary_search(egress.carried.begin(), egress.carried.end(), index)) {  // handed on already
      if (at_head) {
        egress.carried.pop_front();
        rk_mpsc_release_in(egress.queue, egress.sequence, egress.capacity, index);
        ++head;
        moved = true;
      }
      continue;
    }
    const rk_msg_header& message = *egress_message(egress, index);
    auto it = egress.proxies.find(message.dest_kernel);
    const RemoteEnd* to = it == egress.proxies.end() ? nullptr : &it->second;  // none: dropped, out of turn
    if (to && full.holds(FullTargets::key_of(*to))) continue;  // behind one for the same target
    ++tries;
    if (deliver(runtime, egress, message, to) == Delivery::target_full) {
      if (!full.add(FullTargets::key_of(*to))) break;  // (only a known target is full) retried next pass
      continue;
    }
    moved = true;
    if (at_head) {
      rk_mpsc_release_in(egress.queue, egress.sequence, egress.capacity, index);
      ++head;
    } else {
      egress.carried.insert(std::lower_bound(egress.carried.begin(), egress.carried.end(), index), index);
    }
  }
  return moved;
}

}  // namespace

rk_result wait_egress_handed_on(rk_runtime_s* runtime, std::chrono::steady_clock::time_point deadline) {
  std::shared_ptr<Egress> egress;
  {
    auto lock = hold_directory();
    egress = runtime->egress;
    if (egress && !joined(runtime)) {
      // Its runtime is being destroyed (directory_leave came first): no pass hands anything
      // on any more, so waiting would only run out the terminate's time, once per kernel,
      // and leak them as hung. What waits is dropped and counted on its senders.
      uint32_t dropped = 0;
      for (;;) {
        rk_reservation slot = rk_mpsc_peek_in(egress->queue, egress->sequence, egress->capacity);
        if (slot.count == 0) break;
        if (!pass_over_carried(*egress, slot.index)) {
          drop(runtime, *egress_message(*egress, slot.index), "", false);
          ++dropped;
        }
        rk_mpsc_release_in(egress->queue, egress->sequence, egress->capacity, slot.index);
      }
      if (dropped != 0)
        log_warn(std::to_string(dropped) + " K2K message(s) to kernels of other runtimes were dropped: their "
                 "runtime was destroyed while they waited to be handed on (a target inbox was full)");
      return RK_SUCCESS;
    }
  }
  if (!egress) return RK_SUCCESS;
  const uint64_t claimed = rk_load_acquire_u64(&egress->queue->tail);  // what was in it by now
  for (uint32_t round = 0; rk_load_acquire_u64(&egress->queue->head) < claimed; ++round) {
    if (std::chrono::steady_clock::now() >= deadline)
      return fail(RK_ERROR_TIMEOUT, "messages for kernels of other runtimes are still waiting to be handed on "
                                    "(a target inbox stays full)");
    backoff(round);
  }
  return RK_SUCCESS;
}

void free_egress(rk_runtime_s* runtime) {
  if (runtime->egress) free_buffer(runtime, runtime->egress->memory.buffer);
  runtime->egress.reset();
}

// An idle cpu_sim kernel thread offers its time (rk_host_services.idle_assist): the
// forwarding thread's work, run here when nobody else is at it. A cross-process or
// cross-runtime hop then costs the two kernel threads that are awake anyway, not two more
// thread wake-ups on each side (docs/distributed.md, "Who forwards"). The forwarding thread
// stands back while kernels do it (forwarder_loop). RINGKERNEL_KERNEL_ASSIST=0 turns it off.
bool forwarding_assist() {
  if (!kernel_assist_enabled() || g_forwarder_users.load(std::memory_order_relaxed) == 0) return false;
  // While nothing has crossed for a while (kernels talk within their runtime), a thread runs
  // one pass in 256 calls: a pass delays the loop's own polling, and over TCP it costs
  // system calls. Traffic, seen by any thread's pass, brings every idle kernel back.
  const int64_t now = steady_ns();
  thread_local uint32_t calls = 0;
  if (now - g_moved_ns.load(std::memory_order_relaxed) > 200'000 && (++calls & 255u) != 0) return false;
  if (g_directory_waiters.load(std::memory_order_relaxed) != 0) return false;
  std::unique_lock lock(g_mutex, std::try_to_lock);
  if (!lock.owns_lock()) return false;
  std::unique_lock transport = group::try_hold_transport_locked();
  if (group::joined_locked() && !transport.owns_lock()) return false;
  forwarding_pass_locked();
  g_assisted_ns.store(now, std::memory_order_relaxed);
  return true;
}

}  // namespace rk::core
