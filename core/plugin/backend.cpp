#include "plugin/backend.hpp"

#include "api/error.hpp"

namespace rk::core {

// Calls table_->entry(args...) if the plugin's table is long enough to have it.
#define RK_BACKEND_CALL(entry, ...)                                                          \
  do {                                                                                       \
    if (!RK_TABLE_HAS(table_, rk_backend_table, entry) || table_->entry == nullptr)          \
      return unsupported(#entry);                                                            \
    return checked(table_->entry(__VA_ARGS__), #entry);                                      \
  } while (0)

Backend::Backend(boost::dll::shared_library library, const rk_backend_table* table, std::string path)
    : library_(std::move(library)), table_(table), path_(std::move(path)) {}

std::string Backend::plugin_error() const {
  if (!RK_TABLE_HAS(table_, rk_backend_table, last_error) || table_->last_error == nullptr) return {};
  const char* text = table_->last_error();
  return text ? text : "";
}

rk_result Backend::unsupported(const char* entry) const {
  return fail(RK_ERROR_UNSUPPORTED, std::string("backend '") + name() + "' does not provide " + entry +
                                        " (plugin ABI " + std::to_string(table_->abi_major) + "." +
                                        std::to_string(table_->abi_minor) + ")");
}

rk_result Backend::checked(rk_result result, const char* entry) const {
  if (result == RK_SUCCESS) return result;
  return fail(result, std::string("backend '") + name() + "' " + entry + ": " + plugin_error());
}

rk_result Backend::probe(uint32_t* device_count) { RK_BACKEND_CALL(probe, device_count); }
rk_result Backend::get_device_info(uint32_t device, rk_device_info* info) { RK_BACKEND_CALL(get_device_info, device, info); }
rk_result Backend::context_create(uint32_t device, rk_backend_context* context) {
  RK_BACKEND_CALL(context_create, device, context);
}
rk_result Backend::context_destroy(rk_backend_context context) { RK_BACKEND_CALL(context_destroy, context); }
rk_result Backend::stream_create(rk_backend_context context, rk_backend_stream* stream) {
  RK_BACKEND_CALL(stream_create, context, stream);
}
rk_result Backend::stream_destroy(rk_backend_stream stream) { RK_BACKEND_CALL(stream_destroy, stream); }
rk_result Backend::stream_synchronize(rk_backend_stream stream) { RK_BACKEND_CALL(stream_synchronize, stream); }
rk_result Backend::stream_query(rk_backend_stream stream) {
  if (!RK_TABLE_HAS(table_, rk_backend_table, stream_query) || table_->stream_query == nullptr)
    return unsupported("stream_query");
  rk_result r = table_->stream_query(stream);
  return r == RK_ERROR_NOT_READY ? r : checked(r, "stream_query");  // not ready is an answer, not a failure
}
rk_result Backend::buffer_alloc(rk_backend_context context, size_t bytes, rk_memory_kind kind, rk_backend_buffer* buffer) {
  RK_BACKEND_CALL(buffer_alloc, context, bytes, kind, buffer);
}
rk_result Backend::buffer_free(rk_backend_buffer buffer) { RK_BACKEND_CALL(buffer_free, buffer); }
rk_result Backend::buffer_map(rk_backend_buffer buffer, void** host_pointer) { RK_BACKEND_CALL(buffer_map, buffer, host_pointer); }
rk_result Backend::buffer_device_address(rk_backend_buffer buffer, uint64_t* address) {
  RK_BACKEND_CALL(buffer_device_address, buffer, address);
}
rk_result Backend::copy_to_device(rk_backend_stream stream, rk_backend_buffer dst, size_t offset, const void* src,
                                  size_t bytes) {
  RK_BACKEND_CALL(copy_to_device, stream, dst, offset, src, bytes);
}
rk_result Backend::copy_to_host(rk_backend_stream stream, void* dst, rk_backend_buffer src, size_t offset, size_t bytes) {
  RK_BACKEND_CALL(copy_to_host, stream, dst, src, offset, bytes);
}
rk_result Backend::module_compile(rk_backend_context context, const rk_compile_request* request, rk_backend_module* module,
                                  rk_text_out* log) {
  RK_BACKEND_CALL(module_compile, context, request, module, log);
}
rk_result Backend::module_destroy(rk_backend_module module) { RK_BACKEND_CALL(module_destroy, module); }
rk_result Backend::function_get(rk_backend_module module, const char* name, rk_backend_function* function) {
  RK_BACKEND_CALL(function_get, module, name, function);
}
rk_result Backend::launch(rk_backend_stream stream, rk_backend_function function, const rk_launch_config* config,
                          const rk_kernel_arg* args, uint32_t arg_count) {
  RK_BACKEND_CALL(launch, stream, function, config, args, arg_count);
}

#undef RK_BACKEND_CALL

}  // namespace rk::core
