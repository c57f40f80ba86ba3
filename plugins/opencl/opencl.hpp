// opencl plugin internals: the handles behind the ABI's opaque pointers, and what each
// file provides.
#pragma once

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "cl_api.hpp"
#include "common/plugin_support.hpp"
#include "rk_plugin.h"

namespace rk::plugin_common {
class HostClock;
}

namespace rk::opencl {

// Shared with every plugin (plugins/common/).
using rk::plugin_common::fail;
using rk::plugin_common::HostClock;
using rk::plugin_common::last_error;
using rk::plugin_common::log;
using rk::plugin_common::set_host;
using rk::plugin_common::write_text;

// One OpenCL device as probe() found it; lives until the plugin is unloaded.
struct Device {
  cl_platform_id platform = nullptr;
  cl_device_id id = nullptr;
  rk_device_info info{};
  std::string platform_version;  // part of the program cache key
  std::string language;          // -cl-std value: "CL3.0", "CL2.0" or "CL1.2"
  bool fine_grain_svm = false;   // fine-grained SVM buffers with SVM atomics: HOST_MAPPED / SHARED
  bool coarse_svm = false;       // coarse-grained SVM buffers (every SVM device): DEVICE memory with an address
  bool ring_kernels = false;     // persistent kernels, K2K, cooperative launch
  // PoCL's CPU device on x86-64 Linux: ring kernels park on futexes (RK_OPENCL_HOST_FUTEX,
  // devices.cpp) and wake parked host threads (RK_CAP_HOST_WAKEUP).
  bool host_futex = false;
  // Work-groups held by running cooperative (ring) launches, against info.compute_units.
  std::atomic<uint32_t> resident_groups{0};
};

// Every live SVM allocation of a context: kernels get the list through
// CL_KERNEL_EXEC_INFO_SVM_PTRS, because ring kernels follow SVM pointers stored in memory.
class SvmRegistry {
 public:
  void add(void* pointer);
  void remove(void* pointer);
  std::vector<void*> snapshot() const;

 private:
  mutable std::mutex mutex_;
  std::vector<void*> pointers_;
};

}  // namespace rk::opencl

struct rk_backend_context_s {
  rk::opencl::Device* device = nullptr;
  cl_context context = nullptr;
  cl_command_queue copy_queue = nullptr;  // synchronous copies and fills (stream NULL)
  rk::opencl::SvmRegistry svm;
  std::unique_ptr<rk::opencl::HostClock> clock;  // only where fine-grained SVM exists
  // Cooperative launches still running: their completion callbacks use this context, so
  // context_destroy waits for them.
  std::mutex cooperative_mutex;
  std::condition_variable cooperative_done;
  uint32_t cooperative_running = 0;
};

// An in-order command queue. A persistent ring kernel holds its queue for its whole life.
struct rk_backend_stream_s {
  rk_backend_context context = nullptr;
  cl_command_queue queue = nullptr;
  // The last command enqueued: in order, so when it is complete the stream is idle. (A
  // fresh marker would not do: the driver completes it only some time after it is queued.)
  std::mutex last_mutex;
  cl_event last = nullptr;
  // Cooperative launches whose completion callback has not run yet (guarded by the
  // context's cooperative_mutex): synchronize waits for those too, so the work-groups they
  // held are free again when it returns.
  uint32_t cooperative_pending = 0;
};

// DEVICE memory is a cl_mem; HOST_MAPPED and SHARED are fine-grained SVM, one address on
// both sides.
struct rk_backend_buffer_s {
  rk_backend_context context = nullptr;
  size_t bytes = 0;
  rk_memory_kind kind = RK_MEMORY_UNDEFINED;
  cl_mem mem = nullptr;
  void* svm = nullptr;
  bool coarse = false;  // coarse-grained SVM (DEVICE memory): the host reaches it by SVM commands only
};

struct rk_backend_function_s {
  rk_backend_module module = nullptr;
  cl_kernel kernel = nullptr;
  std::string name;
  cl_uint arg_count = 0;
  size_t max_work_group = 1;
  std::mutex launch_mutex;  // clSetKernelArg + enqueue on one cl_kernel must not interleave
};

struct rk_backend_module_s {
  rk_backend_context context = nullptr;
  cl_program program = nullptr;
  std::mutex mutex;  // guards functions: function_get may be called from several threads
  std::vector<std::unique_ptr<rk_backend_function_s>> functions;
};

namespace rk::opencl {

// entry.cpp: per-thread last error, logging through the host, text out.

// devices.cpp
rk_result probe(uint32_t* device_count);
rk_result get_device_info(uint32_t device, rk_device_info* info);
Device* device_at(uint32_t index);  // nullptr when out of range

// context.cpp
rk_result context_create(uint32_t device, rk_backend_context* context);
rk_result context_destroy(rk_backend_context context);
cl_command_queue make_queue(rk_backend_context context, cl_int& status);  // in-order

// stream.cpp
rk_result stream_create(rk_backend_context context, rk_backend_stream* stream);
rk_result stream_destroy(rk_backend_stream stream);
rk_result stream_synchronize(rk_backend_stream stream);
rk_result stream_query(rk_backend_stream stream);
void wait_for_cooperative_callbacks(rk_backend_stream stream);
// Takes ownership of `event`, the stream's newest command, and flushes the queue.
void remember_and_flush(rk_backend_stream stream, cl_event event);

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

}  // namespace rk::opencl
