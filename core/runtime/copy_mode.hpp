// The relaunch-copy bridge mode (docs/runtime.md, "Devices without host-coherent memory").
// Where the host and a running kernel cannot share memory (OpenCL without fine-grained SVM
// atomics, or RINGKERNEL_BRIDGE_MODE=relaunch-copy), a kernel's ring block lives in device
// memory, and the host works on a mirror of it in host memory: every host path (send,
// receive, status, snapshots, the watchdog) reads and writes the mirror exactly as it would
// the shared block. The two meet in *steps*, one at a time per runtime:
//   1. copy in: the parts the host owns (control requests, the input it queued, how far it
//      read the output and the trace) go into the device image; the routing table too;
//   2. one launch of the loop, which drains a batch and leaves relaunchable (relaunch mode);
//   3. copy out: the parts the device owns go back into the mirror, queue by queue in the
//      order a consumer reads them (slots, then the index that publishes them), the
//      output before the input's room (as the loop replies before it releases a message),
//      and the inboxes of the runtime's other kernels too, which the launch may have sent to.
// No kernel of the runtime runs outside a step, so K2K between its kernels writes device
// memory no copy is reading. A step starts on the thread that launches (a send, the bridge,
// a lifecycle call; under the kernel's lifecycle lock) and returns once the launch is
// queued; whoever comes next finishes it when the launch has ended: a host wait for output
// or for the loop to leave, the bridge's round, or the next step (which waits for it).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "ringkernel.h"

namespace rk::core {

struct CopiedBlock;

// A runtime's steps, its members (kernels whose block is on the device) and the device
// copy of its routing table. Only in RK_BRIDGE_RELAUNCH_COPY runtimes.
class CopySteps {
 public:
  ~CopySteps();
  std::mutex mutex;  // one step at a time; held while routes or members change
  std::atomic<std::thread::id> owner{};  // who holds `mutex` (a step publishes a route under it)
  std::vector<std::shared_ptr<CopiedBlock>> members;
  // Every block made, kept until the runtime goes, as ring blocks are: the trace collector
  // and late readers hold pointers into a terminated kernel's mirror (under `mutex`).
  std::vector<std::shared_ptr<CopiedBlock>> kept;
  rk_kernel_s* on_device = nullptr;  // the kernel whose launch is not copied out yet (under `mutex`)
  std::atomic<bool> in_flight{false};  // on_device is set: a look without the lock
  size_t turn = 0;  // the bridge's round starts its look for work here (bridge thread only)
  uint8_t* routes_mirror = nullptr;  // the table's `routes`: host memory
  size_t routes_bytes = 0;
  std::string unusable;  // why ring kernels cannot run here (no device-addressed memory); "" if they can
  rk_backend_buffer routes_buffer = nullptr;  // the device copy (freed with the runtime)
};

bool copy_mode(const rk_runtime_s* runtime);

// Device memory for the routing table and its host mirror (runtime creation).
rk_result create_copied_routes(rk_runtime_s* runtime);

// Device memory for a kernel's ring block and its host mirror; out: the mirror's address,
// the device's address and the buffer (kept by the kernel as its ring block).
rk_result allocate_copied_block(rk_kernel_s* kernel, size_t bytes, uint8_t*& mirror, uint64_t& device,
                                rk_backend_buffer& buffer);

// Starts a step for the kernel (lifecycle_mutex held, its loop off the device): finishes
// the step under way first (waiting for its launch), copies in and launches. The first
// step copies the whole block and only then opens the kernel's route, so no peer writes
// into an inbox the device has not got. A hung handler holds every later step of the
// runtime (docs/runtime.md). On the bridge thread it never waits: a kernel it cannot start
// at once is left off the device, relaunchable, for a later round.
rk_result launch_copied(rk_kernel_s* kernel);

// Finishes the step under way if its launch has ended (copy out), without waiting for it
// or for another thread's step. True when no step is under way afterwards. Host waits
// call it as they poll; cheap when nothing is under way.
bool settle_steps(rk_runtime_s* runtime);

// Whether a step of this runtime is under way (its launch not copied out yet).
bool step_under_way(const rk_runtime_s* runtime);

// The runtime's steps held by this thread; re-entry (a route opened inside a step) does not
// lock again. Empty, holding nothing, outside relaunch-copy runtimes.
class StepHold {
 public:
  StepHold() = default;
  StepHold(CopySteps* steps, bool try_only);
  StepHold(StepHold&& other) noexcept : steps_(other.steps_), busy_(other.busy_) { other.steps_ = nullptr; }
  StepHold& operator=(StepHold&&) = delete;
  ~StepHold();
  // False only when try_only found another thread's step under way.
  explicit operator bool() const { return !busy_; }

 private:
  CopySteps* steps_ = nullptr;  // set when this hold took the lock (not a re-entry)
  const CopySteps* previous_ = nullptr;
  bool busy_ = false;
};

// Route changes and a kernel leaving: serialized against steps.
StepHold hold_steps(rk_runtime_s* runtime);
// Whether a step may start now without waiting: the bridge asks before relaunching, so a
// long step on another thread never holds up its round (false: try again next round).
StepHold try_hold_steps(rk_runtime_s* runtime);

// Finishes the step under way, waiting for its launch to end (steps held by the caller):
// before a kernel leaves, so what that launch sent it is in its mirror and counted.
rk_result finish_step(rk_runtime_s* runtime);

// The kernel's block leaves the runtime's members (terminate; steps held by the caller):
// from here no step copies its inbox.
void forget_copied_block(rk_kernel_s* kernel);

// The host wrote a part of the mirror that the device owns (a reset state, for a restart):
// the next step copies it in. Lifecycle_mutex held, the loop off the device.
void mark_copied_dirty(rk_kernel_s* kernel, size_t offset, size_t bytes);

}  // namespace rk::core
