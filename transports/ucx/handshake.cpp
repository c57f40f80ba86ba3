// Membership (docs/transports.md, "Membership"): hello → welcome → proof. Each side sends a
// fresh nonce and proves it holds the job key with an HMAC-SHA-256 over both nonces, both
// ranks and the group size; the key itself never travels, so whoever answers a dial learns
// nothing it could replay. Endpoints that fail are refused, logged and counted; endpoints
// that have finished are never closed from here.
#include "handshake.hpp"

#include <sys/random.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

#include "common/plugin_support.hpp"
#include "common/sha256.hpp"

namespace rk::ucx {
namespace {

using plugin_common::log;

std::string hmac(const std::vector<uint8_t>& key, const std::string& message) {
  constexpr size_t kBlock = 64;
  std::string block(kBlock, '\0');
  std::memcpy(block.data(), key.data(), std::min(key.size(), kBlock));  // keys are at most 64 bytes
  std::string inner_pad(kBlock, '\0'), outer_pad(kBlock, '\0');
  for (size_t i = 0; i < kBlock; ++i) {
    inner_pad[i] = static_cast<char>(block[i] ^ 0x36);
    outer_pad[i] = static_cast<char>(block[i] ^ 0x5c);
  }
  plugin_common::Sha256 inner;
  inner.update(inner_pad);
  inner.update(message);
  plugin_common::Sha256 outer;
  outer.update(outer_pad);
  outer.update(inner.digest());
  return outer.digest();
}

// What each side's MAC covers: its role, both nonces (the verifier's first, so a MAC is never
// valid for the other direction), both ranks and the group size.
std::string transcript(const char* role, const uint8_t* first_nonce, const uint8_t* second_nonce, uint32_t client,
                       uint32_t server, uint32_t size) {
  std::string text(role);
  text.append(reinterpret_cast<const char*>(first_nonce), kNonceBytes);
  text.append(reinterpret_cast<const char*>(second_nonce), kNonceBytes);
  for (uint32_t word : {client, server, size}) text.append(reinterpret_cast<const char*>(&word), sizeof word);
  return text;
}

bool same_bytes(const uint8_t* a, const std::string& b) {  // constant time over the MAC
  uint8_t diff = 0;
  for (size_t i = 0; i < kMacBytes; ++i) diff |= static_cast<uint8_t>(a[i] ^ static_cast<uint8_t>(b[i]));
  return diff == 0;
}

Handshake handshake_of(const Transport& t, const uint8_t* nonce) {
  Handshake h{};
  h.magic = kHandshakeMagic;
  h.version = RK_TRANSPORT_ABI_MAJOR;
  h.rank = t.rank;
  h.size = t.size;
  h.pid = static_cast<uint32_t>(getpid());
  std::memcpy(h.nonce, nonce, kNonceBytes);
  return h;
}

// Why a handshake message is not acceptable (empty: it is), before any MAC is looked at.
std::string check_fields(const Transport& t, const void* header, size_t length, Handshake& h) {
  if (length != sizeof(Handshake)) return "a handshake of " + std::to_string(length) + " bytes";
  std::memcpy(&h, header, sizeof h);
  if (h.magic != kHandshakeMagic) return "not a ringkernel handshake";
  if (h.version != RK_TRANSPORT_ABI_MAJOR) return "transport version " + std::to_string(h.version);
  if (h.size != t.size) return "a group of " + std::to_string(h.size) + " (ours has " + std::to_string(t.size) + ")";
  if (h.rank >= t.size || h.rank == t.rank) return "rank " + std::to_string(h.rank);
  return {};
}

ucp_ep_h reply_endpoint(const ucp_am_recv_param_t* param) {
  return (param->recv_attr & UCP_AM_RECV_ATTR_FIELD_REPLY_EP) ? param->reply_ep : nullptr;
}

// A message that no handshake step expects on an endpoint that is finished or ours: counted,
// never acted on (closing it would pull the endpoint from under its peer entry).
void ignore(Transport& t, const std::string& why) {
  ++t.stats.malformed_dropped;
  log(RK_LOG_LEVEL_WARN, "ucx: rank " + std::to_string(t.rank) + " ignored " + why);
}

}  // namespace

bool fresh_nonce(uint8_t* nonce) {
  size_t got = 0;
  while (got < kNonceBytes) {
    ssize_t n = getrandom(nonce + got, kNonceBytes - got, 0);
    if (n <= 0) return false;
    got += static_cast<size_t>(n);
  }
  return true;
}

rk_result send_hello(Transport& t, uint32_t rank) {
  Peer& peer = t.peers[rank];
  if (!fresh_nonce(peer.nonce)) return plugin_common::fail(RK_ERROR_INTERNAL, "ucx: no randomness for a nonce");
  Handshake h = handshake_of(t, peer.nonce);
  return post_bytes(t, peer.ep, kHello, rank, &h, sizeof h);
}

void refuse(Transport& t, ucp_ep_h ep, const std::string& why) {
  ++t.stats.connections_refused;
  log(RK_LOG_LEVEL_WARN, "ucx: rank " + std::to_string(t.rank) + " refused a connection: " + why);
  t.pending.erase(ep);
  drop_endpoint(t, ep);
}

// Listener side, step 1: a lower rank's hello on an endpoint we accepted.
ucs_status_t on_hello(void* arg, const void* header, size_t length, void*, size_t, const ucp_am_recv_param_t* param) {
  auto& t = *static_cast<Transport*>(arg);
  ucp_ep_h ep = reply_endpoint(param);
  if (t.shutting_down || ep == nullptr) return UCS_OK;
  auto pending = t.pending.find(ep);
  if (pending == t.pending.end() || pending->second.welcomed) {
    ignore(t, "a hello on a connection that is not waiting for one");
    return UCS_OK;
  }
  Handshake h{};
  std::string why = check_fields(t, header, length, h);
  if (why.empty() && h.rank > t.rank) why = "rank " + std::to_string(h.rank) + " should be listening, not connecting";
  if (why.empty() && t.peers[h.rank].state != RK_PEER_CONNECTING)
    why = "rank " + std::to_string(h.rank) + " is already connected or lost (a restart is not supported)";
  if (!why.empty()) {
    refuse(t, ep, why);
    return UCS_OK;
  }
  Pending& p = pending->second;
  p.rank = h.rank;
  std::memcpy(p.client_nonce, h.nonce, kNonceBytes);
  if (!fresh_nonce(p.server_nonce)) {
    refuse(t, ep, "no randomness for a nonce");
    return UCS_OK;
  }
  Handshake welcome = handshake_of(t, p.server_nonce);
  std::string mac = hmac(t.key, transcript("welcome", p.client_nonce, p.server_nonce, h.rank, t.rank, t.size));
  std::memcpy(welcome.mac, mac.data(), kMacBytes);
  p.welcomed = true;
  p.pid = h.pid;
  if (post_bytes(t, ep, kWelcome, h.rank, &welcome, sizeof welcome) != RK_SUCCESS)
    refuse(t, ep, std::string("answering the hello: ") + plugin_common::last_error());
  return UCS_OK;
}

// Connecting side, step 2: the listener's welcome proves it holds the key; we answer with
// our own proof and count the peer connected.
ucs_status_t on_welcome(void* arg, const void* header, size_t length, void*, size_t, const ucp_am_recv_param_t* param) {
  auto& t = *static_cast<Transport*>(arg);
  ucp_ep_h ep = reply_endpoint(param);
  if (t.shutting_down || ep == nullptr) return UCS_OK;
  Handshake h{};
  std::string why = check_fields(t, header, length, h);
  if (!why.empty() || t.peers[h.rank].ep != ep || t.peers[h.rank].state != RK_PEER_CONNECTING) {
    ignore(t, "a welcome that answers no dial of ours" + (why.empty() ? "" : ": " + why));
    return UCS_OK;
  }
  Peer& peer = t.peers[h.rank];
  std::string expected = hmac(t.key, transcript("welcome", peer.nonce, h.nonce, t.rank, h.rank, t.size));
  if (!same_bytes(h.mac, expected)) {
    ++t.stats.connections_refused;
    peer.last_failure = "it does not hold the job key";
    log(RK_LOG_LEVEL_WARN, "ucx: rank " + std::to_string(t.rank) + " refused rank " + std::to_string(h.rank) + " at " +
                               t.addresses[h.rank] + ": " + peer.last_failure);
    abandon_attempt(t, h.rank, peer.attempt_timeout_ns);  // not at once: it will refuse us again
    return UCS_OK;
  }
  Handshake proof = handshake_of(t, peer.nonce);
  std::string mac = hmac(t.key, transcript("proof", h.nonce, peer.nonce, t.rank, h.rank, t.size));
  std::memcpy(proof.mac, mac.data(), kMacBytes);
  if (post_bytes(t, ep, kProof, h.rank, &proof, sizeof proof) != RK_SUCCESS) {
    peer.last_failure = plugin_common::last_error();
    abandon_attempt(t, h.rank, 0);
    return UCS_OK;
  }
  peer.state = RK_PEER_CONNECTED;
  peer.pid = h.pid;
  t.rank_of[ep] = h.rank;
  return UCS_OK;
}

// Listener side, step 3: the client's proof. Only now does its data count.
ucs_status_t on_proof(void* arg, const void* header, size_t length, void*, size_t, const ucp_am_recv_param_t* param) {
  auto& t = *static_cast<Transport*>(arg);
  ucp_ep_h ep = reply_endpoint(param);
  if (t.shutting_down || ep == nullptr) return UCS_OK;
  auto pending = t.pending.find(ep);
  if (pending == t.pending.end() || !pending->second.welcomed) {
    ignore(t, "a proof on a connection that is not waiting for one");
    return UCS_OK;
  }
  Pending p = pending->second;
  Handshake h{};
  std::string why = check_fields(t, header, length, h);
  if (why.empty() && h.rank != p.rank) why = "a proof from rank " + std::to_string(h.rank) + " after a hello from another";
  std::string expected = hmac(t.key, transcript("proof", p.server_nonce, p.client_nonce, p.rank, t.rank, t.size));
  if (why.empty() && !same_bytes(h.mac, expected)) why = "rank " + std::to_string(p.rank) + " does not hold the job key";
  if (why.empty() && t.peers[p.rank].state != RK_PEER_CONNECTING)
    why = "rank " + std::to_string(p.rank) + " connected meanwhile on another connection";
  if (!why.empty()) {
    refuse(t, ep, why);
    return UCS_OK;
  }
  t.pending.erase(pending);
  Peer& peer = t.peers[p.rank];
  peer.ep = ep;
  peer.state = RK_PEER_CONNECTED;
  peer.watch = p.watch;
  peer.pid = p.pid;
  t.rank_of[ep] = p.rank;
  return UCS_OK;
}

}  // namespace rk::ucx
