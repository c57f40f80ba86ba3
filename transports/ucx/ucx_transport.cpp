// The UCX transport (docs/transports.md): UCP active messages over whatever UCX picks
// between two processes (shared memory on one machine, TCP, InfiniBand/RoCE), endpoints
// made from socket addresses, membership proved by the handshake (handshake.cpp).
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <utility>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fstream>
#include <string>

#include "common/plugin_support.hpp"
#include "handshake.hpp"

namespace rk::ucx {
namespace {

using plugin_common::fail;
using plugin_common::log;

int64_t now_ns() {
  timespec t{};
  clock_gettime(CLOCK_MONOTONIC, &t);
  return int64_t(t.tv_sec) * 1'000'000'000 + t.tv_nsec;
}

constexpr int64_t kFirstAttemptNs = 250'000'000;   // a dial not answered by then is made again,
constexpr int64_t kLongestAttemptNs = 2'000'000'000;  // waiting twice as long each time
constexpr int64_t kRetryAfterErrorNs = 20'000'000;  // a peer's listener may not be up yet
constexpr int64_t kPidCheckNs = 10'000'000;        // how often loopback peers' pids are looked at
constexpr int64_t kHandshakeTimeoutNs = 5'000'000'000;  // an accepted connection must finish by then

rk_result ucx_fail(rk_result code, const std::string& what, ucs_status_t status) {
  return fail(code, "ucx: " + what + ": " + ucs_status_string(status));
}

// "host:port" or "[v6]:port" into a socket address.
bool parse_address(const std::string& text, sockaddr_storage& out, socklen_t& length, std::string& why) {
  size_t colon = text.rfind(':');
  if (colon == std::string::npos || colon + 1 == text.size()) {
    why = "'" + text + "' is not host:port";
    return false;
  }
  std::string host = text.substr(0, colon), port = text.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV;
  addrinfo* found = nullptr;
  if (int r = getaddrinfo(host.c_str(), port.c_str(), &hints, &found); r != 0 || found == nullptr) {
    why = "'" + text + "': " + gai_strerror(r);
    return false;
  }
  std::memcpy(&out, found->ai_addr, found->ai_addrlen);
  length = found->ai_addrlen;
  freeaddrinfo(found);
  return true;
}

bool is_loopback(const sockaddr_storage& address) {
  if (address.ss_family == AF_INET)
    return (ntohl(reinterpret_cast<const sockaddr_in&>(address).sin_addr.s_addr) >> 24) == 127;
  if (address.ss_family == AF_INET6) {
    const in6_addr& a = reinterpret_cast<const sockaddr_in6&>(address).sin6_addr;
    return IN6_IS_ADDR_LOOPBACK(&a) || (IN6_IS_ADDR_V4MAPPED(&a) && a.s6_addr[12] == 127);
  }
  return false;
}

Watch watch_for(const Transport& t, const sockaddr_storage& address) {
  return is_loopback(address) && !t.ucx_watches_loopback ? Watch::kPid : Watch::kUcx;
}

ucp_err_handling_mode_t mode_of(Watch watch) {
  return watch == Watch::kUcx ? UCP_ERR_HANDLING_MODE_PEER : UCP_ERR_HANDLING_MODE_NONE;
}

// Gone: no such process, or a zombie nobody has reaped yet.
bool process_gone(uint32_t pid) {
  if (kill(static_cast<pid_t>(pid), 0) != 0) return errno == ESRCH;
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(stat, line)) return false;
  size_t close = line.rfind(')');  // "pid (comm) S ...": the state follows the name
  return close != std::string::npos && close + 2 < line.size() && line[close + 2] == 'Z';
}

void on_sent(void* request, ucs_status_t status, void* user_data) {
  auto* out = static_cast<Outgoing*>(user_data);
  Transport* t = out->transport;
  --t->in_flight;
  if (status != UCS_OK) ++t->stats.send_failures;  // the peer went away with it in flight
  delete out;
  ucp_request_free(request);
}

// Hands `out` to UCX on `ep`; it owns `out` from here.
ucs_status_t post(Transport& t, ucp_ep_h ep, unsigned id, Outgoing* out) {
  ucp_request_param_t param{};
  param.op_attr_mask = UCP_OP_ATTR_FIELD_CALLBACK | UCP_OP_ATTR_FIELD_USER_DATA | UCP_OP_ATTR_FIELD_FLAGS;
  param.flags = UCP_AM_SEND_FLAG_REPLY | UCP_AM_SEND_FLAG_EAGER;  // the receiver learns our endpoint
  param.cb.send = on_sent;
  param.user_data = out;
  uint8_t* bytes = out->bytes.data();
  ucs_status_ptr_t sent = ucp_am_send_nbx(ep, id, bytes, out->header_size, bytes + out->header_size,
                                          out->bytes.size() - out->header_size, &param);
  if (sent == nullptr || UCS_PTR_IS_ERR(sent)) {  // done already, or refused: the callback never comes
    delete out;
    return sent == nullptr ? UCS_OK : UCS_PTR_STATUS(sent);
  }
  ++t.in_flight;
  return UCS_OK;
}

// A connected peer is gone: its endpoint is closed, sends to it fail from now on.
void lose_peer(Transport& t, uint32_t rank, const std::string& why) {
  Peer& peer = t.peers[rank];
  if (peer.state != RK_PEER_CONNECTED) return;
  // Its close is forced whatever the endpoint's mode: nobody is left on the other side to
  // be confused by it, and only a forced close completes (with an error) the sends still in
  // flight to it; UCX asserts on a worker destroyed with those outstanding.
  if (peer.ep != nullptr) {
    t.watch_of[peer.ep] = Watch::kUcx;
    drop_endpoint(t, peer.ep);
  }
  peer.state = RK_PEER_LOST;
  peer.last_failure = why;
  ++t.stats.peers_lost;
  std::string detail = "rank " + std::to_string(rank) + " (" + t.addresses[rank] + "): " + why;
  log(RK_LOG_LEVEL_WARN, "ucx: lost " + detail);
  // Reported by progress: a send that finds the peer gone must not run a callback inside
  // send (rk_transport.h: callbacks run inside progress only).
  t.lost_unreported.emplace_back(rank, std::move(detail));
}

void report_lost(Transport& t) {
  while (!t.lost_unreported.empty()) {
    auto [rank, detail] = std::move(t.lost_unreported.front());
    t.lost_unreported.erase(t.lost_unreported.begin());
    if (t.callbacks.peer_lost == nullptr || t.shutting_down) continue;
    const bool was = std::exchange(t.in_callback, true);
    t.callbacks.peer_lost(t.callbacks.user, rank, detail.c_str());
    t.in_callback = was;
  }
}

ucs_status_t on_data(void* arg, const void* header, size_t header_length, void* data, size_t length,
                     const ucp_am_recv_param_t* param) {
  auto& t = *static_cast<Transport*>(arg);
  if (t.shutting_down) return UCS_OK;
  auto known = (param->recv_attr & UCP_AM_RECV_ATTR_FIELD_REPLY_EP) ? t.rank_of.find(param->reply_ep) : t.rank_of.end();
  // From a member that finished the handshake, in one eager piece (we never send otherwise),
  // within the limit.
  if (known == t.rank_of.end() || (param->recv_attr & UCP_AM_RECV_ATTR_FLAG_RNDV) != 0 ||
      header_length + length > kMaxMessageBytes) {
    ++t.stats.malformed_dropped;
    return UCS_OK;
  }
  ++t.stats.messages_received;
  rk_transport_delivery delivery{};
  delivery.struct_size = sizeof(delivery);
  delivery.source_rank = known->second;
  delivery.header = header;
  delivery.header_size = static_cast<uint32_t>(header_length);
  delivery.payload = data;
  delivery.payload_size = static_cast<uint32_t>(length);
  if (t.callbacks.deliver != nullptr) {
    const bool was = std::exchange(t.in_callback, true);
    t.callbacks.deliver(t.callbacks.user, &delivery);
    t.in_callback = was;
  }
  return UCS_OK;
}

void on_endpoint_error(void* arg, ucp_ep_h ep, ucs_status_t status) {
  auto& t = *static_cast<Transport*>(arg);
  if (t.shutting_down) return;
  auto known = t.rank_of.find(ep);
  if (known != t.rank_of.end()) return lose_peer(t, known->second, ucs_status_string(status));
  for (uint32_t rank = t.rank + 1; rank < t.size; ++rank)
    if (t.peers[rank].ep == ep && t.peers[rank].state == RK_PEER_CONNECTING) {  // not up yet, or refused us
      t.peers[rank].last_failure = ucs_status_string(status);
      abandon_attempt(t, rank, kRetryAfterErrorNs);
      return;
    }
  t.pending.erase(ep);
  drop_endpoint(t, ep);
}

void on_connection(ucp_conn_request_h request, void* arg) {
  auto& t = *static_cast<Transport*>(arg);
  if (t.shutting_down || t.pending.size() >= kMaxPending) {
    ++t.stats.connections_refused;
    log(RK_LOG_LEVEL_WARN, "ucx: rank " + std::to_string(t.rank) + " refused a connection: " +
                               std::to_string(kMaxPending) + " are still in their handshake");
    ucp_listener_reject(t.listener, request);
    return;
  }
  ucp_conn_request_attr_t attr{};
  attr.field_mask = UCP_CONN_REQUEST_ATTR_FIELD_CLIENT_ADDR;
  Watch watch = ucp_conn_request_query(request, &attr) == UCS_OK ? watch_for(t, attr.client_address) : Watch::kUcx;
  ucp_ep_params_t params{};
  params.field_mask = UCP_EP_PARAM_FIELD_CONN_REQUEST | UCP_EP_PARAM_FIELD_ERR_HANDLING_MODE | UCP_EP_PARAM_FIELD_ERR_HANDLER;
  params.conn_request = request;
  params.err_mode = mode_of(watch);
  params.err_handler.cb = on_endpoint_error;
  params.err_handler.arg = &t;
  ucp_ep_h ep = nullptr;
  if (ucs_status_t s = ucp_ep_create(t.worker, &params, &ep); s != UCS_OK) {
    ++t.stats.connections_refused;
    log(RK_LOG_LEVEL_WARN, std::string("ucx: accepting a connection failed: ") + ucs_status_string(s));
    return;
  }
  t.watch_of[ep] = watch;
  Pending& p = t.pending[ep];
  p.watch = watch;
  p.accepted_ns = now_ns();
}

// Starts closing every endpoint queued for it; a close UCX has not finished is kept and
// freed by a later progress. Forcing is allowed only where both sides handle peer failure.
void close_dropped(Transport& t) {
  while (!t.closing.empty()) {
    ucp_ep_h ep = t.closing.back();
    t.closing.pop_back();
    auto watch = t.watch_of.find(ep);
    bool force = watch == t.watch_of.end() || watch->second == Watch::kUcx;
    if (watch != t.watch_of.end()) t.watch_of.erase(watch);
    ucp_request_param_t param{};
    param.op_attr_mask = UCP_OP_ATTR_FIELD_FLAGS;
    param.flags = force ? UCP_EP_CLOSE_FLAG_FORCE : 0;
    ucs_status_ptr_t closing = ucp_ep_close_nbx(ep, &param);
    if (closing != nullptr && !UCS_PTR_IS_ERR(closing)) t.close_requests.push_back(closing);
  }
  auto done = [](void* request) {
    if (ucp_request_check_status(request) == UCS_INPROGRESS) return false;
    ucp_request_free(request);
    return true;
  };
  t.close_requests.erase(std::remove_if(t.close_requests.begin(), t.close_requests.end(), done), t.close_requests.end());
}

// Higher ranks not reached yet are dialled; an attempt past its deadline is made again.
void dial(Transport& t) {
  int64_t now = now_ns();
  for (uint32_t rank = t.rank + 1; rank < t.size; ++rank) {
    Peer& peer = t.peers[rank];
    if (peer.state != RK_PEER_CONNECTING) continue;
    if (peer.ep != nullptr && now >= peer.attempt_deadline_ns) {
      if (peer.last_failure.empty()) peer.last_failure = "no answer";
      abandon_attempt(t, rank, 0);
    }
    if (peer.ep != nullptr || now < peer.retry_at_ns) continue;
    ucp_ep_params_t params{};
    params.field_mask = UCP_EP_PARAM_FIELD_FLAGS | UCP_EP_PARAM_FIELD_SOCK_ADDR | UCP_EP_PARAM_FIELD_ERR_HANDLING_MODE |
                        UCP_EP_PARAM_FIELD_ERR_HANDLER;
    params.flags = UCP_EP_PARAMS_FLAGS_CLIENT_SERVER;
    params.sockaddr.addr = reinterpret_cast<const sockaddr*>(&peer.address);
    params.sockaddr.addrlen = peer.address_length;
    peer.watch = watch_for(t, peer.address);
    params.err_mode = mode_of(peer.watch);
    params.err_handler.cb = on_endpoint_error;
    params.err_handler.arg = &t;
    peer.attempt_timeout_ns = std::min(peer.attempt_timeout_ns == 0 ? kFirstAttemptNs : peer.attempt_timeout_ns * 2,
                                       kLongestAttemptNs);
    peer.attempt_deadline_ns = now + peer.attempt_timeout_ns;
    if (ucs_status_t s = ucp_ep_create(t.worker, &params, &peer.ep); s != UCS_OK) {
      peer.ep = nullptr;
      peer.last_failure = ucs_status_string(s);
      peer.retry_at_ns = now + kRetryAfterErrorNs;
      continue;
    }
    t.watch_of[peer.ep] = peer.watch;
    if (send_hello(t, rank) != RK_SUCCESS) {
      peer.last_failure = plugin_common::last_error();
      abandon_attempt(t, rank, kRetryAfterErrorNs);
    }
  }
}

// Loopback peers (Watch::kPid): a process that is gone is a lost peer. Accepted connections
// that never finish their handshake are refused.
void check_timers(Transport& t) {
  int64_t now = now_ns();
  std::vector<ucp_ep_h> stale;
  for (const auto& [ep, p] : t.pending)
    if (now - p.accepted_ns > kHandshakeTimeoutNs) stale.push_back(ep);
  for (ucp_ep_h ep : stale) refuse(t, ep, "no handshake within 5 s");
  if (now < t.next_pid_check_ns) return;
  t.next_pid_check_ns = now + kPidCheckNs;
  for (uint32_t rank = 0; rank < t.size; ++rank) {
    const Peer& peer = t.peers[rank];
    if (peer.state == RK_PEER_CONNECTED && peer.watch == Watch::kPid && process_gone(peer.pid))
      lose_peer(t, rank, "its process " + std::to_string(peer.pid) + " has exited");
  }
}

rk_result set_handler(Transport& t, unsigned id, ucp_am_recv_callback_t cb) {
  ucp_am_handler_param_t param{};
  param.field_mask = UCP_AM_HANDLER_PARAM_FIELD_ID | UCP_AM_HANDLER_PARAM_FIELD_CB | UCP_AM_HANDLER_PARAM_FIELD_ARG |
                     UCP_AM_HANDLER_PARAM_FIELD_FLAGS;
  param.id = id;
  param.cb = cb;
  param.arg = &t;
  param.flags = UCP_AM_FLAG_WHOLE_MSG;
  ucs_status_t s = ucp_worker_set_am_recv_handler(t.worker, &param);
  return s == UCS_OK ? RK_SUCCESS : ucx_fail(RK_ERROR_BACKEND_UNAVAILABLE, "setting an AM handler", s);
}

rk_result start_ucx(Transport& t) {
  ucp_config_t* config = nullptr;
  if (ucs_status_t s = ucp_config_read(nullptr, nullptr, &config); s != UCS_OK)
    return ucx_fail(RK_ERROR_BACKEND_UNAVAILABLE, "reading UCX's configuration", s);
  ucp_params_t params{};
  params.field_mask = UCP_PARAM_FIELD_FEATURES;
  params.features = UCP_FEATURE_AM | UCP_FEATURE_WAKEUP;
  ucs_status_t s = ucp_init(&params, config, &t.context);
  ucp_config_release(config);
  if (s != UCS_OK) return ucx_fail(RK_ERROR_BACKEND_UNAVAILABLE, "ucp_init", s);
  ucp_worker_params_t worker{};
  worker.field_mask = UCP_WORKER_PARAM_FIELD_THREAD_MODE;
  worker.thread_mode = UCS_THREAD_MODE_SERIALIZED;  // one thread at a time, not always the same one
  if (s = ucp_worker_create(t.context, &worker, &t.worker); s != UCS_OK)
    return ucx_fail(RK_ERROR_BACKEND_UNAVAILABLE, "creating the UCP worker", s);
  if (s = ucp_worker_get_efd(t.worker, &t.event_fd); s != UCS_OK)
    return ucx_fail(RK_ERROR_BACKEND_UNAVAILABLE, "the worker's event fd", s);
  ucp_worker_attr_t attr{};
  attr.field_mask = UCP_WORKER_ATTR_FIELD_MAX_AM_HEADER;
  if (s = ucp_worker_query(t.worker, &attr); s != UCS_OK)
    return ucx_fail(RK_ERROR_BACKEND_UNAVAILABLE, "querying the worker", s);
  t.max_am_header = attr.max_am_header;
  for (auto [id, cb] : {std::pair<unsigned, ucp_am_recv_callback_t>{kHello, on_hello}, {kWelcome, on_welcome},
                        {kProof, on_proof}, {kData, on_data}})
    if (rk_result r = set_handler(t, id, cb); r != RK_SUCCESS) return r;
  const Peer& self = t.peers[t.rank];
  ucp_listener_params_t listen{};
  listen.field_mask = UCP_LISTENER_PARAM_FIELD_SOCK_ADDR | UCP_LISTENER_PARAM_FIELD_CONN_HANDLER;
  listen.sockaddr.addr = reinterpret_cast<const sockaddr*>(&self.address);
  listen.sockaddr.addrlen = self.address_length;
  listen.conn_handler.cb = on_connection;
  listen.conn_handler.arg = &t;
  if (s = ucp_listener_create(t.worker, &listen, &t.listener); s != UCS_OK)
    return ucx_fail(RK_ERROR_BACKEND_UNAVAILABLE, "listening on " + t.addresses[t.rank], s);
  return RK_SUCCESS;
}

rk_result refuse_in_callback(const char* what) {
  return fail(RK_ERROR_INVALID_STATE,
              std::string("ucx: ") + what + " from a deliver or peer_lost callback (they may only send and ask)");
}

}  // namespace

