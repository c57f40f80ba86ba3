// Parking ring kernels around work the device cannot do while they run. On CUDA, loading
// a module waits until no kernel runs on the device (RK_CAP_LOAD_WAITS_FOR_KERNELS), and a
// ring kernel never stops by itself: launching a second one would wait forever. So the
// runtime asks every running ring kernel on that device (in every runtime of the process)
// to park: its loop exits at the next message boundary with its queues, outbox and state
// untouched (RK_STOP_PARK -> RK_TERMINATED_RELAUNCHABLE). The work runs, and each parked
// kernel is launched again; it goes on where it stopped (docs/runtime.md, "Parking").
#pragma once

#include <functional>
#include <mutex>

#include "ringkernel.h"
#include "runtime/kernel_ops.hpp"

namespace rk::core {

// Runtimes whose backend needs parking (or RINGKERNEL_PARK_TO_LOAD=1) register on open
// and unregister before their kernels go.
void register_parking_runtime(rk_runtime_s* runtime);
void unregister_parking_runtime(rk_runtime_s* runtime);

// Runs `work` with the ring kernels on runtime's device parked, where its backend needs
// that; else just runs it. Fails with RK_ERROR_TIMEOUT, without running `work`, when a
// kernel does not reach a message boundary in time (a hung handler); every kernel it
// parked runs again either way. `launching`: the kernel whose launch this is: it does not
// run yet, and its lifecycle is locked for `work` with the others'.
rk_result with_ring_kernels_parked(rk_runtime_s* runtime, const std::function<rk_result()>& work,
                                   rk_kernel_s* launching = nullptr);

// Held while a kernel is removed from its table and freed, so parking never sees it half gone.
std::unique_lock<std::mutex> hold_parking();

// A kernel whose loop left relaunchable (parked; its park given up while the loop was
// already leaving; an elastic kernel's own exit) is launched again; lifecycle_mutex held.
// RK_SUCCESS when it runs or was not parked. `keep_stop`: leave should_terminate as it is
// (a terminate that found the loop gone relaunches it to drain).
rk_result resume_if_parked(rk_kernel_s* kernel, bool keep_stop = false);

// Parks one kernel's loop at a message boundary and waits for its launch to end
// (lifecycle_mutex held): for a snapshot, a restart, a migration's twin. A loop already off
// the device is left as it is; a park someone else asked for (a supervisor's) is waited
// for, not written. `asked`: this call wrote the request, so its caller launches the loop
// again. At the deadline, RK_ERROR_TIMEOUT with "kernel '<name>' <timeout_words>"; the
// request is taken back first when `take_back` (the kernel runs on as it was).
rk_result park_loop(rk_kernel_s* kernel, Clock::time_point deadline, const char* timeout_words, bool take_back,
                    bool& asked);

}  // namespace rk::core
