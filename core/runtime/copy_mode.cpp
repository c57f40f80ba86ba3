#include "runtime/copy_mode.hpp"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <utility>

#include "api/error.hpp"
#include "bridge/bridge.hpp"
#include "queue/queue_init.hpp"
#include "runtime/device_calls.hpp"
#include "runtime/host_dialect.hpp"
#include "runtime/kernel.hpp"
#include "runtime/kernel_ops.hpp"
#include "runtime/runtime.hpp"

namespace rk::core {
namespace {

struct FreeBytes {
  void operator()(uint8_t* p) const { std::free(p); }
};
using HostBytes = std::unique_ptr<uint8_t, FreeBytes>;

// Zeroed, 128-byte aligned like the device's allocation (queue headers keep their lines).
HostBytes host_bytes(size_t bytes) {
  const size_t rounded = (bytes + 127) / 128 * 128;
  auto* memory = static_cast<uint8_t*>(std::aligned_alloc(128, rounded));
  if (memory != nullptr) std::memset(memory, 0, rounded);
  return HostBytes(memory);
}

// A queue inside a block: where, and the geometry the host configured (never what the
// device wrote into the header).
struct QueueAt {
  size_t offset = 0;
  uint32_t capacity = 0;
  uint32_t slot_size = 0;
  size_t slot(uint64_t index) const {
    return offset + queue_detail::slots_offset() + static_cast<size_t>(index & (capacity - 1)) * slot_size;
  }
  size_t sequence(uint32_t i) const {
    return offset + queue_detail::sequence_offset(capacity, slot_size) + size_t{i} * sizeof(uint64_t);
  }
};

template <class T>
T* at(uint8_t* base, size_t offset) {
  return reinterpret_cast<T*>(base + offset);
}

}  // namespace

struct CopiedBlock {
  rk_runtime_s* runtime = nullptr;
  rk_backend_buffer buffer = nullptr;  // the kernel's ring block (retired with it, not here)
  size_t bytes = 0;
  HostBytes mirror;   // what every host path reads and writes: kernel->ring_host
  HostBytes staging;  // the device's image as the last step left it; only steps touch it
  RingBlockLayout layout;
  QueueAt input, output, inbox, outbox;
  uint32_t trace_capacity = 0;  // 0: not traced
  bool loaded = false;          // the first step copies everything
  std::vector<std::pair<size_t, size_t>> dirty;  // mirror ranges the next step copies in whole
};

namespace {

thread_local const CopySteps* t_holding = nullptr;

// ---- the words themselves -------------------------------------------------------------
// The mirror is read and written by host threads while a step runs, always with atomics
// on the words that change, so the step writes device-owned words with atomic stores and
// reads host-owned ones with atomic loads. The staging image is the step's alone.

void out_words64(CopiedBlock& b, size_t offset, size_t bytes) {
  for (size_t i = offset; i + 8 <= offset + bytes; i += 8)
    rk_store_relaxed_u64(at<uint64_t>(b.mirror.get(), i), *at<uint64_t>(b.staging.get(), i));
}

void out_word32(CopiedBlock& b, size_t offset) {
  rk_store_relaxed_u32(at<uint32_t>(b.mirror.get(), offset), *at<uint32_t>(b.staging.get(), offset));
}

void in_word32(CopiedBlock& b, size_t offset) {
  *at<uint32_t>(b.staging.get(), offset) = rk_load_acquire_u32(at<uint32_t>(b.mirror.get(), offset));
}

void in_word64(CopiedBlock& b, size_t offset) {
  *at<uint64_t>(b.staging.get(), offset) = rk_load_acquire_u64(at<uint64_t>(b.mirror.get(), offset));
}

// A message slot into the mirror: the body, then publish_seq with release (a consumer
// that finds it ready reads a whole message). The slot's previous message was consumed
// before this step began: the device wrote it only once the host had moved past it.
void out_message(CopiedBlock& b, size_t slot, uint32_t slot_size) {
  constexpr size_t kSeqWord = offsetof(rk_msg_header, flags);  // flags | publish_seq
  out_words64(b, slot, kSeqWord);
  out_words64(b, slot + kSeqWord + 8, slot_size - kSeqWord - 8);
  out_word32(b, slot + offsetof(rk_msg_header, flags));
  rk_store_release_u32(at<uint32_t>(b.mirror.get(), slot + offsetof(rk_msg_header, publish_seq)),
                       *at<uint32_t>(b.staging.get(), slot + offsetof(rk_msg_header, publish_seq)));
}

size_t field(const QueueAt& q, size_t member) { return q.offset + member; }

// ---- copy in: what the host owns ------------------------------------------------------

void in_input(CopiedBlock& b) {
  const QueueAt& q = b.input;
  auto* device = at<rk_queue_header>(b.staging.get(), q.offset);
  // The tail first, with acquire: every slot before it is whole. Those the device has
  // not got yet follow; the producer never writes a published slot again before the
  // device's head, copied out to the mirror, passes it.
  const uint64_t tail = rk_load_acquire_u64(at<uint64_t>(b.mirror.get(), field(q, offsetof(rk_queue_header, tail))));
  for (uint64_t index = device->tail; index < tail; ++index)
    std::memcpy(b.staging.get() + q.slot(index), b.mirror.get() + q.slot(index), q.slot_size);
  device->tail = tail;
  in_word64(b, field(q, offsetof(rk_queue_header, cached_head)));
  in_word64(b, field(q, offsetof(rk_queue_header, rejected_full)));
}

void copy_in_host_parts(CopiedBlock& b) {
  const size_t control = b.layout.control;
  in_word32(b, control + offsetof(rk_control_block, is_active));
  in_word32(b, control + offsetof(rk_control_block, should_terminate));
  in_word32(b, control + offsetof(rk_control_block, has_terminated));
  in_input(b);
  // How far the host read: the device writes output slots and trace records behind it.
  in_word64(b, field(b.output, offsetof(rk_queue_header, head)));
  in_word64(b, field(b.output, offsetof(rk_queue_header, cached_tail)));
  if (b.trace_capacity != 0) in_word64(b, b.layout.trace + offsetof(rk_trace_ring, head));
  for (auto [offset, bytes] : b.dirty) std::memcpy(b.staging.get() + offset, b.mirror.get() + offset, bytes);
  b.dirty.clear();
}

// ---- copy out: what the device owns ---------------------------------------------------

void out_spsc_consumer(CopiedBlock& b, const QueueAt& q) {
  out_words64(b, field(q, offsetof(rk_queue_header, cached_tail)), 8);
  rk_store_release_u64(at<uint64_t>(b.mirror.get(), field(q, offsetof(rk_queue_header, head))),
                       *at<uint64_t>(b.staging.get(), field(q, offsetof(rk_queue_header, head))));
}

void out_output(CopiedBlock& b) {
  const QueueAt& q = b.output;
  const uint64_t from = rk_load_relaxed_u64(at<uint64_t>(b.mirror.get(), field(q, offsetof(rk_queue_header, tail))));
  const uint64_t to = *at<uint64_t>(b.staging.get(), field(q, offsetof(rk_queue_header, tail)));
  for (uint64_t index = from; index < to; ++index) out_message(b, q.slot(index), q.slot_size);
  out_words64(b, field(q, offsetof(rk_queue_header, cached_head)), 8);
  out_words64(b, field(q, offsetof(rk_queue_header, rejected_full)), 8);
  rk_store_release_u64(at<uint64_t>(b.mirror.get(), field(q, offsetof(rk_queue_header, tail))), to);
}

// The K2K inbox: its producers and its consumer are all on the device in this mode. A
// slot whose sequence number moved is copied, then the number (release), as a producer
// publishes; slots that did not move are never written, so a host reading a message the
// loop has not consumed (a snapshot) reads it whole.
void out_inbox(CopiedBlock& b) {
  const QueueAt& q = b.inbox;
  for (uint32_t i = 0; i < q.capacity; ++i) {
    auto* host = at<uint64_t>(b.mirror.get(), q.sequence(i));
    const uint64_t device = *at<uint64_t>(b.staging.get(), q.sequence(i));
    if (rk_load_relaxed_u64(host) == device) continue;
    out_words64(b, q.slot(i), q.slot_size);
    rk_store_release_u64(host, device);
  }
  out_words64(b, field(q, offsetof(rk_queue_header, cached_tail)), 8);
  out_words64(b, field(q, offsetof(rk_queue_header, rejected_full)), 8);
  rk_store_release_u64(at<uint64_t>(b.mirror.get(), field(q, offsetof(rk_queue_header, head))),
                       *at<uint64_t>(b.staging.get(), field(q, offsetof(rk_queue_header, head))));
  rk_store_release_u64(at<uint64_t>(b.mirror.get(), field(q, offsetof(rk_queue_header, tail))),
                       *at<uint64_t>(b.staging.get(), field(q, offsetof(rk_queue_header, tail))));
}

void out_trace(CopiedBlock& b) {
  const size_t ring = b.layout.trace;
  const size_t records = ring + sizeof(rk_trace_ring);
  const uint64_t from = rk_load_relaxed_u64(at<uint64_t>(b.mirror.get(), ring + offsetof(rk_trace_ring, tail)));
  const uint64_t to = *at<uint64_t>(b.staging.get(), ring + offsetof(rk_trace_ring, tail));
  for (uint64_t index = from; index < to; ++index)
    out_words64(b, records + (index & (b.trace_capacity - 1)) * sizeof(rk_trace_record), sizeof(rk_trace_record));
  out_words64(b, ring + offsetof(rk_trace_ring, dropped), 8);
  rk_store_release_u64(at<uint64_t>(b.mirror.get(), ring + offsetof(rk_trace_ring, tail)), to);
}

// After the kernel's own launch. has_terminated goes last, with release: a host that sees
// the loop has left sees everything it wrote before leaving.
// The counters come after what they count (a host that sees a message counted processed
// sees its reply and its trace records, as with a shared block).
// The output goes before the input's head, as the loop publishes a reply before it
// releases the message: a host that finds room in the input finds the replies to what
// left it. The other way round, a host that sends and then drains what is there (while
// this copy runs on the bridge thread) could see the room, fill the input again, find no
// replies yet, and block in its next send with both queues full: the loop takes nothing
// while its output is full, so neither side moves again (found as a hang of the stream
// test under TSan).
void copy_out_device_parts(CopiedBlock& b) {
  const RingBlockLayout& l = b.layout;
  out_words64(b, l.env, sizeof(rk_ring_env));
  out_words64(b, l.state, l.input - l.state);
  out_words64(b, l.outbox, b.bytes - l.outbox);  // the loop's own on both ends
  out_output(b);
  out_spsc_consumer(b, b.input);
  out_inbox(b);
  if (b.trace_capacity != 0) out_trace(b);
  out_words64(b, l.histograms, sizeof(rk_latency_histograms));
  out_words64(b, l.telemetry, sizeof(rk_telemetry));
  const size_t control = l.control;
  out_word32(b, control + offsetof(rk_control_block, errors_encountered));
  out_words64(b, control + offsetof(rk_control_block, messages_processed), 16);  // and last_activity_ticks
  out_word32(b, control + offsetof(rk_control_block, kernel_parked));
  out_word32(b, control + offsetof(rk_control_block, host_doorbell));
  rk_store_release_u32(at<uint32_t>(b.mirror.get(), control + offsetof(rk_control_block, has_terminated)),
                       *at<uint32_t>(b.staging.get(), control + offsetof(rk_control_block, has_terminated)));
}

rk_result to_device(CopiedBlock& b) {
  return b.runtime->backend->copy_to_device(nullptr, b.buffer, 0, b.staging.get(), b.bytes);
}

rk_result from_device(CopiedBlock& b, size_t offset, size_t bytes) {
  return b.runtime->backend->copy_to_host(nullptr, b.staging.get() + offset, b.buffer, offset, bytes);
}

size_t inbox_bytes(const CopiedBlock& b) { return b.layout.outbox - b.layout.inbox; }

rk_result copy_routes_in(rk_runtime_s* runtime) {
  CopySteps& steps = *runtime->copy_steps;
  // Route writers hold the steps (hold_steps), so the table is still while we copy it.
  return runtime->backend->copy_to_device(nullptr, steps.routes_buffer, 0, steps.routes_mirror, steps.routes_bytes);
}

// The first step: the whole mirror (queues made, a snapshot restored) becomes the device's.
void load_whole(CopiedBlock& b) {
  std::memcpy(b.staging.get(), b.mirror.get(), b.bytes);
  b.dirty.clear();
  b.loaded = true;
}

// Copies out what the launch under way wrote, once it has ended (`wait`: waiting for
// that). Steps held. False: it still runs.
bool finish_locked(CopySteps& steps, bool wait, rk_result& result) {
  result = RK_SUCCESS;
  rk_kernel_s* kernel = steps.on_device;
  if (kernel == nullptr) return true;
  rk_runtime_s* runtime = kernel->runtime;
  rk_result ended = wait ? backend_stream_synchronize(runtime, kernel->stream) : runtime->backend->stream_query(kernel->stream);
  if (ended == RK_ERROR_NOT_READY && !wait) return false;
  // A launch that failed part way wrote what it wrote: the mirror gets that too, and a
  // loop that never said it left is the watchdog's to see (runtime/supervision.hpp).
  if (ended != RK_SUCCESS) log_warn("kernel '" + kernel->config.name + "': its launch ended with " + rk_result_name(ended) +
                                    ": " + last_error_text());
  // Every copy first, then every merge: a copy that fails leaves the step under way (its
  // loop still resident to the host), to be finished again, and no staging image behind
  // the device's, which the next copy in would write back over messages.
  CopiedBlock& block = *kernel->copied;
  result = from_device(block, 0, block.bytes);
  for (const std::shared_ptr<CopiedBlock>& other : steps.members)
    if (result == RK_SUCCESS && other.get() != &block)
      result = from_device(*other, other->layout.inbox, inbox_bytes(*other));
  if (result != RK_SUCCESS) return false;
  copy_out_device_parts(block);
  for (const std::shared_ptr<CopiedBlock>& other : steps.members)
    if (other.get() != &block) out_inbox(*other);
  steps.on_device = nullptr;
  steps.in_flight.store(false, std::memory_order_release);
  return true;
}

rk_result start_locked(CopySteps& steps, rk_kernel_s* kernel) {
  rk_result finished = RK_SUCCESS;
  finish_locked(steps, true, finished);
  if (finished != RK_SUCCESS) return finished;
  rk_runtime_s* runtime = kernel->runtime;
  CopiedBlock& block = *kernel->copied;
  const bool first = !block.loaded;
  if (first) load_whole(block);
  else copy_in_host_parts(block);
  if (rk_result r = to_device(block); r != RK_SUCCESS) return r;
  if (first) {  // the device has the inbox now: peers may write into it
    publish_live_route(kernel);
    steps.members.push_back(kernel->copied);
  }
  rk_result r = copy_routes_in(runtime);
  if (r == RK_SUCCESS)
    r = backend_launch_ring(runtime, kernel->stream, kernel->function, kernel->config.block_size,
                            kernel->ring_device + kernel->layout.env);
  if (r != RK_SUCCESS) {
    if (first) std::erase(steps.members, kernel->copied);  // its launch fails: the caller closes the route
    return r;
  }
  steps.on_device = kernel;
  steps.in_flight.store(true, std::memory_order_release);
  return RK_SUCCESS;
}

}  // namespace

CopySteps::~CopySteps() { std::free(routes_mirror); }

StepHold::StepHold(CopySteps* steps, bool try_only) {
  if (steps == nullptr || t_holding == steps) return;  // not this mode, or a re-entry
  if (try_only) {
    if (!steps->mutex.try_lock()) {
      busy_ = true;
      return;
    }
  } else {
    steps->mutex.lock();
  }
  previous_ = t_holding;  // another runtime's, held around this one
  t_holding = steps;
  steps_ = steps;
}

StepHold::~StepHold() {
  if (steps_ == nullptr) return;
  t_holding = previous_;
  steps_->mutex.unlock();
}

bool copy_mode(const rk_runtime_s* runtime) { return runtime->copy_steps != nullptr; }

StepHold hold_steps(rk_runtime_s* runtime) { return StepHold(runtime->copy_steps.get(), false); }

StepHold try_hold_steps(rk_runtime_s* runtime) { return StepHold(runtime->copy_steps.get(), true); }

rk_result create_copied_routes(rk_runtime_s* runtime) {
  CopySteps& steps = *runtime->copy_steps;
  KernelTable& table = *runtime->kernels;
  steps.routes_bytes = size_t{table.max_kernels()} * sizeof(rk_k2k_route);
  uint64_t device = 0;
  if (rk_result r = allocate_device_addressed(runtime, steps.routes_bytes, steps.routes_buffer, device); r != RK_SUCCESS)
    return r;
  steps.routes_mirror = host_bytes(steps.routes_bytes).release();
  if (steps.routes_mirror == nullptr) return fail(RK_ERROR_OUT_OF_MEMORY, "no host memory for the K2K routing table's mirror");
  table.routes = reinterpret_cast<rk_k2k_route*>(steps.routes_mirror);
  table.routes_device = device;
  table.routes_buffer = steps.routes_buffer;  // freed with the runtime, like a mapped table
  return RK_SUCCESS;
}

rk_result allocate_copied_block(rk_kernel_s* kernel, size_t bytes, uint8_t*& mirror, uint64_t& device,
                                rk_backend_buffer& buffer) {
  auto block = std::make_shared<CopiedBlock>();
  block->runtime = kernel->runtime;
  block->bytes = bytes;
  block->mirror = host_bytes(bytes);
  block->staging = host_bytes(bytes);
  if (!block->mirror || !block->staging)
    return fail(RK_ERROR_OUT_OF_MEMORY, "no host memory for the mirror of kernel '" + kernel->config.name + "'");
  if (rk_result r = allocate_device_addressed(kernel->runtime, bytes, block->buffer, device); r != RK_SUCCESS) return r;
  const KernelConfig& c = kernel->config;
  const RingBlockLayout& l = kernel->layout;
  block->layout = l;
  block->input = QueueAt{l.input, c.input_capacity, c.slot_size};
  block->output = QueueAt{l.output, c.output_capacity, c.slot_size};
  block->inbox = QueueAt{l.inbox, c.inbox_capacity, c.slot_size};
  block->outbox = QueueAt{l.outbox, c.outbox_capacity, c.slot_size};
  block->trace_capacity = c.trace ? c.trace_capacity : 0;
  mirror = block->mirror.get();
  buffer = block->buffer;
  {
    StepHold hold = hold_steps(kernel->runtime);
    kernel->runtime->copy_steps->kept.push_back(block);
  }
  kernel->copied = std::move(block);
  return RK_SUCCESS;
}

rk_result launch_copied(rk_kernel_s* kernel) {
  rk_runtime_s* runtime = kernel->runtime;
  CopySteps& steps = *runtime->copy_steps;
  // The bridge thread never waits for a launch (it may hold the directory, and serves every
  // runtime): a loaded kernel it cannot start now stays off the device, relaunchable, and
  // a later round starts it when work waits for it.
  if (Bridge::on_bridge_thread(runtime) && kernel->copied->loaded) {
    StepHold hold = try_hold_steps(runtime);
    if (!hold || !settle_steps(runtime)) {
      rk_store_release_u32(word(kernel->views.control->has_terminated), RK_TERMINATED_RELAUNCHABLE);
      kernel->relaunches.fetch_sub(1, std::memory_order_relaxed);  // counted by relaunch(), not launched
      return RK_SUCCESS;
    }
    return start_locked(steps, kernel);
  }
  StepHold hold = hold_steps(runtime);
  return start_locked(steps, kernel);
}

bool step_under_way(const rk_runtime_s* runtime) {
  return runtime->copy_steps && runtime->copy_steps->in_flight.load(std::memory_order_acquire);
}

bool settle_steps(rk_runtime_s* runtime) {
  if (!step_under_way(runtime)) return true;
  StepHold hold = try_hold_steps(runtime);
  if (!hold) return false;  // another thread is at it
  rk_result ignored = RK_SUCCESS;  // logged where it happened; the next finish tries again
  return finish_locked(*runtime->copy_steps, false, ignored);
}

rk_result finish_step(rk_runtime_s* runtime) {
  if (!runtime->copy_steps) return RK_SUCCESS;
  rk_result result = RK_SUCCESS;
  finish_locked(*runtime->copy_steps, true, result);
  return result;
}

void forget_copied_block(rk_kernel_s* kernel) {
  if (!kernel->copied) return;
  std::erase(kernel->runtime->copy_steps->members, kernel->copied);
}

void mark_copied_dirty(rk_kernel_s* kernel, size_t offset, size_t bytes) {
  if (kernel->copied) kernel->copied->dirty.emplace_back(offset, bytes);
}

}  // namespace rk::core
