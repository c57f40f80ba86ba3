// What the handshake (handshake.cpp) and the connection code (ucx_transport.cpp) share.
#pragma once

#include <string>

#include "ucx_transport.hpp"

namespace rk::ucx {

// handshake.cpp
bool fresh_nonce(uint8_t* nonce);
rk_result send_hello(Transport& t, uint32_t rank);  // on peers[rank].ep, a fresh nonce
void refuse(Transport& t, ucp_ep_h ep, const std::string& why);  // an accepted, unfinished endpoint
ucs_status_t on_hello(void* arg, const void* header, size_t length, void* data, size_t data_length,
                      const ucp_am_recv_param_t* param);
ucs_status_t on_welcome(void* arg, const void* header, size_t length, void* data, size_t data_length,
                        const ucp_am_recv_param_t* param);
ucs_status_t on_proof(void* arg, const void* header, size_t length, void* data, size_t data_length,
                      const ucp_am_recv_param_t* param);

// ucx_transport.cpp
// Sends `size` bytes as the AM header of message `id` on `ep` (copied; freed when UCX is done).
rk_result post_bytes(Transport& t, ucp_ep_h ep, unsigned id, uint32_t rank, const void* bytes, size_t size);
// Queues `ep` to be closed at the next progress (as its mode allows), forgetting it everywhere.
void drop_endpoint(Transport& t, ucp_ep_h ep);
// Drops a dialled rank's current attempt; progress dials again `retry_after_ns` from now
// (0: at once; the attempt's own timeout after a peer that failed the handshake).
void abandon_attempt(Transport& t, uint32_t rank, int64_t retry_after_ns);

}  // namespace rk::ucx
