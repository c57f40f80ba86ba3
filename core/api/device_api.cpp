// C entry points for the device level: buffers, modules and launches on a runtime.
#include <cstring>
#include <vector>

#include "api/error.hpp"
#include "runtime/runtime.hpp"

using namespace rk::core;

namespace {

rk_result null_handle(const char* what) { return fail(RK_ERROR_INVALID_ARGUMENT, std::string(what) + " handle is NULL"); }

rk_result check_range(const rk_buffer_s* buffer, size_t offset, size_t bytes) {
  if (offset > buffer->size || bytes > buffer->size - offset)
    return fail(RK_ERROR_INVALID_ARGUMENT, "range [" + std::to_string(offset) + ", +" + std::to_string(bytes) +
                                               ") is outside the " + std::to_string(buffer->size) + "-byte buffer");
  return RK_SUCCESS;
}

}  // namespace

extern "C" {

RK_API rk_result rk_buffer_create(rk_runtime runtime, size_t bytes, rk_memory_kind kind, rk_buffer* buffer) {
  clear_error();
  if (runtime == nullptr || buffer == nullptr) return fail(RK_ERROR_INVALID_ARGUMENT, "runtime and buffer must not be NULL");
  if (bytes == 0) return fail(RK_ERROR_INVALID_ARGUMENT, "a buffer needs at least one byte");
  if (kind < RK_MEMORY_DEVICE || kind > RK_MEMORY_SHARED)
    return fail(RK_ERROR_INVALID_ARGUMENT, "unknown memory kind " + std::to_string(int(kind)));
  auto created = std::make_unique<rk_buffer_s>();
  created->runtime = runtime;
  created->size = bytes;
  created->kind = kind;
  if (rk_result r = runtime->backend->buffer_alloc(runtime->context, bytes, kind, &created->buffer); r != RK_SUCCESS) return r;
  *buffer = created.release();
  return RK_SUCCESS;
}

RK_API rk_result rk_buffer_destroy(rk_buffer buffer) {
  clear_error();
  if (buffer == nullptr) return RK_SUCCESS;
  rk_result r = buffer->runtime->backend->buffer_free(buffer->buffer);
  delete buffer;
  return r;
}

RK_API size_t rk_buffer_size(rk_buffer buffer) { return buffer ? buffer->size : 0; }

RK_API rk_result rk_buffer_map(rk_buffer buffer, void** host_pointer) {
  clear_error();
  if (buffer == nullptr || host_pointer == nullptr) return null_handle("buffer or host_pointer");
  return buffer->runtime->backend->buffer_map(buffer->buffer, host_pointer);
}

RK_API rk_result rk_buffer_write(rk_buffer buffer, size_t offset, const void* src, size_t bytes) {
  clear_error();
  if (buffer == nullptr || (src == nullptr && bytes > 0)) return null_handle("buffer or src");
  if (rk_result r = check_range(buffer, offset, bytes); r != RK_SUCCESS) return r;
  return buffer->runtime->backend->copy_to_device(nullptr, buffer->buffer, offset, src, bytes);
}

RK_API rk_result rk_buffer_read(rk_buffer buffer, size_t offset, void* dst, size_t bytes) {
  clear_error();
  if (buffer == nullptr || (dst == nullptr && bytes > 0)) return null_handle("buffer or dst");
  if (rk_result r = check_range(buffer, offset, bytes); r != RK_SUCCESS) return r;
  return buffer->runtime->backend->copy_to_host(nullptr, dst, buffer->buffer, offset, bytes);
}

RK_API rk_result rk_module_compile(rk_runtime runtime, const rk_module_options* options, rk_module* module) {
  clear_error();
  if (runtime == nullptr || options == nullptr || module == nullptr || options->source == nullptr)
    return fail(RK_ERROR_INVALID_ARGUMENT, "runtime, options, options->source and module must not be NULL");
  if (options->struct_size < sizeof(rk_module_options))
    return fail(RK_ERROR_INVALID_ARGUMENT, "rk_module_options.struct_size is too small");
  rk_compile_request request{};
  request.struct_size = sizeof(request);
  request.kind = options->kind == RK_SOURCE_UNDEFINED ? RK_SOURCE_DIALECT : options->kind;
  request.source = options->source;
  request.source_size = options->source_size ? options->source_size : std::strlen(options->source);
  request.options = options->compile_flags;
  request.name = options->name;
  auto created = std::make_unique<rk_module_s>();
  created->runtime = runtime;
  std::string log(256 * 1024, '\0');
  rk_text_out log_out{log.data(), log.size(), 0};
  rk_result r = runtime->backend->module_compile(runtime->context, &request, &created->module, &log_out);
  log.resize(std::min(log_out.size, log.size() - 1));
  if (r == RK_ERROR_COMPILE_FAILED) return fail(r, "compile failed:\n" + log);
  if (r != RK_SUCCESS) return r;
  created->build_log = std::move(log);
  *module = created.release();
  return RK_SUCCESS;
}

RK_API rk_result rk_module_destroy(rk_module module) {
  clear_error();
  if (module == nullptr) return RK_SUCCESS;
  rk_result r = module->runtime->backend->module_destroy(module->module);
  delete module;
  return r;
}

RK_API const char* rk_module_build_log(rk_module module) { return module ? module->build_log.c_str() : ""; }

RK_API rk_result rk_module_function(rk_module module, const char* name, rk_function* function) {
  clear_error();
  if (module == nullptr || name == nullptr || function == nullptr) return null_handle("module, name or function");
  auto created = std::make_unique<rk_function_s>();
  created->module = module;
  created->name = name;
  if (rk_result r = module->runtime->backend->function_get(module->module, name, &created->function); r != RK_SUCCESS)
    return r;
  *function = created.get();
  module->functions.push_back(std::move(created));
  return RK_SUCCESS;
}

RK_API rk_result rk_launch(rk_runtime runtime, rk_function function, const rk_launch_config* config, const rk_arg* args,
                           uint32_t arg_count) {
  clear_error();
  if (runtime == nullptr || function == nullptr || config == nullptr) return null_handle("runtime, function or config");
  if (arg_count > 0 && args == nullptr) return fail(RK_ERROR_INVALID_ARGUMENT, "arg_count > 0 but args is NULL");
  std::vector<rk_kernel_arg> translated(arg_count);
  for (uint32_t i = 0; i < arg_count; ++i) {
    translated[i] = rk_kernel_arg{args[i].kind, args[i].size, args[i].value, nullptr};
    if (args[i].kind == RK_ARG_BUFFER) {
      if (args[i].buffer == nullptr) return fail(RK_ERROR_INVALID_ARGUMENT, "argument " + std::to_string(i) + " has no buffer");
      translated[i].buffer = args[i].buffer->buffer;
    } else if (args[i].value == nullptr) {
      return fail(RK_ERROR_INVALID_ARGUMENT, "argument " + std::to_string(i) + " has no value");
    }
  }
  return runtime->backend->launch(runtime->stream, function->function, config, translated.data(), arg_count);
}

}  // extern "C"
