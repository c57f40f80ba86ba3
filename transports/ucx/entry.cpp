// The ucx transport's C table and its one exported symbol (abi/ringkernel/rk_transport.h).
#include <algorithm>
#include <cstring>
#include <string>

#include "common/plugin_support.hpp"
#include "ucx_transport.hpp"

namespace {

using rk::plugin_common::fail;
using rk::ucx::Transport;

// The handle is opaque to the core: it is our Transport.
Transport* of(rk_transport transport) { return reinterpret_cast<Transport*>(transport); }

// Loading the plugin has already found libucp (it is linked): say which. Starting UCX
// (ucp_init) is left to open(), which reports its failures: discovery runs at every
// registry scan, and UCX's start-up (it installs memory hooks) is not for a mere look.
rk_result probe(rk_text_out* why) {
  unsigned major = 0, minor = 0, release = 0;
  ucp_get_version(&major, &minor, &release);
  rk::plugin_common::write_text(why, "UCX " + std::to_string(major) + "." + std::to_string(minor) + "." +
                                         std::to_string(release) + ", active messages");
  return RK_SUCCESS;
}

rk_result open(const rk_transport_group* group, const rk_transport_callbacks* callbacks, rk_transport* out) {
  if (out == nullptr) return fail(RK_ERROR_INVALID_ARGUMENT, "ucx: the out-pointer must be set");
  Transport* made = nullptr;
  rk_result r = rk::ucx::open(group, callbacks, &made);
  *out = reinterpret_cast<rk_transport>(made);
  return r;
}

rk_result local_address(rk_transport t, rk_text_out* address) {
  if (t == nullptr || address == nullptr) return fail(RK_ERROR_INVALID_ARGUMENT, "ucx: no transport or text out");
  std::string text;
  if (rk_result r = rk::ucx::local_address(of(t), text); r != RK_SUCCESS) return r;
  rk::plugin_common::write_text(address, text);
  return RK_SUCCESS;
}

rk_result connect_all(rk_transport t, uint64_t timeout_ns) {
  return t ? rk::ucx::connect_all(of(t), timeout_ns) : fail(RK_ERROR_INVALID_ARGUMENT, "ucx: no transport");
}

rk_result send(rk_transport t, uint32_t rank, const void* header, uint32_t header_size, const void* payload,
               uint32_t payload_size) {
  return t ? rk::ucx::send(of(t), rank, header, header_size, payload, payload_size)
           : fail(RK_ERROR_INVALID_ARGUMENT, "ucx: no transport");
}

rk_result progress(rk_transport t, uint32_t* events) {
  return t ? rk::ucx::progress(of(t), events) : fail(RK_ERROR_INVALID_ARGUMENT, "ucx: no transport");
}

rk_result wait(rk_transport t, uint64_t timeout_ns) {
  return t ? rk::ucx::wait(of(t), timeout_ns) : fail(RK_ERROR_INVALID_ARGUMENT, "ucx: no transport");
}

rk_result peer_state(rk_transport t, uint32_t rank, rk_transport_peer_state* state) {
  if (t == nullptr || state == nullptr) return fail(RK_ERROR_INVALID_ARGUMENT, "ucx: no transport or state");
  if (rank >= of(t)->size) return fail(RK_ERROR_NOT_FOUND, "ucx: no rank " + std::to_string(rank));
  *state = of(t)->peers[rank].state;
  return RK_SUCCESS;
}

rk_result stats(rk_transport t, rk_transport_stats* out) {
  if (t == nullptr || out == nullptr || out->struct_size == 0)
    return fail(RK_ERROR_INVALID_ARGUMENT, "ucx: no transport, or stats without struct_size");
  uint32_t size = std::min<uint32_t>(out->struct_size, sizeof(rk_transport_stats));
  rk_transport_stats copy = of(t)->stats;
  copy.struct_size = size;
  std::memcpy(out, &copy, size);
  return RK_SUCCESS;
}

void close(rk_transport t) {
  if (t == nullptr) return;
  if (of(t)->in_callback) {  // it would free what the running callback's caller still uses
    rk::plugin_common::log(RK_LOG_LEVEL_ERROR, "ucx: close from a deliver or peer_lost callback is ignored");
    return;
  }
  rk::ucx::shutdown(of(t));
}

const char* last_error() { return rk::plugin_common::last_error(); }

const rk_transport_table kTable = {
    sizeof(rk_transport_table),
    RK_TRANSPORT_ABI_MAJOR,
    RK_TRANSPORT_ABI_MINOR,
    "ucx",
    rk::ucx::kMaxMessageBytes,
    0,
    probe,
    open,
    local_address,
    connect_all,
    send,
    progress,
    wait,
    peer_state,
    stats,
    close,
    last_error,
};

}  // namespace

extern "C" RK_PLUGIN_EXPORT rk_result rk_transport_entry(const rk_host_services* host, const rk_transport_table** table,
                                                         rk_text_out* error) {
  if (table == nullptr) {
    rk::plugin_common::write_text(error, "ucx: no table out-pointer");
    return RK_ERROR_INVALID_ARGUMENT;
  }
  rk::plugin_common::set_host(host);  // the core checks the table's ABI version
  *table = &kTable;
  return RK_SUCCESS;
}