rk_result post_bytes(Transport& t, ucp_ep_h ep, unsigned id, uint32_t rank, const void* bytes, size_t size) {
  auto* out = new Outgoing{&t, static_cast<uint32_t>(size), std::vector<uint8_t>(size)};
  std::memcpy(out->bytes.data(), bytes, size);
  ucs_status_t s = post(t, ep, id, out);
  return s == UCS_OK ? RK_SUCCESS : ucx_fail(RK_ERROR_INTERNAL, "a handshake message to rank " + std::to_string(rank), s);
}

void drop_endpoint(Transport& t, ucp_ep_h ep) {
  t.rank_of.erase(ep);
  for (Peer& peer : t.peers)
    if (peer.ep == ep) peer.ep = nullptr;
  if (std::find(t.closing.begin(), t.closing.end(), ep) == t.closing.end()) t.closing.push_back(ep);
}

void abandon_attempt(Transport& t, uint32_t rank, int64_t retry_after_ns) {
  Peer& peer = t.peers[rank];
  if (peer.ep != nullptr) drop_endpoint(t, peer.ep);
  peer.retry_at_ns = now_ns() + retry_after_ns;
}

void shutdown(Transport* t) {
  if (t->worker != nullptr) {
    // No handler acts from here on, no callback reaches the user, nobody new connects.
    t->shutting_down = true;
    t->callbacks = {};
    if (t->listener != nullptr) ucp_listener_destroy(t->listener);
    for (auto& [ep, p] : t->pending) t->closing.push_back(ep);
    t->pending.clear();
    for (Peer& peer : t->peers)
      if (peer.ep != nullptr) drop_endpoint(*t, peer.ep);
    close_dropped(*t);
    int64_t give_up = now_ns() + 1'000'000'000;  // closes and sends in flight complete or fail
    while ((t->in_flight != 0 || !t->close_requests.empty()) && now_ns() < give_up) {
      ucp_worker_progress(t->worker);
      close_dropped(*t);
    }
    ucp_worker_destroy(t->worker);
  }
  if (t->context != nullptr) ucp_cleanup(t->context);
  delete t;
}

