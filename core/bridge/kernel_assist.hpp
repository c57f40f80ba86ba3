// cpu_sim kernels deliver their own output (docs/bridge.md, "Who runs callbacks"): an idle
// kernel thread offers its time through rk_host_services.kernel_idle_assist, naming its
// control block, and the core runs the bridge's pass for that one kernel on that thread.
// A reply to an async request then needs no third thread woken on a machine whose cores the
// caller and the kernel already fill.
#pragma once

#include "ringkernel.h"

namespace rk::core {

// From its first async consumer on (Bridge::attach) until detach, the kernel's own thread
// may serve it between its messages (idle, or busy every 16 replies). Both are cheap and idempotent.
void enlist_for_assist(rk_kernel_s* kernel);
void withdraw_from_assist(rk_kernel_s* kernel);

// RINGKERNEL_KERNEL_ASSIST (default on; "0" off), read once: kernel threads standing in
// for the bridge and for the forwarding thread (bridge/remote_k2k.cpp) alike.
bool kernel_assist_enabled();

// rk_host_services.kernel_idle_assist: true when a pass delivered something.
bool kernel_assist(const void* control_block);

}  // namespace rk::core
