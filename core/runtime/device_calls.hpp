// The few backend calls the ring-kernel runtime makes, in one place: each turns a plugin
// failure into the core's last error with the backend's own words.
#pragma once

#include <cstddef>
#include <cstdint>

#include "ringkernel.h"

namespace rk::core {

struct MappedBuffer {
  rk_backend_buffer buffer = nullptr;
  void* host = nullptr;
  uint64_t device = 0;
};

// Host-mapped memory the device reads and writes while a kernel runs. The runtime runs
// the same queue code on both sides, so it needs the device to see the buffer at its
// host address (true for cpu_sim, OpenCL fine-grained SVM, CUDA/HIP pinned memory under
// unified addressing, Level Zero host USM); anything else is reported as unsupported.
rk_result allocate_mapped(rk_runtime_s* runtime, size_t bytes, MappedBuffer& out);
// Device memory with a fixed device address, reached from the host by copies only (the
// relaunch-copy mode's ring blocks, runtime/copy_mode.hpp); a backend whose device memory
// has no such address is reported as unsupported.
rk_result allocate_device_addressed(rk_runtime_s* runtime, size_t bytes, rk_backend_buffer& buffer, uint64_t& device);
void free_buffer(rk_runtime_s* runtime, rk_backend_buffer buffer);

rk_result backend_compile(rk_runtime_s* runtime, const rk_compile_request& request, rk_backend_module* module);
rk_result backend_function(rk_runtime_s* runtime, rk_backend_module module, const char* name, rk_backend_function* function);
void backend_module_destroy(rk_runtime_s* runtime, rk_backend_module module);
rk_result backend_stream_create(rk_runtime_s* runtime, rk_backend_stream* stream);
rk_result backend_stream_synchronize(rk_runtime_s* runtime, rk_backend_stream stream);
void backend_stream_destroy(rk_runtime_s* runtime, rk_backend_stream stream);
// One cooperative launch of rk_ring_main(env) with a single block.
rk_result backend_launch_ring(rk_runtime_s* runtime, rk_backend_stream stream, rk_backend_function function,
                              uint32_t block_size, uint64_t env_address);
const char* runtime_backend_name(rk_runtime_s* runtime);

}  // namespace rk::core