rk_result open(const rk_transport_group* group, const rk_transport_callbacks* callbacks, Transport** out) {
  if (group == nullptr || out == nullptr || group->struct_size < sizeof(rk_transport_group))
    return fail(RK_ERROR_INVALID_ARGUMENT, "ucx: the group and the out-pointer must be set");
  *out = nullptr;
  if (group->size == 0 || group->rank >= group->size || group->addresses == nullptr)
    return fail(RK_ERROR_INVALID_ARGUMENT, "ucx: rank " + std::to_string(group->rank) + " of a group of " +
                                               std::to_string(group->size) + ", or no addresses");
  if (group->job_key == nullptr || group->job_key_size < 16 || group->job_key_size > 64)
    return fail(RK_ERROR_INVALID_ARGUMENT, "ucx: the job key must have 16 to 64 bytes");
  auto* t = new Transport;
  t->rank = group->rank;
  t->size = group->size;
  t->peers.resize(t->size);
  for (uint32_t i = 0; i < group->size; ++i) {
    std::string why = "no address";
    if (group->addresses[i] != nullptr) t->addresses.emplace_back(group->addresses[i]);
    // Resolved once, here: never a name lookup inside progress.
    if (group->addresses[i] == nullptr ||
        !parse_address(t->addresses.back(), t->peers[i].address, t->peers[i].address_length, why)) {
      delete t;
      return fail(RK_ERROR_INVALID_ARGUMENT, "ucx: rank " + std::to_string(i) + "'s address: " + why);
    }
  }
  t->key.assign(group->job_key, group->job_key + group->job_key_size);
  if (callbacks != nullptr) std::memcpy(&t->callbacks, callbacks, std::min<size_t>(callbacks->struct_size, sizeof t->callbacks));
  const char* watch = std::getenv("RINGKERNEL_UCX_PEER_FAILURE");
  t->ucx_watches_loopback = watch != nullptr && std::string(watch) == "ucx";
  t->peers[t->rank].state = RK_PEER_SELF;
  t->stats.struct_size = sizeof(rk_transport_stats);
  if (rk_result r = start_ucx(*t); r != RK_SUCCESS) {
    std::string why = plugin_common::last_error();
    shutdown(t);
    return fail(r, why);
  }
  *out = t;
  return RK_SUCCESS;
}

