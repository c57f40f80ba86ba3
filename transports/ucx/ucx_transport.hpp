// The UCX transport's state (docs/transports.md): one UCP context, worker and listener per
// rk_transport, one endpoint per peer. The lower rank of a pair connects to the higher's
// listener; both sides then prove membership with the job key (a hello and a welcome)
// before a data message from that endpoint is delivered. Everything runs on the thread
// that calls the table (UCS_THREAD_MODE_SINGLE): UCX's callbacks run inside progress.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include <ucp/api/ucp.h>

#include "ringkernel/rk_transport.h"

namespace rk::ucx {

// Active message ids. A message from an endpoint that has not passed the hello is dropped.
enum AmId : unsigned { kHello = 1, kWelcome = 2, kData = 3 };

// The hello (client → listener) and welcome (listener → client) AM header.
struct Hello {
  uint32_t magic;    // kHelloMagic
  uint32_t version;  // RK_TRANSPORT_ABI_MAJOR
  uint32_t rank;     // the sender
  uint32_t size;     // the group size the sender was given
  uint32_t key_size;
  uint32_t pid;      // the sender's process, watched by peers on this host (below)
  uint8_t key[64];
};
constexpr uint32_t kHelloMagic = 0x524B5458;  // "RKTX"

// How a lost peer is noticed. UCX's peer-failure handling (UCP_ERR_HANDLING_MODE_PEER)
// keeps UCX 1.13 off shared memory (its shared-memory transports cannot report a dead
// peer), so for a peer on loopback the endpoint runs without it, UCX moves the data through
// shared memory, and this process watches the peer's pid instead (from its hello). A peer
// on another address gets UCX's handling. RINGKERNEL_UCX_PEER_FAILURE=ucx forces UCX's
// handling for loopback too (docs/transports.md).
enum class Watch { kUcx, kPid };

struct Peer {
  ucp_ep_h ep = nullptr;
  rk_transport_peer_state state = RK_PEER_CONNECTING;
  Watch watch = Watch::kUcx;
  uint32_t pid = 0;
  int64_t retry_at_ns = 0;  // a refused or broken connect is tried again from then on
  std::string last_failure;
};

// One send's bytes (header then payload), kept until UCX completes it.
struct Outgoing {
  struct Transport* transport = nullptr;
  uint32_t rank = 0;
  uint32_t header_size = 0;
  std::vector<uint8_t> bytes;
};

struct Transport {
  uint32_t rank = 0;
  uint32_t size = 0;
  std::vector<std::string> addresses;
  std::vector<uint8_t> key;
  rk_transport_callbacks callbacks{};

  ucp_context_h context = nullptr;
  ucp_worker_h worker = nullptr;
  ucp_listener_h listener = nullptr;
  int event_fd = -1;

  std::vector<Peer> peers;                        // by rank; peers[rank] is this process
  std::vector<ucp_ep_h> unauthenticated;          // accepted, no valid hello yet
  std::unordered_map<ucp_ep_h, Watch> accepted_watch;  // how each accepted endpoint was made
  std::unordered_map<ucp_ep_h, uint32_t> rank_of;  // authenticated endpoints
  std::vector<ucp_ep_h> closing;                  // refused or broken, closed at the next progress
  uint32_t in_flight = 0;                         // sends UCX has not completed
  bool ucx_watches_loopback = false;              // RINGKERNEL_UCX_PEER_FAILURE=ucx
  int64_t next_pid_check_ns = 0;
  rk_transport_stats stats{};
};

// Sends still in flight are capped, so a peer that stops reading cannot grow our memory
// without bound: beyond it send() answers RK_ERROR_QUEUE_FULL (the core's credits keep far
// below it).
constexpr uint32_t kMaxInFlight = 65536;
constexpr uint32_t kMaxMessageBytes = 65536;

// The table's entries (ucx_transport.cpp); entry.cpp wraps them in C.
rk_result open(const rk_transport_group* group, const rk_transport_callbacks* callbacks, Transport** out);
rk_result local_address(Transport* t, std::string& address);
rk_result connect_all(Transport* t, uint64_t timeout_ns);
rk_result send(Transport* t, uint32_t rank, const void* header, uint32_t header_size, const void* payload,
               uint32_t payload_size);
rk_result progress(Transport* t, uint32_t* events);
rk_result wait(Transport* t, uint64_t timeout_ns);
void shutdown(Transport* t);

}  // namespace rk::ucx
