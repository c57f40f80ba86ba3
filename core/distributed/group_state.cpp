#include "distributed/group_state.hpp"

#include <cstring>
#include <utility>

#include "api/environment.hpp"
#include "api/error.hpp"

namespace rk::core::group {

std::shared_ptr<Group>& g_group = *new std::shared_ptr<Group>();  // a forwarder may outlive main
std::condition_variable g_changed;

// A launch waits this long for a remote peer to exist (RINGKERNEL_GROUP_LOOKUP_MS).
// Read at each lookup (rare: targets are cached after the first), so a program may change it
// between two, as the tests do.
uint32_t lookup_wait_ms() {
  return static_cast<uint32_t>(number_from_environment("RINGKERNEL_GROUP_LOOKUP_MS", 10'000, 3'600'000));
}

std::string transport_error(const Group& g) {
  const char* text = g.table->last_error ? g.table->last_error() : nullptr;
  return text && *text ? text : "no detail";
}

rk_result send_control(Group& g, uint32_t rank, const WireHeader& header, const void* payload, uint32_t size) {
  return g.table->send(g.transport, rank, &header, sizeof header, payload, size);
}

uint32_t export_handle(Group& g, rk_runtime_s* runtime, uint32_t kernel_id) {
  auto [it, made] = g.export_ids.try_emplace({runtime, kernel_id}, static_cast<uint32_t>(g.exports.size()));
  if (made) g.exports.push_back(Export{runtime, kernel_id});
  return it->second;
}

void mark_lost(Group& g, uint32_t rank, const std::string& detail, bool left) {
  Peer& peer = g.peers[rank];
  if (peer.state != RK_GROUP_PEER_CONNECTED) return;
  peer.state = RK_GROUP_PEER_LOST;
  peer.left = left;
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
  fail_host_requests(g, rank, RK_ERROR_PEER_LOST, "rank " + std::to_string(rank) + " is lost: " + detail);
  g_changed.notify_all();
  const std::string words = "process group: rank " + std::to_string(rank) + (left ? " left" : " is lost") + " (" +
                            detail + "); " + std::to_string(in_flight) +
                            " message(s) sent to it were not taken and are counted lost; sends to its kernels fail "
                            "from now on";
  if (left && in_flight == 0) log_info(words);
  else log_warn(words);
}

void count_drop(Group& g, uint32_t from, const std::string& why) {
  // The first ten, then one in ten thousand: a stream of them must not flood the log.
  if (++g.dropped <= 10 || g.dropped % 10'000 == 0)
    log_warn("process group: a message from rank " + std::to_string(from) + " was dropped: " + why + " (" +
             std::to_string(g.dropped) + " dropped so far)");
}

rk_result send_data(Group& g, uint32_t rank, uint32_t target, uint32_t source, const rk_msg_header& header,
                    const void* payload) {
  Peer& peer = g.peers[rank];
  if (peer.sent - peer.acknowledged >= kCreditWindow) return RK_ERROR_QUEUE_FULL;
  WireHeader wire{};
  wire.kind = WireKind::data;
  wire.sequence = peer.next_sequence_out;
  wire.target = target;
  wire.source = source;
  uint8_t bytes[kDataHeaderBytes];
  std::memcpy(bytes, &wire, sizeof wire);
  std::memcpy(bytes + sizeof wire, &header, sizeof header);
  rk_result r = g.table->send(g.transport, rank, bytes, sizeof bytes, payload, header.payload_size);
  if (r == RK_SUCCESS) {
    ++peer.next_sequence_out;
    ++peer.sent;
  } else if (r == RK_ERROR_PEER_LOST) {
    mark_lost(g, rank, transport_error(g));
  }
  return r;
}

uint32_t progress_locked(Group& g) {
  uint32_t events = 0;
  const bool was = std::exchange(g.in_pass, true);
  g.table->progress(g.transport, &events);
  g.in_pass = was;
  return events;
}

}  // namespace rk::core::group
