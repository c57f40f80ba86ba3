// The host's own messages to kernels of other ranks (docs/distributed.md, "From the host"):
// rk_group_send and rk_group_request. The caller's thread queues the message (at most 256
// wait, then the caller waits for room); the forwarding thread sends it within the same
// credits and sequence as the kernels' messages to that rank. The message names this
// process's mailbox as its sender, so the kernel's reply by its reply address
// (rk_reply_later(ctx, rk_reply_address(ctx), ...)) comes back here by K2K and completes
// the request with that correlation id.
#include <algorithm>
#include <cstring>

#include "api/error.hpp"
#include "distributed/group.hpp"
#include "distributed/group_state.hpp"
#include "runtime/host_dialect.hpp"

namespace rk::core::group {
namespace {

using Clock = std::chrono::steady_clock;

constexpr size_t kHostOutCapacity = 256;

struct Target {
  uint32_t rank = 0;
  uint32_t handle = 0;
  uint32_t max_payload = 0;
};

Clock::time_point deadline_of(uint64_t timeout_ns) {
  return Clock::now() + std::chrono::nanoseconds(std::min<uint64_t>(timeout_ns, uint64_t{1} << 62));
}

// Where this host's messages to `peer` ("R/name") go: the target cached from an earlier
// lookup, else rank R is asked (it waits up to the lookup time for the kernel to be created).
rk_result resolve_target(std::unique_lock<std::mutex>& lock, const std::shared_ptr<Group>& joined, const std::string& peer,
                         Clock::time_point deadline, Target& target) {
  Group& g = *joined;
  std::string name;
  if (!split_rank_name(peer, target.rank, name))
    return fail(RK_ERROR_INVALID_ARGUMENT, "'" + peer + "' is not a kernel of another rank ('R/name')");
  if (target.rank >= g.config.size)
    return fail(RK_ERROR_NOT_FOUND, "'" + peer + "': the process group has ranks 0 to " + std::to_string(g.config.size - 1));
  if (target.rank == g.config.rank)
    return fail(RK_ERROR_INVALID_ARGUMENT, "'" + peer + "' is a kernel of this process: send to it through its runtime "
                                                        "(rk_runtime_find_kernel, rk_kernel_send)");
  if (auto known = g.targets.find(peer); known != g.targets.end()) {
    target.handle = known->second.first;
    target.max_payload = known->second.second;
    return RK_SUCCESS;
  }
  // Rank R's answer, either way, is waited for a little longer than it waits itself, so
  // "no such kernel" is told as that, not as a timeout.
  const auto left_ms = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  const uint32_t wait_ms = static_cast<uint32_t>(std::clamp<int64_t>(left_ms, 0, lookup_wait_ms()));
  const Clock::time_point answer_by = deadline + std::chrono::seconds(5);
  if (rk_result r = lookup(lock, g, target.rank, name, wait_ms, answer_by, target.handle, target.max_payload);
      r != RK_SUCCESS)
    return fail(r, "'" + peer + "': " + last_error_text());
  if (g_group != joined) return fail(RK_ERROR_INVALID_STATE, "this process left its process group meanwhile");
  g.targets[peer] = {target.handle, target.max_payload};
  return RK_SUCCESS;
}

// Queues one message for `peer` ("R/name"); `request` (may be null) waits for its reply.
rk_result queue(std::unique_lock<std::mutex>& lock, const std::string& peer, const HostSend& message,
                Clock::time_point deadline, const std::shared_ptr<HostRequest>& request, uint64_t* message_id) {
  if (!g_group) return fail(RK_ERROR_INVALID_STATE, "this process is in no process group (rk_group_join)");
  const std::shared_ptr<Group> joined = g_group;
  Group& g = *joined;
  const uint32_t type_id = message.type_id, size = message.size;
  const void* payload = message.payload;
  if (type_id == 0) return fail(RK_ERROR_INVALID_ARGUMENT, "type id 0 is reserved");
  if (size > 0 && payload == nullptr) return fail(RK_ERROR_INVALID_ARGUMENT, "payload is NULL but size > 0");
  Target target;
  if (rk_result r = resolve_target(lock, joined, peer, deadline, target); r != RK_SUCCESS) return r;
  if (size > target.max_payload)
    return fail(RK_ERROR_MESSAGE_TOO_LARGE, "'" + peer + "' takes payloads of at most " +
                                                std::to_string(target.max_payload) + " bytes, not " + std::to_string(size));
  const bool room = g_changed.wait_until(lock, deadline, [&] {
    return g_group != joined || g.peers[target.rank].state == RK_GROUP_PEER_LOST || g.host.out.size() < kHostOutCapacity;
  });
  if (g_group != joined) return fail(RK_ERROR_INVALID_STATE, "this process left its process group meanwhile");
  if (g.peers[target.rank].state == RK_GROUP_PEER_LOST)
    return fail(RK_ERROR_PEER_LOST, "'" + peer + "': rank " + std::to_string(target.rank) + " is lost (" +
                                        g.peers[target.rank].why + ")");
  if (!room)
    return fail(RK_ERROR_QUEUE_FULL, "messages from this host to other ranks stayed queued until the timeout "
                                     "(rank " + std::to_string(target.rank) + " takes none: its inbox is full)");
  Outbound out;
  out.rank = target.rank;
  out.handle = target.handle;
  const int64_t now = rk_clock_ns();
  out.header.type_id = type_id;
  out.header.payload_size = size;
  out.header.message_id = ++g.host.next_message_id;
  out.header.source_kernel = RK_KERNEL_ID_HOST;
  out.header.timestamp = g.host.clock.tick(now).clock;
  out.header.sent_ns = now;
  out.header.flags = message.flags;
  out.header.correlation_id = message.correlation_id;
  if (message_id) *message_id = out.header.message_id;
  if (request) {
    out.header.correlation_id = (uint64_t{1} << 63) | ++g.host.next_correlation;  // host request ids, as locally
    request->rank = target.rank;
    g.host.requests[out.header.correlation_id] = request;
    out.request = request;
  }
  const auto* bytes = static_cast<const uint8_t*>(payload);
  out.payload.assign(bytes, bytes + size);
  g.host.out.push_back(std::move(out));
  ++g.host.queued;
  return RK_SUCCESS;
}

void complete(HostRequest& request, rk_result result, const std::string& why) {
  request.done = true;
  request.result = result;
  request.why = why;
}

}  // namespace

rk_result host_send(const std::string& peer, const HostSend& message, uint64_t timeout_ns, uint64_t* message_id) {
  auto lock = hold_directory();
  return queue(lock, peer, message, deadline_of(timeout_ns), nullptr, message_id);
}

rk_result host_find(const std::string& peer, uint32_t& max_payload) {
  auto lock = hold_directory();
  if (!g_group) return fail(RK_ERROR_INVALID_STATE, "'" + peer + "' names a kernel of rank " + peer.substr(0, peer.find('/')) +
                                                        ", but this process is in no process group (rk_group_join)");
  const std::shared_ptr<Group> joined = g_group;  // kept alive across the lookup's wait, as in queue()
  Target target;
  const Clock::time_point deadline = Clock::now() + std::chrono::milliseconds(lookup_wait_ms());
  rk_result r = resolve_target(lock, joined, peer, deadline, target);
  if (r == RK_ERROR_NOT_FOUND && target.rank < joined->config.size)  // the rank is there, the kernel is not
    return fail(RK_ERROR_UNKNOWN_KERNEL, last_error_text());
  max_payload = target.max_payload;
  return r;
}

rk_result host_request(const std::string& peer, uint32_t type_id, const void* payload, uint32_t size, uint64_t timeout_ns,
                       rk_msg_header* reply_header, void* reply, uint32_t capacity, uint32_t* reply_size) {
  if (capacity > 0 && reply == nullptr) return fail(RK_ERROR_INVALID_ARGUMENT, "reply is NULL but capacity > 0");
  const Clock::time_point deadline = deadline_of(timeout_ns);
  auto request = std::make_shared<HostRequest>();
  auto lock = hold_directory();
  if (rk_result r = queue(lock, peer, HostSend{type_id, size, payload}, deadline, request, nullptr); r != RK_SUCCESS)
    return r;
  const std::shared_ptr<Group> joined = g_group;
  if (!g_changed.wait_until(lock, deadline, [&] { return request->done; })) {
    std::erase_if(joined->host.requests, [&](const auto& entry) { return entry.second == request; });
    return fail(RK_ERROR_TIMEOUT, "no reply from '" + peer + "' before the timeout (a later one is counted and dropped)");
  }
  if (request->result != RK_SUCCESS) return fail(request->result, "'" + peer + "': " + request->why);
  if (reply_header) *reply_header = request->header;
  if (reply_size) *reply_size = static_cast<uint32_t>(request->payload.size());
  if (request->payload.size() > capacity)
    return fail(RK_ERROR_MESSAGE_TOO_LARGE, "the reply from '" + peer + "' has " +
                                                std::to_string(request->payload.size()) + " bytes; the buffer holds " +
                                                std::to_string(capacity));
  if (!request->payload.empty()) std::memcpy(reply, request->payload.data(), request->payload.size());
  return RK_SUCCESS;
}

bool send_host_out(Group& g) {
  bool moved = false;
  while (!g.host.out.empty()) {
    Outbound& m = g.host.out.front();
    Peer& peer = g.peers[m.rank];
    rk_result r = RK_ERROR_PEER_LOST;
    std::string why = "rank " + std::to_string(m.rank) + " is lost (" + peer.why + ")";
    if (peer.state != RK_GROUP_PEER_LOST) {
      r = send_data(g, m.rank, m.handle, g.host.mailbox, m.header, m.payload.data());
      if (r == RK_ERROR_QUEUE_FULL) break;  // no credit, or the transport is full: next pass
      if (r != RK_SUCCESS) why = transport_error(g);
    }
    if (r != RK_SUCCESS) {  // never sent: a waiting request fails, a plain send is counted
      auto waiting = g.host.requests.find(m.header.correlation_id);
      if (m.header.correlation_id != 0 && waiting != g.host.requests.end()) {
        complete(*waiting->second, r, why);
        g.host.requests.erase(waiting);
      } else if (!m.caller_told()) {
        ++g.dropped;
        log_warn("process group: a host message for rank " + std::to_string(m.rank) + " was dropped: " + why);
      }
    }
    g.host.out.pop_front();
    ++g.host.handed_on;
    moved = true;
  }
  if (moved) g_changed.notify_all();  // room for waiting senders, failed requests
  return moved;
}

void host_reply_arrived(Group& g, const rk_msg_header& header, const void* payload) {
  g.host.clock.merge(header.timestamp, INT64_MAX);  // the hop's HLC; a reply is never refused for skew
  auto waiting = g.host.requests.find(header.correlation_id);
  if ((header.flags & RK_MSG_FLAG_REPLY) == 0 || waiting == g.host.requests.end()) {
    ++g.host.late_replies;
    ++g.dropped;
    log_debug("process group: a message to this host's mailbox answers no waiting request (late, or not a reply)");
    return;
  }
  HostRequest& request = *waiting->second;
  request.header = header;
  const auto* bytes = static_cast<const uint8_t*>(payload);
  request.payload.assign(bytes, bytes + header.payload_size);
  complete(request, RK_SUCCESS, "");
  g.host.requests.erase(waiting);
  g_changed.notify_all();
}

void fail_host_requests(Group& g, uint32_t rank, rk_result result, const std::string& why) {
  for (auto it = g.host.requests.begin(); it != g.host.requests.end();) {
    if (rank != ~0u && it->second->rank != rank) {
      ++it;
      continue;
    }
    complete(*it->second, result, why);
    it = g.host.requests.erase(it);
  }
  if (rank == ~0u) g.host.out.clear();
}

}  // namespace rk::core::group
