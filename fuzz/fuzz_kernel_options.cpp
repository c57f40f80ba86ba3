// libFuzzer harness: rk_kernel_options as a caller may fill them (any struct_size, any
// capacities, counts and lists), through the same validation rk_kernel_create runs, then
// the ring-block plan. Bad options must come back as an error, never a crash, an overflow
// or a plan whose regions overlap.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "fuzz_input.hpp"

#include "runtime/kernel_config.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzInput in{data, size};
  // A caller's struct, as large as a newer header might make it, every byte fuzzed; the
  // pointers are then pointed at real (fuzzed) arrays so that only counts are wrong.
  std::vector<uint8_t> raw(sizeof(rk_kernel_options) + 64);
  for (uint8_t& b : raw) b = in.take<uint8_t>();
  auto* options = reinterpret_cast<rk_kernel_options*>(raw.data());
  std::vector<uint32_t> types(in.take<uint8_t>() % 8);
  for (uint32_t& t : types) t = in.take<uint8_t>();
  std::vector<std::string> peer_names(in.take<uint8_t>() % 20);
  std::vector<const char*> peers;
  for (std::string& name : peer_names) {
    name.assign(in.take<uint8_t>() % 4, 'p');
    peers.push_back(name.c_str());
  }
  const std::string name = "k", source = "RK_INLINE int32_t rk_handler(void) { return 0; }";
  options->name = (in.take<uint8_t>() & 1) ? name.c_str() : nullptr;
  options->source = source.c_str();
  options->source_size = 0;
  options->compile_flags = nullptr;
  options->accepted_types = types.empty() ? nullptr : types.data();
  if (options->accepted_type_count > types.size()) options->accepted_type_count = static_cast<uint32_t>(types.size());
  options->peers = peers.empty() ? nullptr : peers.data();
  if (options->peer_count > peers.size() && options->peer_count <= RK_MAX_PEERS)
    options->peer_count = static_cast<uint32_t>(peers.size());
  if (options->peer_count > RK_MAX_PEERS && !peers.empty()) options->peer_count = RK_MAX_PEERS + 1u;  // refused early
  // A snapshot image (API 1.3): fuzzed bytes, its size at most what is there (fuzz_snapshot
  // covers the decoder itself), or none. Set whatever struct_size says: one that ends inside
  // snapshot_size still hands over the pointer and the size's low bytes (read_struct copies
  // that far), and a fuzzed pointer there is a caller's wild pointer, not a library bug.
  std::vector<uint8_t> image(in.take<uint8_t>());
  for (uint8_t& b : image) b = in.take<uint8_t>();
  options->snapshot = (in.take<uint8_t>() & 1) ? image.data() : nullptr;
  if (options->snapshot_size > image.size()) options->snapshot_size = image.size();
  const bool trace_all = (in.take<uint8_t>() & 1) != 0;  // RINGKERNEL_TRACE on or off
  rk::core::KernelConfig config;
  if (rk::core::make_kernel_config(options, 1024, trace_all, config) != RK_SUCCESS) return 0;
  rk::core::RingBlockLayout layout = rk::core::plan_ring_block(config);
  std::vector<size_t> regions = {layout.control, layout.telemetry, layout.env, layout.histograms};
  if (config.trace) regions.push_back(layout.trace);  // only a traced kernel has a trace ring
  for (size_t at : {layout.accepted_types, layout.state, layout.input, layout.output, layout.inbox, layout.outbox,
                    layout.total})
    regions.push_back(at);
  for (size_t i = 1; i < regions.size(); ++i)
    if (regions[i] <= regions[i - 1]) __builtin_trap();  // regions in order, none empty or wrapped
  return 0;
}
