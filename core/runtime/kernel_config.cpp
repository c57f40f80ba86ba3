#include "runtime/kernel_config.hpp"

#include <bit>
#include <cstring>
#include <new>

#include "api/environment.hpp"
#include "api/error.hpp"
#include "runtime/snapshot_format.hpp"
#include "api/struct_growth.hpp"
#include "queue/queue_init.hpp"

namespace rk::core {
namespace {

constexpr size_t kLine = 128;

size_t round_up(size_t value, size_t to) { return (value + to - 1) / to * to; }

rk_result check_capacity(const char* what, uint32_t& value, uint32_t fallback) {
  if (value == 0) value = fallback;
  if (!std::has_single_bit(value) || value < 2 || value > (1u << 24))
    return fail(RK_ERROR_INVALID_ARGUMENT,
                std::string(what) + " must be a power of two between 2 and 16M, got " + std::to_string(value));
  return RK_SUCCESS;
}

rk_result copy_lists(const rk_kernel_options* options, KernelConfig& config) {
  if (options->accepted_type_count > 0 && options->accepted_types == nullptr)
    return fail(RK_ERROR_INVALID_ARGUMENT, "accepted_type_count > 0 but accepted_types is NULL");
  for (uint32_t i = 0; i < options->accepted_type_count; ++i) {
    if (options->accepted_types[i] == RK_MSG_TYPE_INVALID)
      return fail(RK_ERROR_INVALID_ARGUMENT, "type id 0 is reserved and cannot be accepted");
    config.accepted_types.push_back(options->accepted_types[i]);
  }
  if (options->peer_count > RK_MAX_PEERS)
    return fail(RK_ERROR_INVALID_ARGUMENT, "at most " + std::to_string(RK_MAX_PEERS) + " peers per kernel");
  if (options->peer_count > 0 && options->peers == nullptr)
    return fail(RK_ERROR_INVALID_ARGUMENT, "peer_count > 0 but peers is NULL");
  for (uint32_t i = 0; i < options->peer_count; ++i) {
    if (options->peers[i] == nullptr || options->peers[i][0] == '\0')
      return fail(RK_ERROR_INVALID_ARGUMENT, "peer " + std::to_string(i) + " has no name");
    config.peers.emplace_back(options->peers[i]);
  }
  return RK_SUCCESS;
}

// RINGKERNEL_TRACE_CAPACITY, else 8192 records (512 KiB): at a host that drains every few
// milliseconds, a kernel handling a million messages a second loses none.
uint32_t default_trace_capacity() {
  // check_capacity names a number that is no power of two
  return static_cast<uint32_t>(number_from_environment("RINGKERNEL_TRACE_CAPACITY", 8192, UINT32_MAX));
}

}  // namespace

rk_result make_kernel_config(const rk_kernel_options* given, uint32_t max_block_size, bool trace_all,
                             KernelConfig& config) {
  if (given == nullptr) return fail(RK_ERROR_INVALID_ARGUMENT, "rk_kernel_options is NULL");
  rk_kernel_options read{};
  if (rk_result r = read_struct(*given, read); r != RK_SUCCESS) return r;
  const rk_kernel_options* options = &read;
  if (options->name == nullptr || options->name[0] == '\0')
    return fail(RK_ERROR_INVALID_ARGUMENT, "a ring kernel needs a name (its K2K address)");
  if (options->source == nullptr)
    return fail(RK_ERROR_INVALID_ARGUMENT, "kernel '" + std::string(options->name) + "' has no handler source");
  config.name = options->name;
  if (config.name.size() > 4096)  // snapshots carry names (runtime/snapshot_format.hpp)
    return fail(RK_ERROR_INVALID_ARGUMENT, "a kernel name is at most 4096 bytes long");
  size_t source_size = options->source_size ? options->source_size : std::strlen(options->source);
  config.source.assign(options->source, source_size);
  if (options->compile_flags) config.compile_flags = options->compile_flags;
  if (options->grid_size > 1)
    return fail(RK_ERROR_UNSUPPORTED, "ring kernels run one block each (ABI 1); launch more kernels to scale, got grid " +
                                          std::to_string(options->grid_size));
  config.block_size = options->block_size ? options->block_size : 1;
  if (config.block_size > max_block_size)
    return fail(RK_ERROR_INVALID_ARGUMENT, "block_size " + std::to_string(config.block_size) +
                                               " exceeds the device's maximum " + std::to_string(max_block_size));
  config.input_capacity = options->input_capacity;
  config.output_capacity = options->output_capacity;
  config.inbox_capacity = options->inbox_capacity;
  if (rk_result r = check_capacity("input_capacity", config.input_capacity, 1024); r != RK_SUCCESS) return r;
  if (rk_result r = check_capacity("output_capacity", config.output_capacity, 1024); r != RK_SUCCESS) return r;
  if (rk_result r = check_capacity("inbox_capacity", config.inbox_capacity, 1024); r != RK_SUCCESS) return r;
  config.outbox_capacity = options->outbox_capacity;
  if (rk_result r = check_capacity("outbox_capacity", config.outbox_capacity, 64); r != RK_SUCCESS) return r;
  if (options->k2k_send_timeout_ns != 0) config.k2k_send_timeout_ns = options->k2k_send_timeout_ns;
  config.max_payload_size = options->max_payload_size ? options->max_payload_size : 64;
  if (config.max_payload_size > (1u << 20))
    return fail(RK_ERROR_INVALID_ARGUMENT, "max_payload_size above 1 MiB");
  config.slot_size = static_cast<uint32_t>(round_up(RK_MSG_HEADER_SIZE + config.max_payload_size, 64));
  config.state_bytes = options->state_bytes;
  config.auto_activate = (options->flags & RK_KERNEL_AUTO_ACTIVATE) != 0;
  config.idle_exit_ns = options->idle_exit_ns;
  config.max_run_ns = options->max_run_ns;
  if (config.idle_exit_ns > uint64_t{INT64_MAX} || config.max_run_ns > uint64_t{INT64_MAX})
    return fail(RK_ERROR_INVALID_ARGUMENT, "idle_exit_ns and max_run_ns must be below 2^63");
  config.trace = trace_all || (options->flags & RK_KERNEL_TRACE) != 0;
  if (config.trace) {
    config.trace_capacity = options->trace_capacity;
    if (rk_result r = check_capacity("trace_capacity", config.trace_capacity, default_trace_capacity()); r != RK_SUCCESS)
      return r;
  }
  if (rk_result r = copy_lists(options, config); r != RK_SUCCESS) return r;
  if (options->snapshot == nullptr) return RK_SUCCESS;
  if (options->snapshot_size > (uint64_t{1} << 36))  // far beyond any kernel's queues; copying it would only fail later
    return fail(RK_ERROR_INVALID_ARGUMENT, "kernel '" + config.name + "': snapshot_size " +
                                               std::to_string(options->snapshot_size) + " is beyond any snapshot (64 GiB)");
  const auto* image = static_cast<const uint8_t*>(options->snapshot);
  try {
    config.snapshot.assign(image, image + options->snapshot_size);
  } catch (const std::bad_alloc&) {
    return fail(RK_ERROR_OUT_OF_MEMORY, "kernel '" + config.name + "': no memory for a copy of its snapshot");
  }
  return check_snapshot_fits(config);
}

rk_result check_snapshot_fits(const KernelConfig& config) {
  Snapshot s;
  if (rk_result r = decode_snapshot(config.snapshot.data(), config.snapshot.size(), s); r != RK_SUCCESS) return r;
  const std::string who = "kernel '" + config.name + "': its snapshot (of '" + s.kernel_name + "') ";
  if (s.state.size() != config.state_bytes)
    return fail(RK_ERROR_INVALID_ARGUMENT, who + "holds " + std::to_string(s.state.size()) + " bytes of state; state_bytes is " +
                                               std::to_string(config.state_bytes));
  auto fits = [&](const std::vector<SnapshotMessage>& messages, uint32_t capacity, const char* queue) -> rk_result {
    if (messages.size() > capacity)
      return fail(RK_ERROR_INVALID_ARGUMENT, who + "holds " + std::to_string(messages.size()) + " messages for its " + queue +
                                                 "; " + queue + "_capacity is " + std::to_string(capacity));
    for (const SnapshotMessage& m : messages)
      if (m.payload.size() > config.max_payload_size)
        return fail(RK_ERROR_INVALID_ARGUMENT, who + "holds a " + std::to_string(m.payload.size()) + "-byte payload; " +
                                                   "max_payload_size is " + std::to_string(config.max_payload_size));
    return RK_SUCCESS;
  };
  if (rk_result r = fits(s.input, config.input_capacity, "input"); r != RK_SUCCESS) return r;
  if (rk_result r = fits(s.inbox, config.inbox_capacity, "inbox"); r != RK_SUCCESS) return r;
  if (rk_result r = fits(s.outbox, config.outbox_capacity, "outbox"); r != RK_SUCCESS) return r;
  return fits(s.output, UINT32_MAX, "output");  // output goes to the host's side: only payload sizes matter
}

RingBlockLayout plan_ring_block(const KernelConfig& config) {
  RingBlockLayout layout;
  size_t at = 0;
  layout.control = at;
  at += round_up(sizeof(rk_control_block), kLine);
  layout.telemetry = at;
  at += round_up(sizeof(rk_telemetry), kLine);
  layout.env = at;
  at += round_up(sizeof(rk_ring_env), kLine);
  layout.histograms = at;
  at += round_up(sizeof(rk_latency_histograms), kLine);
  if (config.trace) {
    layout.trace = at;
    at += round_up(sizeof(rk_trace_ring) + size_t{config.trace_capacity} * sizeof(rk_trace_record), kLine);
  }
  layout.accepted_types = at;
  at += round_up(config.accepted_types.size() * sizeof(uint32_t) + 1, kLine);
  layout.state = at;
  at += round_up(size_t{config.state_bytes} + 1, kLine);  // size_t: UINT32_MAX + 1 must not wrap to an empty region
  layout.input = at;
  at += round_up(queue_bytes(config.input_capacity, config.slot_size, RK_QUEUE_SPSC), kLine);
  layout.output = at;
  at += round_up(queue_bytes(config.output_capacity, config.slot_size, RK_QUEUE_SPSC), kLine);
  layout.inbox = at;
  at += round_up(queue_bytes(config.inbox_capacity, config.slot_size, RK_QUEUE_MPSC), kLine);
  layout.outbox = at;  // the kernel's own: SPSC with the leader on both ends
  at += round_up(queue_bytes(config.outbox_capacity, config.slot_size, RK_QUEUE_SPSC), kLine);
  layout.total = at;
  return layout;
}

}  // namespace rk::core
