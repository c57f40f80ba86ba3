// Buffers are USM allocations: DEVICE (zeMemAllocDevice), HOST_MAPPED (zeMemAllocHost) and
// SHARED (zeMemAllocShared). Every kind's pointer is what kernels dereference; host and
// shared memory is also the host's pointer, so ring blocks live there (device address ==
// host address, as the ring runtime requires).
#include <cstring>

#include "level_zero.hpp"

namespace rk::level_zero {
namespace {

constexpr size_t kAlignment = 128;  // ring layout structs are 128-byte aligned

rk_result allocate(rk_backend_context c, size_t bytes, rk_memory_kind kind, void*& pointer) {
  ze_device_mem_alloc_desc_t device_desc;
  ze_host_mem_alloc_desc_t host_desc;
  ze_result_t status = ZE_RESULT_SUCCESS;
  const char* call = "";
  switch (kind) {
    case RK_MEMORY_DEVICE:
      call = "zeMemAllocDevice";
      status = ze().zeMemAllocDevice(c->context, &device_desc, bytes, kAlignment, c->device->handle, &pointer);
      break;
    case RK_MEMORY_HOST_MAPPED:
      if (!c->device->host_usm) return fail(RK_ERROR_UNSUPPORTED, "level_zero: the device cannot access host USM");
      call = "zeMemAllocHost";
      status = ze().zeMemAllocHost(c->context, &host_desc, bytes, kAlignment, &pointer);
      break;
    case RK_MEMORY_SHARED:
      if (!c->device->shared_usm) return fail(RK_ERROR_UNSUPPORTED, "level_zero: the device has no shared USM");
      call = "zeMemAllocShared";
      status = ze().zeMemAllocShared(c->context, &device_desc, &host_desc, bytes, kAlignment, c->device->handle,
                                     &pointer);
      break;
    default:
      return fail(RK_ERROR_INVALID_ARGUMENT, "unknown memory kind " + std::to_string(int(kind)));
  }
  if (status == ZE_RESULT_SUCCESS) return RK_SUCCESS;
  return fail_ze(RK_ERROR_OUT_OF_MEMORY, std::string(call) + " of " + std::to_string(bytes) + " bytes", status);
}

// Runs one append on the context's synchronous immediate list: done when this returns.
template <class Append>
rk_result run_sync(rk_backend_context c, const char* what, Append append) {
  std::lock_guard lock(c->sync_mutex);
  ze_result_t status = append(c->sync_list);
  return status == ZE_RESULT_SUCCESS ? RK_SUCCESS : fail_ze(RK_ERROR_INTERNAL, what, status);
}

rk_result zero(rk_backend_buffer b) {
  if (b->kind != RK_MEMORY_DEVICE) {
    std::memset(b->pointer, 0, b->bytes);
    return RK_SUCCESS;
  }
  const uint8_t pattern = 0;
  return run_sync(b->context, "zeCommandListAppendMemoryFill", [&](ze_command_list_handle_t list) {
    return ze().zeCommandListAppendMemoryFill(list, b->pointer, &pattern, 1, b->bytes, nullptr, 0, nullptr);
  });
}

rk_result check_range(rk_backend_buffer buffer, size_t offset, size_t bytes) {
  if (buffer == nullptr) return fail(RK_ERROR_INVALID_ARGUMENT, "buffer is NULL");
  if (offset > buffer->bytes || bytes > buffer->bytes - offset)
    return fail(RK_ERROR_INVALID_ARGUMENT, "copy of " + std::to_string(bytes) + " bytes at offset " +
                                               std::to_string(offset) + " overruns a " +
                                               std::to_string(buffer->bytes) + "-byte buffer");
  return RK_SUCCESS;
}

// Ordered on the stream, or (stream NULL) finished when this returns. Host-addressable
// memory needs no device for a synchronous copy.
rk_result copy(rk_backend_stream stream, rk_backend_buffer buffer, void* dst, const void* src, size_t bytes) {
  if (bytes == 0) return RK_SUCCESS;
  if (stream == nullptr && buffer->kind != RK_MEMORY_DEVICE) {
    std::memcpy(dst, src, bytes);
    return RK_SUCCESS;
  }
  if (stream == nullptr) {
    return run_sync(buffer->context, "zeCommandListAppendMemoryCopy", [&](ze_command_list_handle_t list) {
      return ze().zeCommandListAppendMemoryCopy(list, dst, src, bytes, nullptr, 0, nullptr);
    });
  }
  ze_command_list_handle_t list = nullptr;
  if (rk_result r = open_list(stream, list); r != RK_SUCCESS) return r;
  if (ze_result_t status = ze().zeCommandListAppendMemoryCopy(list, dst, src, bytes, nullptr, 0, nullptr);
      status != ZE_RESULT_SUCCESS) {
    ze().zeCommandListDestroy(list);
    return fail_ze(RK_ERROR_INTERNAL, "zeCommandListAppendMemoryCopy", status);
  }
  return submit(stream, list, false);
}

}  // namespace

rk_result buffer_alloc(rk_backend_context context, size_t bytes, rk_memory_kind kind, rk_backend_buffer* buffer) {
  if (context == nullptr || buffer == nullptr || bytes == 0)
    return fail(RK_ERROR_INVALID_ARGUMENT, "context, a non-zero size and the buffer out-pointer must be set");
  void* pointer = nullptr;
  if (rk_result r = allocate(context, bytes, kind, pointer); r != RK_SUCCESS) return r;
  auto* b = new rk_backend_buffer_s{context, bytes, kind, pointer};
  if (rk_result r = zero(b); r != RK_SUCCESS) {
    buffer_free(b);
    return r;
  }
  *buffer = b;
  return RK_SUCCESS;
}

rk_result buffer_free(rk_backend_buffer buffer) {
  if (buffer == nullptr) return RK_SUCCESS;
  ze().zeMemFree(buffer->context->context, buffer->pointer);
  delete buffer;
  return RK_SUCCESS;
}

rk_result buffer_map(rk_backend_buffer buffer, void** host_pointer) {
  if (buffer == nullptr || host_pointer == nullptr) return fail(RK_ERROR_INVALID_ARGUMENT, "buffer and host_pointer must be set");
  if (buffer->kind == RK_MEMORY_DEVICE)
    return fail(RK_ERROR_UNSUPPORTED, "level_zero: DEVICE memory is not host-addressable; use copies");
  *host_pointer = buffer->pointer;
  return RK_SUCCESS;
}

rk_result buffer_device_address(rk_backend_buffer buffer, uint64_t* address) {
  if (buffer == nullptr || address == nullptr) return fail(RK_ERROR_INVALID_ARGUMENT, "buffer and address must be set");
  *address = reinterpret_cast<uintptr_t>(buffer->pointer);
  return RK_SUCCESS;
}

rk_result copy_to_device(rk_backend_stream stream, rk_backend_buffer dst, size_t offset, const void* src, size_t bytes) {
  if (rk_result r = check_range(dst, offset, bytes); r != RK_SUCCESS) return r;
  if (src == nullptr && bytes > 0) return fail(RK_ERROR_INVALID_ARGUMENT, "source is NULL");
  return copy(stream, dst, static_cast<char*>(dst->pointer) + offset, src, bytes);
}

rk_result copy_to_host(rk_backend_stream stream, void* dst, rk_backend_buffer src, size_t offset, size_t bytes) {
  if (rk_result r = check_range(src, offset, bytes); r != RK_SUCCESS) return r;
  if (dst == nullptr && bytes > 0) return fail(RK_ERROR_INVALID_ARGUMENT, "destination is NULL");
  return copy(stream, src, dst, static_cast<const char*>(src->pointer) + offset, bytes);
}

}  // namespace rk::level_zero
