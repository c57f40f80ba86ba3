#include "runtime/device_calls.hpp"

#include <algorithm>
#include <cstring>

#include "api/error.hpp"
#include "plugin/backend.hpp"
#include "runtime/runtime.hpp"

namespace rk::core {

rk_result allocate_mapped(rk_runtime_s* runtime, size_t bytes, MappedBuffer& out) {
  Backend& backend = *runtime->backend;
  if (rk_result r = backend.buffer_alloc(runtime->context, bytes, RK_MEMORY_HOST_MAPPED, &out.buffer); r != RK_SUCCESS)
    return r;
  rk_result r = backend.buffer_map(out.buffer, &out.host);
  if (r == RK_SUCCESS) r = backend.buffer_device_address(out.buffer, &out.device);
  if (r == RK_SUCCESS && out.device != reinterpret_cast<uintptr_t>(out.host))
    r = fail(RK_ERROR_UNSUPPORTED, std::string("backend '") + backend.name() +
                                       "' maps host memory at a different device address; persistent ring kernels "
                                       "need one address on both sides (see docs/runtime.md)");
  if (r != RK_SUCCESS) {
    backend.buffer_free(out.buffer);
    out = MappedBuffer{};
  }
  return r;
}

rk_result allocate_device_addressed(rk_runtime_s* runtime, size_t bytes, rk_backend_buffer& buffer, uint64_t& device) {
  Backend& backend = *runtime->backend;
  if (rk_result r = backend.buffer_alloc(runtime->context, bytes, RK_MEMORY_DEVICE, &buffer); r != RK_SUCCESS) return r;
  if (rk_result r = backend.buffer_device_address(buffer, &device); r != RK_SUCCESS) {
    std::string why = last_error_text();
    backend.buffer_free(buffer);
    buffer = nullptr;
    return fail(r, std::string("backend '") + backend.name() + "' has no device memory at a fixed device address, which " +
                       "ring blocks copied in and out around each launch need: " + why);
  }
  return RK_SUCCESS;
}

void free_buffer(rk_runtime_s* runtime, rk_backend_buffer buffer) {
  if (buffer) runtime->backend->buffer_free(buffer);
}

rk_result backend_compile(rk_runtime_s* runtime, const rk_compile_request& request, rk_backend_module* module) {
  std::string log(64 * 1024, '\0');
  rk_text_out out{log.data(), log.size(), 0};
  rk_result r = runtime->backend->module_compile(runtime->context, &request, module, &out);
  if (r == RK_ERROR_COMPILE_FAILED) {
    log.resize(std::min(out.size, log.size() - 1));
    log.resize(std::strlen(log.c_str()));  // trust the NUL, not the size a plugin claims
    return fail(r, std::string("ring kernel '") + (request.name ? request.name : "?") + "' failed to compile:\n" + log);
  }
  return r;
}

rk_result backend_function(rk_runtime_s* runtime, rk_backend_module module, const char* name, rk_backend_function* function) {
  return runtime->backend->function_get(module, name, function);
}

void backend_module_destroy(rk_runtime_s* runtime, rk_backend_module module) { runtime->backend->module_destroy(module); }

rk_result backend_stream_create(rk_runtime_s* runtime, rk_backend_stream* stream) {
  return runtime->backend->stream_create(runtime->context, stream);
}

rk_result backend_stream_synchronize(rk_runtime_s* runtime, rk_backend_stream stream) {
  return runtime->backend->stream_synchronize(stream);
}

void backend_stream_destroy(rk_runtime_s* runtime, rk_backend_stream stream) { runtime->backend->stream_destroy(stream); }

rk_result backend_launch_ring(rk_runtime_s* runtime, rk_backend_stream stream, rk_backend_function function,
                              uint32_t block_size, uint64_t env_address) {
  rk_launch_config config{};
  config.struct_size = sizeof(config);
  config.grid[0] = config.grid[1] = config.grid[2] = 1;
  config.block[0] = block_size;
  config.block[1] = config.block[2] = 1;
  config.flags = RK_LAUNCH_COOPERATIVE;
  rk_kernel_arg arg{};
  arg.kind = RK_ARG_DEVICE_ADDRESS;
  arg.size = sizeof(env_address);
  arg.value = &env_address;
  return runtime->backend->launch(stream, function, &config, &arg, 1);
}

const char* runtime_backend_name(rk_runtime_s* runtime) { return runtime->backend->name(); }

}  // namespace rk::core
