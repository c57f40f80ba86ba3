#include "bridge/remote_k2k.hpp"

#include <algorithm>
#include <atomic>
#include <cstring>
#include <thread>
#include <utility>
#include <vector>

#include "api/error.hpp"
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
std::vector<rk_runtime_s*> g_runtimes;
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
uint32_t g_egress_count = 0;

bool forward_pass(rk_runtime_s* runtime);

void forwarder_loop(std::shared_ptr<std::atomic<bool>> stop) {
  uint32_t idle_rounds = 0;
  while (!stop->load(std::memory_order_acquire)) {
    bool moved = false;
    {
      std::lock_guard lock(g_mutex);
      for (rk_runtime_s* runtime : g_runtimes)
        if (runtime->egress) moved |= forward_pass(runtime);
    }
    if (moved) idle_rounds = 0;
    else backoff(idle_rounds++);  // spin, yield, then sleep in bounded steps
  }
}

bool joined(const rk_runtime_s* runtime) {
  return std::find(g_runtimes.begin(), g_runtimes.end(), runtime) != g_runtimes.end();
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
  if (g_egress_count++ == 0) {
    g_forwarder = new Forwarder();
    g_forwarder->thread = std::thread(forwarder_loop, g_forwarder->stop);
  }
  return RK_SUCCESS;
}

// The id under which `local` routes to kernel `remote_id` of `remote`: one per target,
// named "@<runtime serial>#<id>" in local's table (no kernel can take such a name).
uint32_t proxy_id(rk_runtime_s* local, rk_runtime_s* remote, uint32_t remote_id, uint32_t max_payload) {
  Egress& egress = *local->egress;
  const std::string key = "@" + std::to_string(remote->serial) + "#" + std::to_string(remote_id);
  uint32_t id = local->kernels->id_for(key);
  if (id == 0 || egress.proxies.count(id) != 0) return id;
  egress.proxies[id] = RemoteEnd{remote, remote_id};
  rk_k2k_route& route = local->kernels->routes[id];
  route.inbox_ptr = egress.queue_device;
  route.control_ptr = egress.control_device;
  route.kernel_id = id;
  route.max_payload = std::min(max_payload, kEgressPayload);
  route.name_hash = fnv1a32(key);
  rk_store_release_u32(&route.state, RK_ROUTE_LIVE);  // after the fields: senders acquire it
  return id;
}

void close_proxy(rk_runtime_s* runtime, uint32_t id) {
  rk_store_release_u32(&runtime->kernels->routes[id].state, RK_ROUTE_CLOSED);
}

enum class Delivery { delivered, dropped, target_full };

Delivery drop(rk_runtime_s* runtime, const rk_msg_header& message, const std::string& why) {
  // relaxed: a statistic; the sender's telemetry adds it to its dropped count
  if (rk_kernel_s* sender = runtime->kernels->find_id(message.source_kernel))
    sender->host_dropped.fetch_add(1, std::memory_order_relaxed);
  log_warn("a K2K message (type " + std::to_string(message.type_id) + ") to a kernel of another runtime was dropped: " +
           why);
  return Delivery::dropped;
}

Delivery deliver(rk_runtime_s* runtime, Egress& egress, const rk_msg_header& message) {
  auto it = egress.proxies.find(message.dest_kernel);
  if (it == egress.proxies.end()) return drop(runtime, message, "no route to another runtime has that id");
  const RemoteEnd end = it->second;
  if (!joined(end.runtime)) {
    close_proxy(runtime, message.dest_kernel);
    return drop(runtime, message, "the target's runtime was destroyed");
  }
  rk_kernel_s* target = end.runtime->kernels->find_id(end.kernel_id);
  const rk_kernel_state state = target ? target->state.load() : RK_KERNEL_TERMINATED;
  if (state == RK_KERNEL_TERMINATING || state == RK_KERNEL_TERMINATED) {
    close_proxy(runtime, message.dest_kernel);  // later sends fail in the handler
    return drop(runtime, message, "the target kernel is terminated");
  }
  if (rk_load_acquire_u32(&end.runtime->kernels->routes[end.kernel_id].state) != RK_ROUTE_LIVE)
    return drop(runtime, message, "the target kernel '" + target->config.name + "' is not launched yet");
  if (message.payload_size > target->config.max_payload_size || message.payload_size > kEgressPayload)
    return drop(runtime, message, "its payload is larger than '" + target->config.name + "' takes");
  uint32_t source = RK_KERNEL_ID_HOST;
  if (message.source_kernel != RK_KERNEL_ID_HOST) {  // so a K2K reply finds its way back
    rk_kernel_s* sender = runtime->kernels->find_id(message.source_kernel);
    source = proxy_id(end.runtime, runtime, message.source_kernel, sender ? sender->config.max_payload_size : 64u);
    if (source == 0) return drop(runtime, message, "the target runtime's K2K table is full");
  }
  const uint32_t capacity = target->config.inbox_capacity;  // ours, not the shared header's
  rk_reservation claim = rk_mpsc_try_claim_in(target->views.inbox, target->views.inbox_sequence, capacity);
  if (claim.count == 0) return Delivery::target_full;  // stays at the egress head
  uint8_t* slots = target->ring_host + target->layout.inbox + queue_detail::slots_offset();
  uint8_t* slot = slots + (claim.index & (capacity - 1u)) * target->config.slot_size;
  rk_msg_header header = message;
  header.dest_kernel = end.kernel_id;
  header.source_kernel = source;
  header.publish_seq = 0;  // MPSC slots publish through the sequence array
  std::memcpy(slot, &header, sizeof(header));
  std::memcpy(slot + sizeof(header), reinterpret_cast<const uint8_t*>(&message) + sizeof(header), message.payload_size);
  rk_mpsc_publish_in(target->views.inbox_sequence, capacity, claim.index);
  if (end.runtime->kernels_park) ring_kernel_doorbell(target->views.control);
  return Delivery::delivered;
}

}  // namespace