rk_result local_address(Transport* t, std::string& address) {
  ucp_listener_attr_t attr{};
  attr.field_mask = UCP_LISTENER_ATTR_FIELD_SOCKADDR;
  if (ucs_status_t s = ucp_listener_query(t->listener, &attr); s != UCS_OK)
    return ucx_fail(RK_ERROR_INTERNAL, "asking the listener its address", s);
  char host[NI_MAXHOST], port[NI_MAXSERV];
  if (int r = getnameinfo(reinterpret_cast<const sockaddr*>(&attr.sockaddr), sizeof attr.sockaddr, host, sizeof host, port,
                          sizeof port, NI_NUMERICHOST | NI_NUMERICSERV);
      r != 0)
    return fail(RK_ERROR_INTERNAL, std::string("ucx: the listener's address: ") + gai_strerror(r));
  bool v6 = attr.sockaddr.ss_family == AF_INET6;
  address = (v6 ? "[" : "") + std::string(host) + (v6 ? "]:" : ":") + port;
  return RK_SUCCESS;
}

rk_result progress(Transport* t, uint32_t* events) {
  if (t->in_callback) return refuse_in_callback("progress");
  uint32_t done = 0;
  dial(*t);
  while (done < 1024 && ucp_worker_progress(t->worker) != 0) ++done;
  check_timers(*t);
  close_dropped(*t);
  if (!t->lost_unreported.empty()) ++done;
  report_lost(*t);
  if (events != nullptr) *events = done;
  return RK_SUCCESS;
}

