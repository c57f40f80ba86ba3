// C entry points for the device level: buffers, modules and launches on a runtime.
#include <algorithm>
#include <cstring>
#include <vector>

#include "api/error.hpp"
#include "api/struct_growth.hpp"
#include "runtime/park.hpp"
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

// Compile logs usually fit; when one does not, compile again with room for all of it, so
// a failure always carries the compiler's whole log (cpu_sim's second run is a cache hit).
constexpr size_t kFirstLogCapacity = 64 * 1024;
// A plugin may claim any log size: the second try asks for at most this much (a real
// compiler log is far smaller; a claim of SIZE_MAX must not wrap or allocate a terabyte).
constexpr size_t kMaxLogCapacity = 16 * 1024 * 1024;

struct CompileOutcome {
  rk_result result = RK_SUCCESS;
  rk_backend_module module = nullptr;
  std::string log;
  size_t full_log_size = 0;
};

CompileOutcome compile_once(rk_runtime_s& runtime, const rk_compile_request& request, size_t log_capacity) {
  CompileOutcome out;
  out.log.assign(log_capacity, '\0');
  rk_text_out log{out.log.data(), out.log.size(), 0};
  // Loading may need the device's running ring kernels parked (CUDA: runtime/park.hpp).
  out.result = with_ring_kernels_parked(&runtime, [&] {
    return runtime.backend->module_compile(runtime.context, &request, &out.module, &log);
  });
  out.full_log_size = log.size;
  out.log.resize(std::min(log.size, log_capacity - 1));
  out.log.resize(std::strlen(out.log.c_str()));  // trust the NUL, not the size a plugin claims
  return out;
}

CompileOutcome compile_with_full_log(rk_runtime_s& runtime, const rk_compile_request& request) {
  CompileOutcome out = compile_once(runtime, request, kFirstLogCapacity);
  if (out.full_log_size < kFirstLogCapacity) return out;
  if (out.result == RK_SUCCESS) runtime.backend->module_destroy(out.module);
  return compile_once(runtime, request, std::min(out.full_log_size, kMaxLogCapacity - 1) + 1);
}

// The backend's words (already in the last error) plus the log, unless they already hold it.
std::string compile_failure_words(const std::string& backend_words, const std::string& log) {
  if (log.empty() || backend_words.find(log) != std::string::npos) return backend_words;
  return backend_words + "\ncompiler log:\n" + log;
}

rk_compile_request compile_request_from(const rk_module_options& options) {
  rk_compile_request request{};
  request.struct_size = sizeof(request);
  request.kind = options.kind == RK_SOURCE_UNDEFINED ? RK_SOURCE_DIALECT : options.kind;
  request.source = options.source;
  request.source_size = options.source_size ? options.source_size : std::strlen(options.source);
  request.options = options.compile_flags;
  request.name = options.name;
  return request;
}

// A caller's (maybe older) config, read into the current layout for the plugin.
rk_result read_launch_config(const rk_launch_config* given, rk_launch_config& config) {
  if (rk_result r = read_struct(*given, config); r != RK_SUCCESS) return r;
  for (int axis = 0; axis < 3; ++axis)
    if (config.grid[axis] == 0 || config.block[axis] == 0)
      return fail(RK_ERROR_INVALID_ARGUMENT, "launch grid and block sizes must be at least 1 on every axis (axis " +
                                                 std::to_string(axis) + " is 0)");
  return RK_SUCCESS;
}

// rk_arg -> rk_kernel_arg: a buffer argument becomes the backend's own buffer handle.
rk_result translate_arg(const rk_runtime_s* runtime, const rk_arg& arg, uint32_t index, rk_kernel_arg& out) {
  const std::string which = "argument " + std::to_string(index);
  out = rk_kernel_arg{arg.kind, arg.size, arg.value, nullptr};
  switch (arg.kind) {
    case RK_ARG_BUFFER:
      if (arg.buffer == nullptr) return fail(RK_ERROR_INVALID_ARGUMENT, which + " is a buffer argument with no buffer");
      if (arg.buffer->runtime != runtime)
        return fail(RK_ERROR_INVALID_ARGUMENT, which + " is a buffer of another runtime");
      out.buffer = arg.buffer->buffer;
      return RK_SUCCESS;
    case RK_ARG_VALUE:
      if (arg.value == nullptr || arg.size == 0)
        return fail(RK_ERROR_INVALID_ARGUMENT, which + " is a value argument with no value or size 0");
      return RK_SUCCESS;
    case RK_ARG_DEVICE_ADDRESS:
      if (arg.value == nullptr) return fail(RK_ERROR_INVALID_ARGUMENT, which + " is a device address with no value");
      out.size = sizeof(uint64_t);
      return RK_SUCCESS;
    default:
      return fail(RK_ERROR_INVALID_ARGUMENT, which + " has unknown kind " + std::to_string(int(arg.kind)));
  }
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
  if (bytes == 0) return RK_SUCCESS;  // nothing to move; plugins need not handle empty copies
  return buffer->runtime->backend->copy_to_device(nullptr, buffer->buffer, offset, src, bytes);
}

RK_API rk_result rk_buffer_read(rk_buffer buffer, size_t offset, void* dst, size_t bytes) {
  clear_error();
  if (buffer == nullptr || (dst == nullptr && bytes > 0)) return null_handle("buffer or dst");
  if (rk_result r = check_range(buffer, offset, bytes); r != RK_SUCCESS) return r;
  if (bytes == 0) return RK_SUCCESS;
  return buffer->runtime->backend->copy_to_host(nullptr, dst, buffer->buffer, offset, bytes);
}

RK_API rk_result rk_module_compile(rk_runtime runtime, const rk_module_options* options, rk_module* module) {
  clear_error();
  if (runtime == nullptr || options == nullptr || module == nullptr || options->source == nullptr)
    return fail(RK_ERROR_INVALID_ARGUMENT, "runtime, options, options->source and module must not be NULL");
  rk_module_options given{};
  if (rk_result r = read_struct(*options, given); r != RK_SUCCESS) return r;
  rk_compile_request request = compile_request_from(given);
  if (request.source_size == 0) return fail(RK_ERROR_INVALID_ARGUMENT, "module source is empty");
  CompileOutcome outcome = compile_with_full_log(*runtime, request);
  if (outcome.result == RK_ERROR_COMPILE_FAILED)
    return fail(outcome.result, compile_failure_words(last_error_text(), outcome.log));
  if (outcome.result != RK_SUCCESS) return outcome.result;
  auto created = std::make_unique<rk_module_s>();
  created->runtime = runtime;
  created->module = outcome.module;
  created->build_log = std::move(outcome.log);
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
  if (*name == '\0') return fail(RK_ERROR_INVALID_ARGUMENT, "function name is empty");
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
  if (function->module->runtime != runtime) return fail(RK_ERROR_INVALID_ARGUMENT, "the function belongs to another runtime");
  if (arg_count > 0 && args == nullptr) return fail(RK_ERROR_INVALID_ARGUMENT, "arg_count > 0 but args is NULL");
  rk_launch_config launch{};
  if (rk_result r = read_launch_config(config, launch); r != RK_SUCCESS) return r;
  std::vector<rk_kernel_arg> translated(arg_count);
  for (uint32_t i = 0; i < arg_count; ++i)
    if (rk_result r = translate_arg(runtime, args[i], i, translated[i]); r != RK_SUCCESS) return r;
  return runtime->backend->launch(runtime->stream, function->function, &launch, translated.data(), arg_count);
}

}  // extern "C"
