// Internal operations on ring kernels, shared by the C API and runtime shutdown.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>

#include "ringkernel.h"

namespace rk::core {

using Clock = std::chrono::steady_clock;

// A control-block field (int32_t in the layout) as the word the atomics take.
inline uint32_t* word(int32_t& field) { return reinterpret_cast<uint32_t*>(&field); }

// Deadline for a timeout in ns: RK_WAIT_FOREVER maps to time_point::max().
Clock::time_point deadline_after(uint64_t timeout_ns);

// `migration_twin`: made by rk_kernel_migrate, marked so before any lookup can find it.
rk_result kernel_create(rk_runtime_s* runtime, const rk_kernel_options* options, rk_kernel_s** kernel,
                        bool migration_twin = false);
rk_result kernel_launch(rk_kernel_s* kernel);
rk_result kernel_set_active(rk_kernel_s* kernel, bool activate, bool reactivate);
rk_result kernel_terminate(rk_kernel_s* kernel, uint64_t timeout_ns);
rk_result kernel_destroy(rk_kernel_s* kernel);

// The id under which `runtime` routes to the kernel called `name`: ours, one of another
// runtime (a proxy), or one that may launch here later.
rk_result kernel_id_for_name(rk_runtime_s* runtime, const std::string& name, uint32_t& id, bool directory_held = false);

// Opens the kernel's K2K route: peers may write into its inbox from here on.
void publish_live_route(rk_kernel_s* kernel);

// One persistent launch of the kernel's ring loop on its stream (its ring block is ready).
rk_result launch_ring_loop(rk_kernel_s* kernel);

// Waits until the loop has left (has_terminated no longer RUNNING), moving output off the
// device meanwhile so a handler waiting for output room can reach its message boundary.
// At the deadline: RK_ERROR_TIMEOUT with "kernel '<name>' <timeout_words>".
rk_result wait_loop_left(rk_kernel_s* kernel, Clock::time_point deadline, const char* timeout_words);

// The loop left relaunchable: parked, or an elastic kernel's own exit (runtime/elastic.hpp).
bool loop_left_relaunchable(rk_kernel_s* kernel);

// Host doorbells (the cpu_sim loop parks on them; GPU loops poll). Control changes always
// ring; a send rings only where kernels park (rk_runtime_s::kernels_park).
// Wakes a sleeper parked on `doorbell` if `parked` says one is (after the caller's stores:
// a full fence first). ring_kernel_doorbell: the kernel's.
void ring_doorbell(uint32_t* doorbell, uint32_t* parked);
void ring_kernel_doorbell(rk_control_block* control);

// Moves the messages waiting in the output queue into kernel->held until it holds
// `max_held` (receive_mutex held). Late replies are counted and dropped on the way.
rk_result drain_output_locked(rk_kernel_s* kernel, size_t max_held = SIZE_MAX);

// A fresh correlation id for a host request (bit 63 set: replies to it can be told apart).
uint64_t next_request_id(rk_kernel_s* kernel);

}  // namespace rk::core
