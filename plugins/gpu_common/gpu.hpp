// gpu_common internals: the handles behind the ABI's opaque pointers and the backend table's
// entries, written once for every driver-style GPU API (CUDA, HIP).
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "common/plugin_support.hpp"
#include "gpu_common/backend.hpp"
#include "rk_plugin.h"

// The device's primary context, retained for the handle's life. Every entry point makes it
// current on the calling thread first (bind), because the core calls from any thread.
struct rk_backend_context_s {
  rk::gpu::Device* device = nullptr;
  rk::gpu::Context context = nullptr;
};

// A non-blocking stream: it never waits for the legacy default stream, so synchronous
// copies do not queue behind a persistent kernel.
struct rk_backend_stream_s {
  rk_backend_context context = nullptr;
  rk::gpu::Stream stream = nullptr;
};

struct rk_backend_buffer_s {
  rk_backend_context context = nullptr;
  size_t bytes = 0;
  rk_memory_kind kind = RK_MEMORY_UNDEFINED;
  rk::gpu::DevicePtr device = 0;  // what kernels see
  void* host = nullptr;           // HOST_MAPPED and SHARED only
};

struct rk_backend_function_s {
  rk_backend_module module = nullptr;
  rk::gpu::Function function = nullptr;
  std::string name;
  int max_threads = 0;
};

struct rk_backend_module_s {
  rk_backend_context context = nullptr;
  rk::gpu::Module module = nullptr;
  std::mutex mutex;  // guards functions: function_get may be called from several threads
  std::vector<std::unique_ptr<rk_backend_function_s>> functions;
};

namespace rk::gpu {

using rk::plugin_common::fail;
using rk::plugin_common::last_error;
using rk::plugin_common::log;
using rk::plugin_common::write_text;

// The loaded driver table; valid once probe() found the library (every handle implies it).
const DriverApi& api();
bool succeeded(Status status);
// A failed driver call as an rk_result, "<backend>: <what>: <status name>" as last error.
rk_result fail_status(rk_result code, const std::string& what, Status status);
// "<backend>: <text>"
std::string prefixed(const std::string& text);
// Makes the context current on this thread.
rk_result bind(rk_backend_context context);

// The plugin's entry: checks the ABI, keeps the host services, hands out the table.
rk_result enter(const rk_host_services* host, const rk_backend_table** table, rk_text_out* error);

// devices.cpp
rk_result probe(uint32_t* device_count);
rk_result get_device_info(uint32_t device, rk_device_info* info);
Device* device_at(uint32_t index);  // nullptr when out of range

// context.cpp
rk_result context_create(uint32_t device, rk_backend_context* context);
rk_result context_destroy(rk_backend_context context);

// stream.cpp
rk_result stream_create(rk_backend_context context, rk_backend_stream* stream);
rk_result stream_destroy(rk_backend_stream stream);
rk_result stream_synchronize(rk_backend_stream stream);
rk_result stream_query(rk_backend_stream stream);

// deferred_release.cpp: releases (memory, modules) that the driver would make wait for every
// kernel on the device are parked while a stream of ours still runs (a persistent kernel).
void track_stream(rk_backend_context context, Stream stream);
void untrack_stream(rk_backend_context context, Stream stream);  // then runs parked ones if idle
void release_when_idle(rk_backend_context context, std::function<void()> release);
void release_parked(rk_backend_context context);  // runs parked ones if the device is idle
// memory.cpp
rk_result buffer_alloc(rk_backend_context context, size_t bytes, rk_memory_kind kind, rk_backend_buffer* buffer);
rk_result buffer_free(rk_backend_buffer buffer);
rk_result buffer_map(rk_backend_buffer buffer, void** host_pointer);
rk_result buffer_device_address(rk_backend_buffer buffer, uint64_t* address);
rk_result copy_to_device(rk_backend_stream stream, rk_backend_buffer dst, size_t offset, const void* src, size_t bytes);
rk_result copy_to_host(rk_backend_stream stream, void* dst, rk_backend_buffer src, size_t offset, size_t bytes);

// compile.cpp
rk_result module_compile(rk_backend_context context, const rk_compile_request* request, rk_backend_module* module,
                         rk_text_out* log);
rk_result module_destroy(rk_backend_module module);
rk_result function_get(rk_backend_module module, const char* name, rk_backend_function* function);

// launch.cpp
rk_result launch(rk_backend_stream stream, rk_backend_function function, const rk_launch_config* config,
                 const rk_kernel_arg* args, uint32_t arg_count);

}  // namespace rk::gpu
