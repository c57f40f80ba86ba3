// The relaunch bridge mode (docs/runtime.md, "The relaunch bridge mode"): on a device that
// cannot keep a kernel running beside the host (no RK_CAP_PERSISTENT_KERNELS), or when
// RINGKERNEL_BRIDGE_MODE=relaunch asks for it, every ring kernel is an elastic one whose
// launch drains what is queued and leaves: it exits relaunchable soon after its queues run
// dry, or after a time slice under load, and the runtime launches it again when work comes
// (runtime/elastic.hpp). Queues, outbox and state stay in the ring block between launches.
// The ring block is still host-coherent memory: a device without it would need the block
// copied in and out around each launch, which is not built (such a launch says so).
#pragma once

#include <cstdint>

#include "runtime/kernel_config.hpp"

namespace rk::core {

constexpr uint64_t kRelaunchIdleExitNs = 50'000;  // a launch ends this soon after its queues ran dry
constexpr uint64_t kRelaunchSliceNs = 5'000'000;  // and runs at most this long while busy

// Shorter options the user set are kept.
inline void apply_relaunch_mode(KernelConfig& config) {
  if (config.idle_exit_ns == 0 || config.idle_exit_ns > kRelaunchIdleExitNs) config.idle_exit_ns = kRelaunchIdleExitNs;
  if (config.max_run_ns == 0 || config.max_run_ns > kRelaunchSliceNs) config.max_run_ns = kRelaunchSliceNs;
}

}  // namespace rk::core
