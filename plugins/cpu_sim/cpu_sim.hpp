// cpu_sim internals: the plugin's handles and the pieces each file provides.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/plugin_support.hpp"
#include "rk_plugin.h"

extern "C" {
#include "prelude/rk_cpu_thread_info.h"
}

struct rk_backend_context_s {
  uint32_t device = 0;
};

struct rk_backend_buffer_s {
  void* memory = nullptr;
  size_t bytes = 0;
  rk_memory_kind kind = RK_MEMORY_UNDEFINED;
};

// Work queued on a stream returns "" or what went wrong; the stream reports the first
// failure from its next synchronize or query.
using StreamJob = std::function<std::string()>;

// An in-order queue of work run by one worker thread, as a GPU stream would.
struct rk_backend_stream_s {
  std::mutex mutex;
  std::condition_variable changed;
  std::deque<StreamJob> work;
  bool busy = false;
  bool stopping = false;
  std::string failure;  // first unreported failure of queued work
  std::thread worker;
};

using rk_cpu_entry_fn = void (*)(const rk_cpu_thread_info*, void**);
// Writes up to `capacity` parameter sizes, returns the parameter count (prelude trampoline).
using rk_cpu_params_fn = unsigned (*)(unsigned* sizes, unsigned capacity);

struct rk_backend_function_s {
  rk_cpu_entry_fn entry = nullptr;
  rk_cpu_params_fn params = nullptr;  // NULL for native sources that do not export it
  std::string name;
  bool needs_lockstep = true;  // may wait for another thread of its block: run a block's threads at once
};

struct rk_backend_module_s {
  void* library = nullptr;  // dlopen handle of the compiled kernel object
  std::string path;
  bool needs_lockstep = true;
  std::mutex mutex;  // guards functions: function_get may be called from several threads
  std::vector<std::unique_ptr<rk_backend_function_s>> functions;
};

namespace rk::cpu_sim {

// Shared with every plugin (plugins/common/).
using rk::plugin_common::fail;
using rk::plugin_common::last_error;
using rk::plugin_common::log;
using rk::plugin_common::set_host;
using rk::plugin_common::write_text;

// Block-shared memory: RK_SHARED_ARRAY arrays come from a static arena per block, the
// launch's shared_memory_bytes from a second one (rk_dynamic_shared()).
constexpr size_t kStaticSharedBytes = 48 * 1024;
constexpr uint32_t kMaxDynamicSharedBytes = 64 * 1024;

// Per-thread last error, and a helper that records it and returns the code.

// stream.cpp
rk_result stream_create(rk_backend_context context, rk_backend_stream* stream);
rk_result stream_destroy(rk_backend_stream stream);
rk_result stream_synchronize(rk_backend_stream stream);
rk_result stream_query(rk_backend_stream stream);
void stream_enqueue(rk_backend_stream stream, StreamJob job);

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
// The text with comments and the insides of string and character literals blanked out
// (line breaks kept), so a search sees only code.
std::string code_only(const std::string& text);

// launch.cpp
rk_result launch(rk_backend_stream stream, rk_backend_function function, const rk_launch_config* config,
                 const rk_kernel_arg* args, uint32_t arg_count);


}  // namespace rk::cpu_sim
