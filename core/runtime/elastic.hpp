// Elastic ring kernels (docs/runtime.md, "Idle exit and time slices"). A kernel created
// with idle_exit_ns or max_run_ns has them compiled into its loop (RK_IDLE_EXIT_NS,
// RK_MAX_RUN_NS, rk_ring_loop.h): the loop leaves the device by itself, at a message
// boundary, exactly as a parked one does (RK_TERMINATED_RELAUNCHABLE: queues, outbox and
// state kept). Here the host launches it again when work comes, so the user sees one
// kernel, Active, that never lost or reordered a message:
//  - a host send to it relaunches it at once (relaunch_after_send);
//  - the bridge thread looks for elastic kernels whose loop has left while work waits
//    (K2K messages, a time slice over, a send that raced the exit) and relaunches them
//    (relaunch_waiting_soon): every millisecond after a relaunch, backing off to every
//    20 ms while there is none.
#pragma once

#include <chrono>

#include "ringkernel.h"

namespace rk::core {

// After a host send to an elastic kernel succeeded, with no lock of the kernel's held.
void relaunch_after_send(rk_kernel_s* kernel);

// The bridge's round; cheap when no elastic kernel waits. Runtime must have elastic kernels.
void relaunch_waiting_soon(rk_runtime_s* runtime);

// How long the bridge may sleep before the next round: 1 ms after a relaunch, backing off
// to 20 ms while none is needed.
std::chrono::nanoseconds elastic_pace(const rk_runtime_s* runtime);

// Whether the loop is on the device now (status, metrics, dumps).
bool loop_resident(rk_kernel_s* kernel);

}  // namespace rk::core
