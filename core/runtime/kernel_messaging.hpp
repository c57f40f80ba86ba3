// Host-side messaging with one ring kernel (see ringkernel.h for the contract): sending
// is in kernel_messaging.cpp; receive, request/reply, status and telemetry in
// kernel_receive.cpp.
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>

#include "ringkernel.h"

namespace rk::core {

// Spin, then yield, then short sleeps: waits that last must not burn a core.
void backoff(uint32_t round);

// Takes the input queue's send lock into `sending` once no send holds it and no reservation
// is open (it does not try the lock meanwhile: this thread may hold it for a reservation).
// False at the deadline, the lock not taken.
bool lock_sends_by(rk_kernel_s* kernel, std::chrono::steady_clock::time_point deadline,
                   std::unique_lock<std::mutex>& sending);

// Terminate's and migration's handshake with host sends, once `closing` is raised: waits
// until no send holds the input queue and no reservation is open (lock_sends_by), so every
// send has published or will see `closing` and be refused. False at the deadline.
bool wait_out_sends(rk_kernel_s* kernel, std::chrono::steady_clock::time_point deadline);

rk_result kernel_send(rk_kernel_s* kernel, uint32_t type_id, const void* payload, uint32_t size,
                      const rk_send_options* options, uint64_t* message_id);
rk_result kernel_reserve(rk_kernel_s* kernel, uint32_t type_id, uint32_t size, uint64_t timeout_ns, rk_slot* slot);
rk_result kernel_commit(rk_kernel_s* kernel, rk_slot* slot, uint64_t* message_id);

rk_result kernel_receive(rk_kernel_s* kernel, rk_msg_header* header, void* payload, uint32_t capacity,
                         uint32_t* size, uint64_t timeout_ns);
// Sends a request carrying `correlation_id`. A send that times out waiting for room is
// RK_ERROR_QUEUE_FULL ("never sent"), so callers can tell it from a reply that never came.
rk_result send_request(rk_kernel_s* kernel, uint32_t type_id, const void* payload, uint32_t size,
                       uint64_t correlation_id, uint64_t timeout_ns);
rk_result kernel_request(rk_kernel_s* kernel, uint32_t type_id, const void* payload, uint32_t size,
                         rk_msg_header* reply_header, void* reply, uint32_t reply_capacity, uint32_t* reply_size,
                         uint64_t timeout_ns);

rk_result kernel_status(rk_kernel_s* kernel, rk_kernel_status* status);
rk_result kernel_telemetry(rk_kernel_s* kernel, rk_telemetry* telemetry);
rk_result kernel_latency(rk_kernel_s* kernel, rk_kernel_latency* latency);

}  // namespace rk::core
