// A loaded backend plugin: keeps the shared library alive and calls its table. Every call
// checks that the table has the entry (tables only grow, so an older plugin may lack it)
// and turns a plugin failure into the core's last error in the plugin's own words.
#pragma once

#include <cstdint>
#include <string>

#include <boost/dll/shared_library.hpp>  // BOOST_DLL_USE_STD_FS comes from the build

#include "ringkernel.h"

namespace rk::core {

class Backend {
 public:
  Backend(boost::dll::shared_library library, const rk_backend_table* table, std::string path);

  const char* name() const { return table_->name; }
  uint64_t caps() const { return table_->caps; }
  uint32_t abi_minor() const { return table_->abi_minor; }
  const std::string& path() const { return path_; }
  const rk_backend_table* table() const { return table_; }
  // The plugin's own words for this thread's last failure ("" when none).
  std::string plugin_error() const;

  rk_result probe(uint32_t* device_count);
  rk_result get_device_info(uint32_t device, rk_device_info* info);
  rk_result context_create(uint32_t device, rk_backend_context* context);
  rk_result context_destroy(rk_backend_context context);
  rk_result stream_create(rk_backend_context context, rk_backend_stream* stream);
  rk_result stream_destroy(rk_backend_stream stream);
  rk_result stream_synchronize(rk_backend_stream stream);
  rk_result stream_query(rk_backend_stream stream);
  rk_result buffer_alloc(rk_backend_context context, size_t bytes, rk_memory_kind kind, rk_backend_buffer* buffer);
  rk_result buffer_free(rk_backend_buffer buffer);
  rk_result buffer_map(rk_backend_buffer buffer, void** host_pointer);
  rk_result buffer_device_address(rk_backend_buffer buffer, uint64_t* address);
  rk_result copy_to_device(rk_backend_stream stream, rk_backend_buffer dst, size_t offset, const void* src, size_t bytes);
  rk_result copy_to_host(rk_backend_stream stream, void* dst, rk_backend_buffer src, size_t offset, size_t bytes);
  rk_result module_compile(rk_backend_context context, const rk_compile_request* request, rk_backend_module* module,
                           rk_text_out* log);
  rk_result module_destroy(rk_backend_module module);
  rk_result function_get(rk_backend_module module, const char* name, rk_backend_function* function);
  rk_result launch(rk_backend_stream stream, rk_backend_function function, const rk_launch_config* config,
                   const rk_kernel_arg* args, uint32_t arg_count);

 private:
  rk_result unsupported(const char* entry) const;
  rk_result checked(rk_result result, const char* entry) const;

  boost::dll::shared_library library_;  // declared first: outlives nothing that calls into it
  const rk_backend_table* table_;
  std::string path_;
};

}  // namespace rk::core
