// The UCX transport (docs/transports.md): UCP active messages over whatever UCX picks
// between two processes (shared memory on one machine, TCP, InfiniBand/RoCE), endpoints
// made from socket addresses, membership proved with the job key both ways.
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <cerrno>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <string>

#include "common/plugin_support.hpp"
#include "ucx_transport.hpp"

namespace rk::ucx {
namespace {

using plugin_common::fail;
using plugin_common::log;

int64_t now_ns() {
  timespec t{};
  clock_gettime(CLOCK_MONOTONIC, &t);
  return int64_t(t.tv_sec) * 1'000'000'000 + t.tv_nsec;
}

constexpr int64_t kRetryConnectNs = 20'000'000;  // a peer's listener may not be up yet
constexpr int64_t kPidCheckNs = 10'000'000;       // how often loopback peers' pids are looked at

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
    return IN6_IS_ADDR_LOOPBACK(&a) ||
           (IN6_IS_ADDR_V4MAPPED(&a) && a.s6_addr[12] == 127);
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

Hello hello_of(const Transport& t) {
  Hello h{};
  h.magic = kHelloMagic;
  h.version = RK_TRANSPORT_ABI_MAJOR;
  h.rank = t.rank;
  h.size = t.size;
  h.key_size = static_cast<uint32_t>(t.key.size());
  h.pid = static_cast<uint32_t>(getpid());
  std::memcpy(h.key, t.key.data(), t.key.size());
  return h;
}

// Constant time over the key, so a wrong guess says nothing about how close it was.
bool same_key(const Transport& t, const Hello& h) {
  if (h.key_size != t.key.size()) return false;
  uint8_t diff = 0;
  for (size_t i = 0; i < t.key.size(); ++i) diff |= static_cast<uint8_t>(h.key[i] ^ t.key[i]);
  return diff == 0;
}

// Why a hello or welcome is not acceptable from a peer claiming h.rank (empty: fine).
std::string check_hello(const Transport& t, const void* header, size_t length, Hello& h) {
  if (length != sizeof(Hello)) return "a hello of " + std::to_string(length) + " bytes";
  std::memcpy(&h, header, sizeof h);
  if (h.magic != kHelloMagic) return "not a ringkernel hello";
  if (h.version != RK_TRANSPORT_ABI_MAJOR) return "transport version " + std::to_string(h.version);
  if (h.size != t.size) return "a group of " + std::to_string(h.size) + " (ours has " + std::to_string(t.size) + ")";
  if (h.rank >= t.size || h.rank == t.rank) return "rank " + std::to_string(h.rank);
  if (!same_key(t, h)) return "the wrong job key";
  return {};
}

void drop_endpoint(Transport& t, ucp_ep_h ep) {
  if (std::find(t.closing.begin(), t.closing.end(), ep) == t.closing.end()) t.closing.push_back(ep);
}

void refuse(Transport& t, ucp_ep_h ep, const std::string& why) {
  ++t.stats.connections_refused;
  log(RK_LOG_LEVEL_WARN, "ucx: rank " + std::to_string(t.rank) + " refused a connection: " + why);
  t.unauthenticated.erase(std::remove(t.unauthenticated.begin(), t.unauthenticated.end(), ep), t.unauthenticated.end());
  t.accepted_watch.erase(ep);
  drop_endpoint(t, ep);
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
rk_result post(Transport& t, ucp_ep_h ep, unsigned id, Outgoing* out) {
  ucp_request_param_t param{};
  param.op_attr_mask = UCP_OP_ATTR_FIELD_CALLBACK | UCP_OP_ATTR_FIELD_USER_DATA | UCP_OP_ATTR_FIELD_FLAGS;
  param.flags = UCP_AM_SEND_FLAG_REPLY | UCP_AM_SEND_FLAG_EAGER;  // the receiver learns our endpoint
  param.cb.send = on_sent;
  param.user_data = out;
  uint8_t* bytes = out->bytes.data();
  ucs_status_ptr_t sent = ucp_am_send_nbx(ep, id, bytes, out->header_size, bytes + out->header_size,
                                          out->bytes.size() - out->header_size, &param);
  if (sent == nullptr) {  // done already
    delete out;
    return RK_SUCCESS;
  }
  if (UCS_PTR_IS_ERR(sent)) {
    uint32_t rank = out->rank;
    delete out;
    return ucx_fail(RK_ERROR_PEER_LOST, "sending to rank " + std::to_string(rank), UCS_PTR_STATUS(sent));
  }
  ++t.in_flight;
  return RK_SUCCESS;
}

rk_result send_hello(Transport& t, ucp_ep_h ep, unsigned id, uint32_t rank) {
  auto* out = new Outgoing{&t, rank, sizeof(Hello), std::vector<uint8_t>(sizeof(Hello))};
  Hello h = hello_of(t);
  std::memcpy(out->bytes.data(), &h, sizeof h);
  return post(t, ep, id, out);
}

// Listener side: a lower rank's hello on an endpoint we accepted.
ucs_status_t on_hello(void* arg, const void* header, size_t length, void*, size_t, const ucp_am_recv_param_t* param) {
  auto& t = *static_cast<Transport*>(arg);
  if ((param->recv_attr & UCP_AM_RECV_ATTR_FIELD_REPLY_EP) == 0) return UCS_OK;  // cannot even answer it
  ucp_ep_h ep = param->reply_ep;
  if (std::find(t.unauthenticated.begin(), t.unauthenticated.end(), ep) == t.unauthenticated.end()) {
    refuse(t, ep, "a second hello on one connection");
    return UCS_OK;
  }
  Hello h{};
  std::string why = check_hello(t, header, length, h);
  if (why.empty() && h.rank > t.rank) why = "rank " + std::to_string(h.rank) + " should be listening, not connecting";
  if (why.empty() && t.peers[h.rank].state != RK_PEER_CONNECTING)
    why = "rank " + std::to_string(h.rank) + " is already connected or lost";
  if (!why.empty()) {
    refuse(t, ep, why);
    return UCS_OK;
  }
  t.unauthenticated.erase(std::remove(t.unauthenticated.begin(), t.unauthenticated.end(), ep), t.unauthenticated.end());
  Peer& peer = t.peers[h.rank];
  peer.ep = ep;
  peer.state = RK_PEER_CONNECTED;
  peer.pid = h.pid;
  auto accepted = t.accepted_watch.find(ep);
  peer.watch = accepted != t.accepted_watch.end() ? accepted->second : Watch::kUcx;
  t.accepted_watch.erase(ep);
  t.rank_of[ep] = h.rank;
  if (send_hello(t, ep, kWelcome, h.rank) != RK_SUCCESS) log(RK_LOG_LEVEL_WARN, plugin_common::last_error());
  return UCS_OK;
}

// Connecting side: the listener's welcome proves it is the rank we dialled, with our key.
ucs_status_t on_welcome(void* arg, const void* header, size_t length, void*, size_t, const ucp_am_recv_param_t* param) {
  auto& t = *static_cast<Transport*>(arg);
  if ((param->recv_attr & UCP_AM_RECV_ATTR_FIELD_REPLY_EP) == 0) return UCS_OK;
  ucp_ep_h ep = param->reply_ep;
  Hello h{};
  std::string why = check_hello(t, header, length, h);
  if (why.empty() && (t.peers[h.rank].ep != ep || t.peers[h.rank].state != RK_PEER_CONNECTING))
    why = "a welcome from rank " + std::to_string(h.rank) + " on a connection made to another";
  if (!why.empty()) {
    ++t.stats.connections_refused;
    log(RK_LOG_LEVEL_WARN, "ucx: rank " + std::to_string(t.rank) + " refused a welcome: " + why);
    return UCS_OK;
  }
  t.peers[h.rank].state = RK_PEER_CONNECTED;
  t.peers[h.rank].pid = h.pid;
  t.rank_of[ep] = h.rank;
  return UCS_OK;
}

ucs_status_t on_data(void* arg, const void* header, size_t header_length, void* data, size_t length,
                     const ucp_am_recv_param_t* param) {
  auto& t = *static_cast<Transport*>(arg);
  auto known = (param->recv_attr & UCP_AM_RECV_ATTR_FIELD_REPLY_EP) ? t.rank_of.find(param->reply_ep) : t.rank_of.end();
  // From a member, in one eager piece (we never send otherwise), within the limit.
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
  if (t.callbacks.deliver != nullptr) t.callbacks.deliver(t.callbacks.user, &delivery);
  return UCS_OK;
}

// A connected peer is gone: its endpoint is closed, sends to it fail from now on.
void lose_peer(Transport& t, uint32_t rank, const std::string& why) {
  Peer& peer = t.peers[rank];
  if (peer.ep != nullptr) {
    t.rank_of.erase(peer.ep);
    drop_endpoint(t, peer.ep);
    peer.ep = nullptr;
  }
  peer.state = RK_PEER_LOST;
  peer.last_failure = why;
  ++t.stats.peers_lost;
  std::string detail = "rank " + std::to_string(rank) + " (" + t.addresses[rank] + "): " + why;
  log(RK_LOG_LEVEL_WARN, "ucx: lost " + detail);
  if (t.callbacks.peer_lost != nullptr) t.callbacks.peer_lost(t.callbacks.user, rank, detail.c_str());
}

void on_endpoint_error(void* arg, ucp_ep_h ep, ucs_status_t status) {
  auto& t = *static_cast<Transport*>(arg);
  drop_endpoint(t, ep);
  t.accepted_watch.erase(ep);
  t.unauthenticated.erase(std::remove(t.unauthenticated.begin(), t.unauthenticated.end(), ep), t.unauthenticated.end());
  for (uint32_t rank = 0; rank < t.size; ++rank) {
    Peer& peer = t.peers[rank];
    if (peer.ep != ep) continue;
    if (peer.state == RK_PEER_CONNECTING) {  // not up yet, or refused us: try again soon
      peer.ep = nullptr;
      peer.last_failure = ucs_status_string(status);
      peer.retry_at_ns = now_ns() + kRetryConnectNs;
    } else if (peer.state == RK_PEER_CONNECTED) {
      lose_peer(t, rank, ucs_status_string(status));
    }
  }
}

// Loopback peers (Watch::kPid): a process that is gone is a lost peer.
void check_pids(Transport& t) {
  int64_t now = now_ns();
  if (now < t.next_pid_check_ns) return;
  t.next_pid_check_ns = now + kPidCheckNs;
  for (uint32_t rank = 0; rank < t.size; ++rank) {
    const Peer& peer = t.peers[rank];
    if (peer.state == RK_PEER_CONNECTED && peer.watch == Watch::kPid && process_gone(peer.pid))
      lose_peer(t, rank, "its process " + std::to_string(peer.pid) + " has exited");
  }
}

void on_connection(ucp_conn_request_h request, void* arg) {
  auto& t = *static_cast<Transport*>(arg);
  ucp_ep_params_t params{};
  params.field_mask = UCP_EP_PARAM_FIELD_CONN_REQUEST | UCP_EP_PARAM_FIELD_ERR_HANDLING_MODE | UCP_EP_PARAM_FIELD_ERR_HANDLER;
  params.conn_request = request;
  ucp_conn_request_attr_t attr{};
  attr.field_mask = UCP_CONN_REQUEST_ATTR_FIELD_CLIENT_ADDR;
  Watch watch = ucp_conn_request_query(request, &attr) == UCS_OK ? watch_for(t, attr.client_address) : Watch::kUcx;
  params.err_mode = mode_of(watch);
  params.err_handler.cb = on_endpoint_error;
  params.err_handler.arg = &t;
  ucp_ep_h ep = nullptr;
  if (ucs_status_t s = ucp_ep_create(t.worker, &params, &ep); s != UCS_OK) {
    ++t.stats.connections_refused;
    log(RK_LOG_LEVEL_WARN, std::string("ucx: accepting a connection failed: ") + ucs_status_string(s));
    return;
  }
  t.unauthenticated.push_back(ep);
  t.accepted_watch[ep] = watch;
}

void close_endpoint(ucp_worker_h worker, ucp_ep_h ep, bool force) {
  ucp_request_param_t param{};
  param.op_attr_mask = UCP_OP_ATTR_FIELD_FLAGS;
  param.flags = force ? UCP_EP_CLOSE_FLAG_FORCE : 0;
  ucs_status_ptr_t closing = ucp_ep_close_nbx(ep, &param);
  if (closing == nullptr || UCS_PTR_IS_ERR(closing)) return;
  // Flushing: progress until it completes (bounded), then let UCX free it when it does.
  int64_t give_up = now_ns() + 1'000'000'000;
  while (ucp_request_check_status(closing) == UCS_INPROGRESS && now_ns() < give_up) ucp_worker_progress(worker);
  ucp_request_free(closing);
}

void close_dropped(Transport& t) {
  while (!t.closing.empty()) {
    ucp_ep_h ep = t.closing.back();
    t.closing.pop_back();
    t.rank_of.erase(ep);
    close_endpoint(t.worker, ep, true);
  }
}

// A lower rank dials each higher one whose listener it has not reached yet.
void dial(Transport& t) {
  int64_t now = now_ns();
  for (uint32_t rank = t.rank + 1; rank < t.size; ++rank) {
    Peer& peer = t.peers[rank];
    if (peer.state != RK_PEER_CONNECTING || peer.ep != nullptr || now < peer.retry_at_ns) continue;
    sockaddr_storage address{};
    socklen_t length = 0;
    std::string why;
    if (!parse_address(t.addresses[rank], address, length, why)) {
      peer.last_failure = why;
      peer.retry_at_ns = now + kRetryConnectNs;
      continue;
    }
    ucp_ep_params_t params{};
    params.field_mask = UCP_EP_PARAM_FIELD_FLAGS | UCP_EP_PARAM_FIELD_SOCK_ADDR | UCP_EP_PARAM_FIELD_ERR_HANDLING_MODE |
                        UCP_EP_PARAM_FIELD_ERR_HANDLER;
    params.flags = UCP_EP_PARAMS_FLAGS_CLIENT_SERVER;
    params.sockaddr.addr = reinterpret_cast<const sockaddr*>(&address);
    params.sockaddr.addrlen = length;
    peer.watch = watch_for(t, address);
    params.err_mode = mode_of(peer.watch);
    params.err_handler.cb = on_endpoint_error;
    params.err_handler.arg = &t;
    if (ucs_status_t s = ucp_ep_create(t.worker, &params, &peer.ep); s != UCS_OK) {
      peer.ep = nullptr;
      peer.last_failure = ucs_status_string(s);
      peer.retry_at_ns = now + kRetryConnectNs;
      continue;
    }
    if (send_hello(t, peer.ep, kHello, rank) != RK_SUCCESS) peer.last_failure = plugin_common::last_error();
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
  worker.thread_mode = UCS_THREAD_MODE_SINGLE;
  if (s = ucp_worker_create(t.context, &worker, &t.worker); s != UCS_OK)
    return ucx_fail(RK_ERROR_BACKEND_UNAVAILABLE, "creating the UCP worker", s);
  if (s = ucp_worker_get_efd(t.worker, &t.event_fd); s != UCS_OK)
    return ucx_fail(RK_ERROR_BACKEND_UNAVAILABLE, "the worker's event fd", s);
  for (auto [id, cb] : {std::pair<unsigned, ucp_am_recv_callback_t>{kHello, on_hello}, {kWelcome, on_welcome}, {kData, on_data}})
    if (rk_result r = set_handler(t, id, cb); r != RK_SUCCESS) return r;
  sockaddr_storage address{};
  socklen_t length = 0;
  std::string why;
  if (!parse_address(t.addresses[t.rank], address, length, why))
    return fail(RK_ERROR_INVALID_ARGUMENT, "ucx: rank " + std::to_string(t.rank) + "'s address " + why);
  ucp_listener_params_t listen{};
  listen.field_mask = UCP_LISTENER_PARAM_FIELD_SOCK_ADDR | UCP_LISTENER_PARAM_FIELD_CONN_HANDLER;
  listen.sockaddr.addr = reinterpret_cast<const sockaddr*>(&address);
  listen.sockaddr.addrlen = length;
  listen.conn_handler.cb = on_connection;
  listen.conn_handler.arg = &t;
  if (s = ucp_listener_create(t.worker, &listen, &t.listener); s != UCS_OK)
    return ucx_fail(RK_ERROR_BACKEND_UNAVAILABLE, "listening on " + t.addresses[t.rank], s);
  return RK_SUCCESS;
}

}  // namespace

void shutdown(Transport* t) {
  if (t->worker != nullptr) {
    close_dropped(*t);
    for (ucp_ep_h ep : t->unauthenticated) close_endpoint(t->worker, ep, true);
    for (Peer& peer : t->peers)
      if (peer.ep != nullptr) close_endpoint(t->worker, peer.ep, peer.state != RK_PEER_CONNECTED);
    int64_t give_up = now_ns() + 1'000'000'000;  // sends still in flight complete or fail
    while (t->in_flight != 0 && now_ns() < give_up) ucp_worker_progress(t->worker);
    if (t->listener != nullptr) ucp_listener_destroy(t->listener);
    ucp_worker_destroy(t->worker);
  }
  if (t->context != nullptr) ucp_cleanup(t->context);
  delete t;
}

rk_result open(const rk_transport_group* group, const rk_transport_callbacks* callbacks, Transport** out) {
  if (group == nullptr || out == nullptr || group->struct_size < sizeof(rk_transport_group))
    return fail(RK_ERROR_INVALID_ARGUMENT, "ucx: the group and the out-pointer must be set");
  if (group->size == 0 || group->rank >= group->size || group->addresses == nullptr)
    return fail(RK_ERROR_INVALID_ARGUMENT, "ucx: rank " + std::to_string(group->rank) + " of a group of " +
                                               std::to_string(group->size) + ", or no addresses");
  if (group->job_key == nullptr || group->job_key_size < 16 || group->job_key_size > sizeof(Hello::key))
    return fail(RK_ERROR_INVALID_ARGUMENT, "ucx: the job key must have 16 to 64 bytes");
  auto* t = new Transport;
  t->rank = group->rank;
  t->size = group->size;
  for (uint32_t i = 0; i < group->size; ++i) {
    if (group->addresses[i] == nullptr) {
      delete t;
      return fail(RK_ERROR_INVALID_ARGUMENT, "ucx: rank " + std::to_string(i) + " has no address");
    }
    t->addresses.emplace_back(group->addresses[i]);
  }
  t->key.assign(group->job_key, group->job_key + group->job_key_size);
  if (callbacks != nullptr) std::memcpy(&t->callbacks, callbacks, std::min<size_t>(callbacks->struct_size, sizeof t->callbacks));
  const char* watch = std::getenv("RINGKERNEL_UCX_PEER_FAILURE");
  t->ucx_watches_loopback = watch != nullptr && std::string(watch) == "ucx";
  t->peers.resize(t->size);
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

rk_result progress(Transport* t, uint32_t* events) {
  uint32_t done = 0;
  dial(*t);
  while (done < 1024 && ucp_worker_progress(t->worker) != 0) ++done;
  check_pids(*t);
  close_dropped(*t);
  if (events != nullptr) *events = done;
  return RK_SUCCESS;
}

rk_result wait(Transport* t, uint64_t timeout_ns) {
  ucs_status_t s = ucp_worker_arm(t->worker);
  if (s == UCS_ERR_BUSY) return RK_SUCCESS;  // events pending: progress now
  if (s != UCS_OK) return ucx_fail(RK_ERROR_INTERNAL, "arming the worker", s);
  pollfd fd{t->event_fd, POLLIN, 0};
  timespec limit{static_cast<time_t>(timeout_ns / 1'000'000'000), static_cast<long>(timeout_ns % 1'000'000'000)};
  ppoll(&fd, 1, &limit, nullptr);
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

rk_result connect_all(Transport* t, uint64_t timeout_ns) {
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
  if (uint64_t(header_size) + payload_size > kMaxMessageBytes) {
    ++t->stats.send_failures;
    return fail(RK_ERROR_MESSAGE_TOO_LARGE, "ucx: " + std::to_string(uint64_t(header_size) + payload_size) +
                                                " bytes; a message holds at most " + std::to_string(kMaxMessageBytes));
  }
  Peer& peer = t->peers[rank];
  if (peer.state == RK_PEER_LOST) {
    ++t->stats.send_failures;
    return fail(RK_ERROR_PEER_LOST, "ucx: rank " + std::to_string(rank) + " is gone (" + peer.last_failure + ")");
  }
  if (peer.state != RK_PEER_CONNECTED)
    return fail(RK_ERROR_INVALID_STATE, "ucx: rank " + std::to_string(rank) + " is not connected yet");
  if (t->in_flight >= kMaxInFlight)
    return fail(RK_ERROR_QUEUE_FULL, "ucx: " + std::to_string(kMaxInFlight) + " sends in flight already");
  auto* out = new Outgoing{t, rank, header_size, std::vector<uint8_t>(size_t(header_size) + payload_size)};
  if (header_size != 0) std::memcpy(out->bytes.data(), header, header_size);
  if (payload_size != 0) std::memcpy(out->bytes.data() + header_size, payload, payload_size);
  rk_result r = post(*t, peer.ep, kData, out);
  if (r == RK_SUCCESS) ++t->stats.messages_sent;
  else ++t->stats.send_failures;
  return r;
}

}  // namespace rk::ucx
