// struct rk_kernel_s: one ring kernel as the host sees it. Its control block, telemetry,
// environment, state and queues live in one host-mapped "ring block" that the device
// reads and writes while the kernel runs (docs/runtime.md, "Memory: the ring block").
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "bridge/kernel_async.hpp"
#include "observability/trace.hpp"
#include "ringkernel.h"
#include "runtime/kernel_config.hpp"
#include "runtime/supervision.hpp"

namespace rk::core {

struct CopiedBlock;  // runtime/copy_mode.hpp

// A message moved off the device: replies that arrived while a request waited for
// another, and output left behind at termination. Kept in arrival order.
struct HostMessage {
  rk_msg_header header;
  std::vector<uint8_t> payload;
};

// Host pointers into a kernel's ring block.
struct RingViews {
  rk_control_block* control = nullptr;
  rk_telemetry* telemetry = nullptr;
  rk_ring_env* env = nullptr;
  rk_latency_histograms* histograms = nullptr;
  rk_queue_header* input = nullptr;
  rk_queue_header* output = nullptr;
  rk_queue_header* inbox = nullptr;
  rk_queue_header* outbox = nullptr;
  // Host addresses taken when the host wrote the queues: the host's send, receive and
  // drain paths use them with the kernel's configured geometry, never what the
  // device-visible headers say later (a device that scribbles there cannot redirect us).
  uint8_t* input_slots = nullptr;
  uint8_t* output_slots = nullptr;
  uint64_t* inbox_sequence = nullptr;
  uint8_t* inbox_slots = nullptr;
  uint8_t* outbox_slots = nullptr;
  rk_trace_ring* trace = nullptr;  // traced kernels only
};

// Whether a kernel in `state` has its views written for good. A launch writes them, then
// stores the state it leaves the kernel in: a thread that reads the state (acquire) first
// may read them from then on. Threads that look at every kernel of a runtime (the dump, the
// metrics) can meet one whose launch is writing them now, which is still Created.
inline bool views_published(rk_kernel_state state) { return state != RK_KERNEL_CREATED; }

}  // namespace rk::core

struct rk_kernel_s {
  rk_runtime_s* runtime = nullptr;
  rk::core::KernelConfig config;
  uint32_t id = 0;
  std::atomic<rk_kernel_state> state{RK_KERNEL_CREATED};
  std::mutex lifecycle_mutex;  // serializes transitions

  // Device resources (owned; released at termination or runtime destroy).
  rk_backend_module module = nullptr;
  rk_backend_function function = nullptr;
  rk_backend_stream stream = nullptr;
  rk_backend_buffer ring_block = nullptr;
  uint8_t* ring_host = nullptr;
  uint64_t ring_device = 0;
  rk::core::RingBlockLayout layout;
  rk::core::RingViews views;
  // Relaunch-copy mode: the ring block is device memory and ring_host its host mirror.
  std::shared_ptr<rk::core::CopiedBlock> copied;

  // Terminate raises `closing`, then waits until no send holds send_mutex, then lets the
  // loop drain: every send looks at `closing` under send_mutex before it takes a slot, so
  // it either publishes before the drain or is refused (never accepted and then lost).
  // No count of sends in flight: its two locked instructions were on every send's path.
  std::atomic<bool> closing{false};
  std::atomic<bool> migrated{false};  // moved to another runtime (runtime/migrate.hpp): its route is a proxy now
  // Made by rk_kernel_migrate for a kernel not yet moved into it: lookups by name pass it
  // over (the kernel it will be is still where it was), until the move clears it.
  std::atomic<bool> migration_twin{false};
  // A twin whose id was a live proxy in its runtime already when it was made (the kernel
  // lived there before and moved away): kernels there may have sent through it, so its id
  // stays a proxy at the move (remote_k2k.hpp, route_home_through_egress_locked). Directory held.
  bool id_was_home_proxy = false;
  // Messages the host refused or found too late. Kept here, not in the device's telemetry
  // word: host and GPU read-modify-writing one word over PCIe is not atomic without native
  // host atomics (absent on PCIe H100s). The telemetry snapshot adds the two.
  std::atomic<uint64_t> host_dropped{0};
  std::atomic<uint64_t> relaunches{0};  // loops launched again after parking (runtime/park.hpp)

  // The producer's and the consumer's fields on lines of their own: with async consumers
  // the output is drained by another thread (the bridge, or on cpu_sim the kernel's own
  // thread between messages) while the caller sends, and a shared line would move between
  // their cores on every message.
  alignas(64) std::mutex send_mutex;  // one host producer at a time on the SPSC input queue
  // An rk_kernel_reserve awaits its commit (send_mutex held meanwhile). Atomic: terminate
  // reads it without the lock, which its own thread may be holding.
  std::atomic<bool> slot_open{false};
  uint64_t next_message_id = 0;
  std::atomic<uint64_t> next_correlation_id{0};  // host request ids: unique, in no lock (next_request_id)
  alignas(64) std::mutex receive_mutex;    // one host consumer at a time on the SPSC output queue
  std::deque<rk::core::HostMessage> held;  // received off the device, not yet handed out
  rk::core::KernelAsync async;             // async consumers and late replies (receive_mutex)
  rk::core::HostTraceRings trace_rings;    // traced kernels: the host's events (observability/trace.hpp)
  rk::core::KernelSupervision supervision; // rk_kernel_supervise (runtime/supervision.hpp)
  // "R/name" when this handle stands for a kernel of another rank, found by name
  // (distributed/remote_kernel.hpp): no ring block; only send, request and destroy apply.
  std::string remote;
};
