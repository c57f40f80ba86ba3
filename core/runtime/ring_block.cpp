#include "runtime/ring_block.hpp"

#include <cstring>

#include "api/error.hpp"
#include "queue/queue_init.hpp"
#include "runtime/device_calls.hpp"
#include "runtime/host_dialect.hpp"
#include "runtime/kernel.hpp"
#include "runtime/kernel_table.hpp"
#include "runtime/runtime.hpp"

namespace rk::core {
namespace {

template <class T>
T* at(rk_kernel_s* kernel, size_t offset) {
  return reinterpret_cast<T*>(kernel->ring_host + offset);
}

void init_control(rk_kernel_s* kernel) {
  const KernelConfig& config = kernel->config;
  const RingBlockLayout& layout = kernel->layout;
  rk_control_block* control = kernel->views.control;
  auto queue_fields = [&](size_t queue_offset, uint64_t& head, uint64_t& tail, uint64_t& buffer) {
    const uint64_t base = kernel->ring_device + queue_offset;
    head = base + offsetof(rk_queue_header, head);
    tail = base + offsetof(rk_queue_header, tail);
    buffer = at<rk_queue_header>(kernel, queue_offset)->slots_ptr;
  };
  queue_fields(layout.input, control->input_queue_head_ptr, control->input_queue_tail_ptr, control->input_queue_buffer_ptr);
  control->input_queue_capacity = static_cast<int32_t>(config.input_capacity);
  control->input_queue_message_size = static_cast<int32_t>(config.slot_size);
  queue_fields(layout.output, control->output_queue_head_ptr, control->output_queue_tail_ptr, control->output_queue_buffer_ptr);
  control->output_queue_capacity = static_cast<int32_t>(config.output_capacity);
  control->output_queue_message_size = static_cast<int32_t>(config.slot_size);
  control->ring_env_ptr = kernel->ring_device + layout.env;
}

void init_env(rk_kernel_s* kernel, const std::vector<uint32_t>& peer_ids) {
  const KernelConfig& config = kernel->config;
  const RingBlockLayout& layout = kernel->layout;
  KernelTable& table = *kernel->runtime->kernels;
  rk_ring_env* env = kernel->views.env;
  env->control_ptr = kernel->ring_device + layout.control;
  env->telemetry_ptr = kernel->ring_device + layout.telemetry;
  env->histograms_ptr = kernel->ring_device + layout.histograms;
  env->trace_ptr = config.trace ? kernel->ring_device + layout.trace : 0;
  env->input_ptr = kernel->ring_device + layout.input;
  env->output_ptr = kernel->ring_device + layout.output;
  env->inbox_ptr = kernel->ring_device + layout.inbox;
  env->outbox_ptr = kernel->ring_device + layout.outbox;
  env->k2k_send_timeout_ns = static_cast<int64_t>(config.k2k_send_timeout_ns);
  env->routes_ptr = table.routes_device;
  env->state_ptr = kernel->ring_device + layout.state;
  env->accepted_types_ptr = kernel->ring_device + layout.accepted_types;
  env->kernel_id = kernel->id;
  env->route_count = table.max_kernels();
  env->state_bytes = config.state_bytes;
  env->accepted_type_count = static_cast<uint32_t>(config.accepted_types.size());
  env->max_clock_skew_ns = table.max_clock_skew_ns();
  env->peer_count = static_cast<uint32_t>(peer_ids.size());
  for (size_t i = 0; i < peer_ids.size(); ++i) env->peer_ids[i] = peer_ids[i];
  env->hlc.node_id = kernel->id;
  if (!config.accepted_types.empty())  // an empty vector's data() may be null, which memcpy forbids
    std::memcpy(at<uint32_t>(kernel, layout.accepted_types), config.accepted_types.data(),
                config.accepted_types.size() * sizeof(uint32_t));
}

}  // namespace

uint32_t fnv1a32(std::string_view text) {
  uint32_t hash = 2166136261u;
  for (unsigned char c : text) hash = (hash ^ c) * 16777619u;
  return hash;
}

rk_result allocate_ring_block(rk_kernel_s* kernel, const std::vector<uint32_t>& peer_ids) {
  kernel->layout = plan_ring_block(kernel->config);
  const RingBlockLayout& layout = kernel->layout;
  MappedBuffer block;
  if (copy_mode(kernel->runtime)) {  // device memory, and a mirror the host works on (runtime/copy_mode.hpp)
    uint8_t* mirror = nullptr;
    if (rk_result r = allocate_copied_block(kernel, layout.total, mirror, block.device, block.buffer); r != RK_SUCCESS)
      return r;
    block.host = mirror;
  } else if (rk_result r = allocate_mapped(kernel->runtime, layout.total, block); r != RK_SUCCESS) {
    return r;
  }
  kernel->ring_block = block.buffer;
  kernel->ring_host = static_cast<uint8_t*>(block.host);
  kernel->ring_device = block.device;
  std::memset(kernel->ring_host, 0, layout.total);

  const KernelConfig& config = kernel->config;
  queue_init(kernel->ring_host + layout.input, kernel->ring_device + layout.input, config.input_capacity, config.slot_size, RK_QUEUE_SPSC);
  queue_init(kernel->ring_host + layout.output, kernel->ring_device + layout.output, config.output_capacity, config.slot_size, RK_QUEUE_SPSC);
  queue_init(kernel->ring_host + layout.inbox, kernel->ring_device + layout.inbox, config.inbox_capacity, config.slot_size, RK_QUEUE_MPSC);
  queue_init(kernel->ring_host + layout.outbox, kernel->ring_device + layout.outbox, config.outbox_capacity, config.slot_size, RK_QUEUE_SPSC);
  kernel->views = RingViews{at<rk_control_block>(kernel, layout.control), at<rk_telemetry>(kernel, layout.telemetry),
                            at<rk_ring_env>(kernel, layout.env),        at<rk_latency_histograms>(kernel, layout.histograms),
                            at<rk_queue_header>(kernel, layout.input),
                            at<rk_queue_header>(kernel, layout.output), at<rk_queue_header>(kernel, layout.inbox),
                            at<rk_queue_header>(kernel, layout.outbox)};
  auto host_of = [kernel](uint64_t device) { return kernel->ring_host + (device - kernel->ring_device); };
  kernel->views.input_slots = host_of(kernel->views.input->slots_ptr);
  kernel->views.output_slots = host_of(kernel->views.output->slots_ptr);
  kernel->views.inbox_sequence = reinterpret_cast<uint64_t*>(host_of(kernel->views.inbox->sequence_ptr));
  kernel->views.inbox_slots = host_of(kernel->views.inbox->slots_ptr);
  kernel->views.outbox_slots = host_of(kernel->views.outbox->slots_ptr);
  kernel->views.telemetry->min_latency_ns = UINT64_MAX;
  if (config.trace) {  // the records follow the ring's header (observability/trace.cpp reads them there)
    rk_trace_ring* trace = at<rk_trace_ring>(kernel, layout.trace);
    trace->capacity = config.trace_capacity;
    trace->mask = config.trace_capacity - 1;
    trace->records_ptr = kernel->ring_device + layout.trace + sizeof(rk_trace_ring);
    kernel->views.trace = trace;
  }
  init_control(kernel);
  init_env(kernel, peer_ids);
  return RK_SUCCESS;
}

}  // namespace rk::core
