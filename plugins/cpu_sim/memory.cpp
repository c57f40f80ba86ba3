// cpu_sim memory: every kind is host memory, so the device address is the host address.
#include <cstdlib>
#include <cstring>

#include "cpu_sim.hpp"

namespace rk::cpu_sim {
namespace {

rk_result check_range(rk_backend_buffer buffer, size_t offset, size_t bytes) {
  if (buffer == nullptr) return fail(RK_ERROR_INVALID_ARGUMENT, "buffer is NULL");
  if (offset > buffer->bytes || bytes > buffer->bytes - offset)
    return fail(RK_ERROR_INVALID_ARGUMENT, "copy range outside the buffer");
  return RK_SUCCESS;
}

}  // namespace

rk_result buffer_alloc(rk_backend_context, size_t bytes, rk_memory_kind kind, rk_backend_buffer* buffer) {
  if (buffer == nullptr || bytes == 0)
    return fail(RK_ERROR_INVALID_ARGUMENT, "need a buffer out-pointer and bytes > 0");
  if (kind < RK_MEMORY_DEVICE || kind > RK_MEMORY_SHARED) return fail(RK_ERROR_INVALID_ARGUMENT, "unknown memory kind");
  size_t rounded = (bytes + 127) / 128 * 128;  // cache-line aligned like a GPU allocation
  void* memory = std::aligned_alloc(128, rounded);
  if (memory == nullptr) return fail(RK_ERROR_OUT_OF_MEMORY, "cannot allocate " + std::to_string(bytes) + " bytes");
  std::memset(memory, 0, rounded);
  *buffer = new rk_backend_buffer_s{memory, bytes, kind};
  return RK_SUCCESS;
}

rk_result buffer_free(rk_backend_buffer buffer) {
  if (buffer == nullptr) return RK_SUCCESS;
  std::free(buffer->memory);
  delete buffer;
  return RK_SUCCESS;
}

rk_result buffer_map(rk_backend_buffer buffer, void** host_pointer) {
  if (buffer == nullptr || host_pointer == nullptr)
    return fail(RK_ERROR_INVALID_ARGUMENT, "buffer or out-pointer is NULL");
  *host_pointer = buffer->memory;
  return RK_SUCCESS;
}

rk_result buffer_device_address(rk_backend_buffer buffer, uint64_t* address) {
  if (buffer == nullptr || address == nullptr) return fail(RK_ERROR_INVALID_ARGUMENT, "buffer or out-pointer is NULL");
  *address = reinterpret_cast<uintptr_t>(buffer->memory);
  return RK_SUCCESS;
}

rk_result copy_to_device(rk_backend_stream stream, rk_backend_buffer dst, size_t offset, const void* src,
                         size_t bytes) {
  if (rk_result r = check_range(dst, offset, bytes); r != RK_SUCCESS) return r;
  if (src == nullptr && bytes > 0) return fail(RK_ERROR_INVALID_ARGUMENT, "source pointer is NULL");
  auto* target = static_cast<uint8_t*>(dst->memory) + offset;
  if (stream == nullptr) {
    std::memcpy(target, src, bytes);
    return RK_SUCCESS;
  }
  stream_enqueue(stream, [target, src, bytes] {
    std::memcpy(target, src, bytes);
    return std::string();
  });
  return RK_SUCCESS;
}

rk_result copy_to_host(rk_backend_stream stream, void* dst, rk_backend_buffer src, size_t offset, size_t bytes) {
  if (rk_result r = check_range(src, offset, bytes); r != RK_SUCCESS) return r;
  if (dst == nullptr && bytes > 0) return fail(RK_ERROR_INVALID_ARGUMENT, "destination pointer is NULL");
  const auto* source = static_cast<const uint8_t*>(src->memory) + offset;
  if (stream == nullptr) {
    std::memcpy(dst, source, bytes);
    return RK_SUCCESS;
  }
  stream_enqueue(stream, [dst, source, bytes] {
    std::memcpy(dst, source, bytes);
    return std::string();
  });
  return RK_SUCCESS;
}

}  // namespace rk::cpu_sim
