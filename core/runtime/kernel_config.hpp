// A ring kernel's launch options, validated and with defaults applied. Owns its strings.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ringkernel.h"

namespace rk::core {

struct KernelConfig {
  std::string name;
  std::string source;
  std::string compile_flags;
  uint32_t block_size = 1;
  uint32_t input_capacity = 1024;
  uint32_t output_capacity = 1024;
  uint32_t inbox_capacity = 1024;
  uint32_t outbox_capacity = 64;
  uint64_t k2k_send_timeout_ns = 10'000'000'000ull;
  uint32_t max_payload_size = 64;
  uint32_t slot_size = 128;  // header + max payload, rounded up to 64
  uint32_t state_bytes = 0;
  bool auto_activate = false;
  bool trace = false;             // RK_KERNEL_TRACE, or RINGKERNEL_TRACE for the whole runtime
  uint32_t trace_capacity = 0;    // records; set when trace
  uint64_t idle_exit_ns = 0;      // elastic kernels (runtime/elastic.hpp); 0 = never
  uint64_t max_run_ns = 0;
  bool elastic() const { return idle_exit_ns != 0 || max_run_ns != 0; }
  bool relaunch_copy = false;  // the runtime copies the ring block around each launch (runtime/copy_mode.hpp)
  std::vector<uint32_t> accepted_types;
  std::vector<std::string> peers;
  std::vector<uint8_t> snapshot;  // an image to launch from (runtime/snapshot.hpp); checked at create
};

// Fills `config` from the C options; on bad input returns an error and sets rk_last_error.
// `trace_all`: the runtime traces every kernel (RINGKERNEL_TRACE).
rk_result make_kernel_config(const rk_kernel_options* options, uint32_t max_block_size, bool trace_all,
                             KernelConfig& config);

// A snapshot to launch from (config.snapshot) is whole and fits the kernel's options:
// state size, capacities, payload sizes.
rk_result check_snapshot_fits(const KernelConfig& config);

// Byte offsets of everything a kernel owns inside its one host-mapped ring block.
struct RingBlockLayout {
  size_t control = 0;
  size_t telemetry = 0;
  size_t env = 0;
  size_t histograms = 0;
  size_t trace = 0;  // rk_trace_ring and its records; 0 when the kernel is not traced
  size_t accepted_types = 0;
  size_t state = 0;
  size_t input = 0;
  size_t output = 0;
  size_t inbox = 0;
  size_t outbox = 0;
  size_t total = 0;
};

RingBlockLayout plan_ring_block(const KernelConfig& config);

}  // namespace rk::core
