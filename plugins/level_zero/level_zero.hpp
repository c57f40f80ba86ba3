// level_zero plugin internals: the handles behind the ABI's opaque pointers, and what each
// file provides.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "common/host_clock.hpp"
#include "common/plugin_support.hpp"
#include "rk_plugin.h"
#include "ze_api.hpp"

namespace rk::level_zero {

using rk::plugin_common::fail;
using rk::plugin_common::HostClock;
using rk::plugin_common::last_error;
using rk::plugin_common::log;
using rk::plugin_common::set_host;
using rk::plugin_common::write_text;

// One Level Zero device as probe() found it; lives until the plugin is unloaded.
struct Device {
  ze_driver_handle_t driver = nullptr;
  ze_device_handle_t handle = nullptr;
  rk_device_info info{};
  uint32_t compute_ordinal = 0;     // command queue group for compute (cooperative if any is)
  bool cooperative = false;         // that group runs cooperative kernels
  bool host_usm = false;            // zeMemAllocHost usable: HOST_MAPPED buffers
  bool shared_usm = false;          // zeMemAllocShared usable: SHARED buffers
  bool ring_kernels = false;        // persistent kernels, K2K (host USM with concurrent atomics)
};

}  // namespace rk::level_zero

// One ze_context per device context. Synchronous copies and fills go through an immediate,
// synchronous command list (returns when the work is done), guarded by a mutex because a
// command list is not thread-safe.
struct rk_backend_context_s {
  rk::level_zero::Device* device = nullptr;
  rk::level_zero::ze_context_handle_t context = nullptr;
  std::mutex sync_mutex;
  rk::level_zero::ze_command_list_handle_t sync_list = nullptr;
  std::unique_ptr<rk::level_zero::HostClock> clock;  // only where ring kernels can run
};

// An asynchronous command queue. Each operation is a closed command list executed on it;
// the lists stay alive until the queue is seen idle (synchronize, or a query that finds it
// done), because the device may still be reading them.
struct rk_backend_stream_s {
  rk_backend_context context = nullptr;
  rk::level_zero::ze_command_queue_handle_t queue = nullptr;
  struct Submission {
    uint64_t sequence;
    rk::level_zero::ze_command_list_handle_t list;
    bool persistent;  // a cooperative launch: the clock refreshes until it is seen finished
  };
  std::mutex mutex;  // guards the queue's submissions and the fields below
  std::vector<Submission> in_flight;
  uint64_t submitted = 0;
};

// Every kind is a USM pointer: one address that kernels dereference. HOST_MAPPED and
// SHARED are host-addressable too (the same address).
struct rk_backend_buffer_s {
  rk_backend_context context = nullptr;
  size_t bytes = 0;
  rk_memory_kind kind = RK_MEMORY_UNDEFINED;
  void* pointer = nullptr;
};

struct rk_backend_function_s {
  rk_backend_module module = nullptr;
  rk::level_zero::ze_kernel_handle_t kernel = nullptr;
  std::string name;
  uint32_t arg_count = 0;
  std::mutex launch_mutex;  // group size + arguments + append on one kernel must not interleave
};

struct rk_backend_module_s {
  rk_backend_context context = nullptr;
  rk::level_zero::ze_module_handle_t module = nullptr;
  std::mutex mutex;  // guards functions: function_get may be called from several threads
  std::vector<std::unique_ptr<rk_backend_function_s>> functions;
};

namespace rk::level_zero {

// A failed Level Zero call as an rk_result with "level_zero: <what>: <result name>".
rk_result fail_ze(rk_result code, const std::string& what, ze_result_t status);

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
// A fresh command list for `stream`'s queue group; the caller appends, then submits.
rk_result open_list(rk_backend_stream stream, ze_command_list_handle_t& list);
// Closes and executes `list` on the stream (it owns the list from here on, even on failure).
rk_result submit(rk_backend_stream stream, ze_command_list_handle_t list, bool persistent);

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

}  // namespace rk::level_zero