rk_result wait(Transport* t, uint64_t timeout_ns) {
  if (t->in_callback) return refuse_in_callback("wait");
  // The transport's own timers wake it too: pid checks of loopback peers (they die without
  // an event), dial attempts and handshakes under way.
  for (const Peer& peer : t->peers) {
    if (peer.state == RK_PEER_CONNECTED && peer.watch == Watch::kPid)
      timeout_ns = std::min<uint64_t>(timeout_ns, kPidCheckNs);
    if (peer.state == RK_PEER_CONNECTING) timeout_ns = std::min<uint64_t>(timeout_ns, kRetryAfterErrorNs);
  }
  if (!t->pending.empty() || !t->close_requests.empty()) timeout_ns = std::min<uint64_t>(timeout_ns, kRetryAfterErrorNs);
  ucs_status_t s = ucp_worker_arm(t->worker);
  if (s == UCS_ERR_BUSY) return RK_SUCCESS;  // events pending: progress now
  if (s != UCS_OK) return ucx_fail(RK_ERROR_INTERNAL, "arming the worker", s);
  pollfd fd{t->event_fd, POLLIN, 0};
  timespec limit{static_cast<time_t>(timeout_ns / 1'000'000'000), static_cast<long>(timeout_ns % 1'000'000'000)};
  ppoll(&fd, 1, &limit, nullptr);
  return RK_SUCCESS;
}