void directory_join(rk_runtime_s* runtime) {
  std::lock_guard lock(g_mutex);
  runtime->serial = g_next_serial++;
  g_runtimes.push_back(runtime);
}

void directory_leave(rk_runtime_s* runtime) {
  std::unique_ptr<Forwarder> last;
  {
    std::lock_guard lock(g_mutex);
    if (std::find(g_runtimes.begin(), g_runtimes.end(), runtime) == g_runtimes.end()) return;
    std::erase(g_runtimes, runtime);
    if (runtime->egress && --g_egress_count == 0) last.reset(std::exchange(g_forwarder, nullptr));
  }
  if (last) {  // joined outside the lock it takes
    last->stop->store(true, std::memory_order_release);
    last->thread.join();
  }
}

std::unique_lock<std::mutex> hold_directory() { return std::unique_lock(g_mutex); }

void for_each_joined_runtime(const std::function<void(rk_runtime_s*)>& visit) {
  std::lock_guard lock(g_mutex);
  for (rk_runtime_s* runtime : g_runtimes) visit(runtime);
}

rk_result resolve_remote_peer(rk_runtime_s* local, const std::string& name, uint32_t& id) {
  std::lock_guard lock(g_mutex);
  return resolve_remote_peer_locked(local, name, id);
}

rk_result prepare_egress(rk_runtime_s* a, rk_runtime_s* b) {
  std::lock_guard lock(g_mutex);
  if (rk_result r = ensure_egress(a); r != RK_SUCCESS) return r;
  return ensure_egress(b);
}

rk_result reroute_locked(rk_runtime_s* from, uint32_t id, rk_runtime_s* to, uint32_t to_id, uint32_t max_payload) {
  if (rk_result r = ensure_egress(from); r != RK_SUCCESS) return r;
  if (rk_result r = ensure_egress(to); r != RK_SUCCESS) return r;
  Egress& egress = *from->egress;
  egress.proxies[id] = RemoteEnd{to, to_id};
  rk_k2k_route& route = from->kernels->routes[id];
  rk_store_release_u32(&route.state, RK_ROUTE_CLOSED);  // no sender reads it now (they are parked); still, fields first
  route.inbox_ptr = egress.queue_device;
  route.control_ptr = egress.control_device;
  route.kernel_id = id;
  route.max_payload = std::min(max_payload, kEgressPayload);
  rk_store_release_u32(&route.state, RK_ROUTE_LIVE);
  for (rk_runtime_s* other : g_runtimes) {
    if (other == from || !other->egress) continue;
    for (auto& [proxy, end] : other->egress->proxies) {
      if (end.runtime != from || end.kernel_id != id) continue;
      end = RemoteEnd{to, to_id};
      rk_k2k_route& via = other->kernels->routes[proxy];
      via.max_payload = std::min(max_payload, kEgressPayload);
      rk_store_release_u32(&via.state, RK_ROUTE_LIVE);  // a proxy closed on a terminated target opens again
    }
  }
  return RK_SUCCESS;
}

rk_result resolve_remote_peer_locked(rk_runtime_s* local, const std::string& name, uint32_t& id) {
  id = 0;
  RemoteEnd found;
  uint32_t max_payload = 0;
  int matches = 0;
  for (rk_runtime_s* other : g_runtimes) {
    if (other == local) continue;
    if (rk_kernel_s* kernel = other->kernels->find(name)) {
      const rk_kernel_state state = kernel->state.load();
      if (kernel->migrated.load() || state == RK_KERNEL_TERMINATING || state == RK_KERNEL_TERMINATED) continue;
      found = RemoteEnd{other, kernel->id};
      max_payload = kernel->config.max_payload_size;
      ++matches;
    }
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
  std::lock_guard lock(g_mutex);
  return remote_kernel_name_locked(local, id);
}

std::string remote_kernel_name_locked(rk_runtime_s* local, uint32_t id) {
  if (!local->egress) return "";
  auto it = local->egress->proxies.find(id);
  if (it == local->egress->proxies.end()) return "";
  if (std::find(g_runtimes.begin(), g_runtimes.end(), it->second.runtime) == g_runtimes.end()) return "";
  return it->second.runtime->kernels->name_of(it->second.kernel_id);
}

namespace {

// One pass over a runtime's egress queue (g_mutex held, the runtime joined).
bool forward_pass(rk_runtime_s* runtime) {
  Egress& egress = *runtime->egress;
  bool moved = false;
  for (uint32_t n = 0; n < kForwardBatch; ++n) {
    rk_reservation slot = rk_mpsc_peek_in(egress.queue, egress.sequence, egress.capacity);
    if (slot.count == 0) break;
    auto* message = reinterpret_cast<const rk_msg_header*>(egress.slots + (slot.index & (egress.capacity - 1u)) *
                                                                              size_t{egress.slot_size});
    if (deliver(runtime, egress, *message) == Delivery::target_full) break;  // retried next pass
    rk_mpsc_release_in(egress.queue, egress.sequence, egress.capacity, slot.index);
    moved = true;
  }
  return moved;
}

}  // namespace

rk_result wait_egress_handed_on(rk_runtime_s* runtime, std::chrono::steady_clock::time_point deadline) {
  std::shared_ptr<Egress> egress;
  {
    std::lock_guard lock(g_mutex);
    egress = runtime->egress;
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

}  // namespace rk::core
