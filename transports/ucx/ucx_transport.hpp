// The UCX transport's state (docs/transports.md): one UCP context, worker and listener per
// rk_transport, one endpoint per peer. The lower rank of a pair connects to the higher's
// listener; membership is proved both ways by a challenge and response over the job key
// (HMAC-SHA-256 of both sides' nonces; the key itself never travels) before a data message
// from that endpoint is delivered. One thread at a time drives it (UCS_THREAD_MODE_SERIALIZED);
// UCX's callbacks run inside progress.
#pragma once

#include <sys/socket.h>

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include <ucp/api/ucp.h>

#include "ringkernel/rk_transport.h"

namespace rk::ucx {

// Active message ids. Until an endpoint has finished the handshake, data from it is dropped.
enum AmId : unsigned { kHello = 1, kWelcome = 2, kData = 3, kProof = 4 };

constexpr uint32_t kHandshakeMagic = 0x524B5458;  // "RKTX"
constexpr size_t kNonceBytes = 32;
constexpr size_t kMacBytes = 32;

// The AM header of a hello (client → listener: who it is, its nonce), a welcome (listener →
// client: who it is, its nonce, and a MAC over both nonces that only a key holder can make)
// and a proof (client → listener: the client's MAC). `mac` is zero in a hello.
struct Handshake {
  uint32_t magic;    // kHandshakeMagic
  uint32_t version;  // RK_TRANSPORT_ABI_MAJOR
  uint32_t rank;     // the sender
  uint32_t size;     // the group size the sender was given
  uint32_t pid;      // the sender's process, watched by peers on this host (Watch::kPid)
  uint32_t reserved;
  uint8_t nonce[kNonceBytes];
  uint8_t mac[kMacBytes];
};

// How a lost peer is noticed. UCX's peer-failure handling (UCP_ERR_HANDLING_MODE_PEER)
// keeps UCX 1.13 off shared memory (its shared-memory transports cannot report a dead peer),
// so an endpoint to a loopback address runs without it, UCX moves the data through shared
// memory, and this process watches the peer's pid instead. Other addresses get UCX's
// handling. RINGKERNEL_UCX_PEER_FAILURE=ucx forces UCX's handling on loopback too.
enum class Watch { kUcx, kPid };

struct Peer {
  ucp_ep_h ep = nullptr;
  rk_transport_peer_state state = RK_PEER_CONNECTING;
  Watch watch = Watch::kUcx;
  uint32_t pid = 0;
  sockaddr_storage address{};  // resolved once, at open
  socklen_t address_length = 0;
  // Dialling (higher ranks only): the current attempt's nonce and deadline. An attempt that
  // has not finished by then is dropped and made again: without UCX's error handling
  // (loopback) a refused or unanswered connect reports nothing.
  uint8_t nonce[kNonceBytes] = {};
  int64_t attempt_deadline_ns = 0;
  int64_t attempt_timeout_ns = 0;
  int64_t retry_at_ns = 0;
  std::string last_failure;
};

// A connection accepted by our listener, until it finishes the handshake or is refused.
struct Pending {
  Watch watch = Watch::kUcx;
  int64_t accepted_ns = 0;
  bool welcomed = false;  // a valid hello came and was answered; waiting for the proof
  uint32_t rank = 0;      // the rank the hello claimed
  uint32_t pid = 0;       // and its process
  uint8_t client_nonce[kNonceBytes] = {};
  uint8_t server_nonce[kNonceBytes] = {};
};

// One send's bytes (header then payload), kept until UCX completes it.
struct Outgoing {
  struct Transport* transport = nullptr;
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
  size_t max_am_header = 0;

  std::vector<Peer> peers;                          // by rank; peers[rank] is this process
  std::unordered_map<ucp_ep_h, Pending> pending;    // accepted, handshake not finished
  std::unordered_map<ucp_ep_h, uint32_t> rank_of;   // finished the handshake
  std::unordered_map<ucp_ep_h, Watch> watch_of;     // every endpoint we hold, until closed
  std::vector<ucp_ep_h> closing;                    // to close at the next progress
  std::vector<void*> close_requests;                // closes UCX has not finished
  uint32_t in_flight = 0;                           // sends UCX has not completed
  bool ucx_watches_loopback = false;                // RINGKERNEL_UCX_PEER_FAILURE=ucx
  bool in_callback = false;                         // a deliver or peer_lost callback runs
  bool shutting_down = false;
  int64_t next_pid_check_ns = 0;
  rk_transport_stats stats{};
  // Peers lost since the last progress, reported there (rank, detail).
  std::vector<std::pair<uint32_t, std::string>> lost_unreported;
};

// Sends still in flight are capped, so a peer that stops reading cannot grow our memory
// without bound: beyond it send() answers RK_ERROR_QUEUE_FULL (the core's credits keep far
// below it). Connections that never finish the handshake are capped and time out too.
constexpr uint32_t kMaxInFlight = 65536;
constexpr uint32_t kMaxMessageBytes = 65536;
constexpr size_t kMaxPending = 64;

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