rk_result connect_all(Transport* t, uint64_t timeout_ns) {
  if (t->in_callback) return refuse_in_callback("connect_all");
  int64_t deadline = now_ns() + static_cast<int64_t>(std::min<uint64_t>(timeout_ns, INT64_MAX / 2));
  for (;;) {
    progress(t, nullptr);
    std::string missing, lost;
    for (uint32_t rank = 0; rank < t->size; ++rank) {
      const Peer& peer = t->peers[rank];
      std::string entry = std::to_string(rank) + " (" + t->addresses[rank] +
                          (peer.last_failure.empty() ? "" : ": " + peer.last_failure) + ")";
      if (peer.state == RK_PEER_CONNECTING) missing += (missing.empty() ? "" : ", ") + entry;
      if (peer.state == RK_PEER_LOST) lost += (lost.empty() ? "" : ", ") + entry;
    }
    if (!lost.empty()) return fail(RK_ERROR_PEER_LOST, "ucx: lost while joining: rank " + lost);
    if (missing.empty()) return RK_SUCCESS;
    if (now_ns() >= deadline)
      return fail(RK_ERROR_TIMEOUT, "ucx: rank " + std::to_string(t->rank) + " could not join rank " + missing +
                                        " within " + std::to_string(timeout_ns / 1'000'000) + " ms");
    wait(t, 1'000'000);
  }
}

