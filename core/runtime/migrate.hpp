// Migration (docs/runtime.md, "Snapshots and migration"): a running kernel moves to
// another runtime (another device or backend) while its peers keep sending to it by name.
//
//  1. A kernel of the same options is made and launched, inactive, in the target runtime
//     (compiling there may take a while; nothing has stopped yet).
//  2. Every ring kernel of the source runtime parks at a message boundary (their lifecycle
//     locks held), and so does the new one: no device code of the source runtime runs, so
//     no K2K send is half done.
//  3. With the directory held (no forwarding between runtimes meanwhile), the old kernel's
//     state and messages move into the new one (a snapshot taken, not copied), and its
//     route becomes a proxy to the new kernel, as do other runtimes' proxies to it.
//  4. The others run again; the new kernel gets the old one's activity; the old one is
//     terminated, with nothing left to drain.
// Peers pause for the length of step 3 and never see a refusal. Sends by the host go to the
// new handle; the old one refuses them, saying where the kernel went.
#pragma once

#include <cstdint>

#include "ringkernel.h"

namespace rk::core {

// rk_kernel_migrate.
rk_result kernel_migrate(rk_kernel_s* kernel, rk_runtime_s* target, uint64_t timeout_ns, rk_kernel_s** moved);

}  // namespace rk::core
