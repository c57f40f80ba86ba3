// Snapshots of ring kernels (docs/runtime.md, "Snapshots and migration"): taking one from
// a kernel whose loop is parked, and putting one back into a fresh ring block before its
// loop first starts. The image format is runtime/snapshot_format.hpp's.
#pragma once

#include <cstddef>
#include <vector>

#include "ringkernel.h"
#include "runtime/snapshot_format.hpp"

namespace rk::core {

// rk_kernel_snapshot.
rk_result kernel_snapshot(rk_kernel_s* kernel, void* buffer, size_t capacity, size_t* size);

// Everything the kernel holds, into `out` (lifecycle_mutex held, the loop parked, so only
// the host and peers' K2K sends touch the queues). `take`: the messages leave the kernel
// and no names are looked up (migration takes after a copy it resolved); else it keeps
// them, and fails when a message names a kernel that cannot be named (a route to a kernel
// gone). `directory_held`: the caller holds hold_directory().
rk_result capture_snapshot(rk_kernel_s* kernel, bool take, Snapshot& out, bool directory_held);

// At launch, after the ring block is made and before the loop starts: the state, clock and
// messages of config.snapshot go back in, each K2K id mapped by name to this runtime's.
rk_result restore_snapshot(rk_kernel_s* kernel);

// The same from a decoded snapshot, into a kernel whose loop is parked (migration):
// input and outbox messages go behind any already there.
rk_result restore_into(rk_kernel_s* kernel, const Snapshot& snapshot, bool directory_held);

// Migration (the directory held): sends `old` made that still wait outside its outbox (in
// its runtime's egress queue, for kernels of the runtime it moves to) go into `copy` ahead
// of its outbox's, which are newer. Each is a header followed by its payload.
rk_result carry_sends_ahead(rk_kernel_s* old, const std::vector<const rk_msg_header*>& sends, Snapshot& copy);

}  // namespace rk::core