rk_result send(Transport* t, uint32_t rank, const void* header, uint32_t header_size, const void* payload,
               uint32_t payload_size) {
  if (rank >= t->size || rank == t->rank)
    return fail(RK_ERROR_NOT_FOUND, "ucx: no rank " + std::to_string(rank) + " to send to (this is rank " +
                                        std::to_string(t->rank) + " of " + std::to_string(t->size) + ")");
  if ((header_size != 0 && header == nullptr) || (payload_size != 0 && payload == nullptr))
    return fail(RK_ERROR_INVALID_ARGUMENT, "ucx: header or payload bytes missing");
  if (uint64_t(header_size) + payload_size > kMaxMessageBytes || header_size > t->max_am_header)
    return fail(RK_ERROR_MESSAGE_TOO_LARGE, "ucx: a header of " + std::to_string(header_size) + " and a payload of " +
                                                std::to_string(payload_size) + " bytes; at most " +
                                                std::to_string(t->max_am_header) + " and " +
                                                std::to_string(kMaxMessageBytes) + " together");
  Peer& peer = t->peers[rank];
  if (peer.state == RK_PEER_LOST) {
    ++t->stats.send_failures;
    return fail(RK_ERROR_PEER_LOST, "ucx: rank " + std::to_string(rank) + " is gone (" + peer.last_failure + ")");
  }
  if (peer.state != RK_PEER_CONNECTED || peer.ep == nullptr)
    return fail(RK_ERROR_INVALID_STATE, "ucx: rank " + std::to_string(rank) + " is not connected yet");
  if (t->in_flight >= kMaxInFlight)
    return fail(RK_ERROR_QUEUE_FULL, "ucx: " + std::to_string(kMaxInFlight) + " sends in flight already");
  auto* out = new Outgoing{t, header_size, std::vector<uint8_t>(size_t(header_size) + payload_size)};
  if (header_size != 0) std::memcpy(out->bytes.data(), header, header_size);
  if (payload_size != 0) std::memcpy(out->bytes.data() + header_size, payload, payload_size);
  ucs_status_t s = post(*t, peer.ep, kData, out);
  if (s == UCS_OK) {
    ++t->stats.messages_sent;
    return RK_SUCCESS;
  }
  ++t->stats.send_failures;
  if (s == UCS_ERR_NO_MEMORY) return ucx_fail(RK_ERROR_QUEUE_FULL, "sending to rank " + std::to_string(rank), s);
  if (s == UCS_ERR_INVALID_PARAM) return ucx_fail(RK_ERROR_INVALID_ARGUMENT, "sending to rank " + std::to_string(rank), s);
  lose_peer(*t, rank, ucs_status_string(s));  // the connection itself failed
  return ucx_fail(RK_ERROR_PEER_LOST, "sending to rank " + std::to_string(rank), s);
}

}  // namespace rk::ucx
