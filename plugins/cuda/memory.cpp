// Buffers: DEVICE = cuMemAlloc (copies only); HOST_MAPPED = pinned, device-mapped host
// memory (cuMemHostAlloc DEVICEMAP|PORTABLE), which ring kernels poll while the host writes
// it; SHARED = managed memory. All zeroed, like every other backend's.
#include <cinttypes>
#include <cstring>

#include "cuda.hpp"

namespace rk::cuda {
namespace {

rk_result alloc_device(rk_backend_buffer b) {
  CUresult status = cu().cuMemAlloc(&b->device, b->bytes);
  if (status != CUDA_SUCCESS) return fail_cu(RK_ERROR_OUT_OF_MEMORY, "cuMemAlloc", status);
  status = cu().cuMemsetD8(b->device, 0, b->bytes);
  return status == CUDA_SUCCESS ? RK_SUCCESS : fail_cu(RK_ERROR_INTERNAL, "cuMemsetD8", status);
}

// Under UVA the device pointer equals the host pointer; the ring runtime stores host
// addresses in the ring env, so a mismatch would break ring kernels: say so loudly.
rk_result alloc_host_mapped(rk_backend_buffer b) {
  if (!b->context->device->host_mapped)
    return fail(RK_ERROR_UNSUPPORTED, "cuda: HOST_MAPPED needs CAN_MAP_HOST_MEMORY and unified addressing");
  CUresult status = cu().cuMemHostAlloc(&b->host, b->bytes, CU_MEMHOSTALLOC_DEVICEMAP | CU_MEMHOSTALLOC_PORTABLE);
  if (status != CUDA_SUCCESS) return fail_cu(RK_ERROR_OUT_OF_MEMORY, "cuMemHostAlloc", status);
  std::memset(b->host, 0, b->bytes);
  status = cu().cuMemHostGetDevicePointer(&b->device, b->host, 0);
  if (status != CUDA_SUCCESS) return fail_cu(RK_ERROR_INTERNAL, "cuMemHostGetDevicePointer", status);
  if (b->device != reinterpret_cast<uintptr_t>(b->host))
    log(RK_LOG_LEVEL_WARN, "cuda: HOST_MAPPED device address differs from the host address (no UVA?): ring "
                           "kernels will not work on this device");
  return RK_SUCCESS;
}

rk_result alloc_shared(rk_backend_buffer b) {
  if (!b->context->device->managed) return fail(RK_ERROR_UNSUPPORTED, "cuda: the device has no managed memory");
  CUresult status = cu().cuMemAllocManaged(&b->device, b->bytes, CU_MEM_ATTACH_GLOBAL);
  if (status != CUDA_SUCCESS) return fail_cu(RK_ERROR_OUT_OF_MEMORY, "cuMemAllocManaged", status);
  b->host = reinterpret_cast<void*>(static_cast<uintptr_t>(b->device));
  status = cu().cuMemsetD8(b->device, 0, b->bytes);
  return status == CUDA_SUCCESS ? RK_SUCCESS : fail_cu(RK_ERROR_INTERNAL, "cuMemsetD8", status);
}

void release(rk_backend_buffer b) {
  if (b->kind == RK_MEMORY_HOST_MAPPED) {
    if (b->host) cu().cuMemFreeHost(b->host);
  } else if (b->device) {
    cu().cuMemFree(b->device);
  }
}

rk_result check_range(rk_backend_buffer b, size_t offset, size_t bytes) {
  if (offset > b->bytes || bytes > b->bytes - offset)
    return fail(RK_ERROR_INVALID_ARGUMENT, "cuda: copy of " + std::to_string(bytes) + " bytes at offset " +
                                               std::to_string(offset) + " passes the buffer's " +
                                               std::to_string(b->bytes) + " bytes");
  return RK_SUCCESS;
}

}  // namespace

rk_result buffer_alloc(rk_backend_context context, size_t bytes, rk_memory_kind kind, rk_backend_buffer* buffer) {
  if (context == nullptr || buffer == nullptr || bytes == 0)
    return fail(RK_ERROR_INVALID_ARGUMENT, "context, buffer and a non-zero size are required");
  if (rk_result r = bind(context); r != RK_SUCCESS) return r;
  auto b = std::make_unique<rk_backend_buffer_s>();
  b->context = context;
  b->bytes = bytes;
  b->kind = kind;
  rk_result r = kind == RK_MEMORY_DEVICE        ? alloc_device(b.get())
                : kind == RK_MEMORY_HOST_MAPPED ? alloc_host_mapped(b.get())
                : kind == RK_MEMORY_SHARED      ? alloc_shared(b.get())
                                                : fail(RK_ERROR_INVALID_ARGUMENT, "cuda: unknown memory kind");
  if (r != RK_SUCCESS) {
    release(b.get());
    return r;
  }
  *buffer = b.release();
  return RK_SUCCESS;
}

rk_result buffer_free(rk_backend_buffer buffer) {
  if (buffer == nullptr) return RK_SUCCESS;
  if (rk_result r = bind(buffer->context); r != RK_SUCCESS) return r;
  release(buffer);
  delete buffer;
  return RK_SUCCESS;
}

rk_result buffer_map(rk_backend_buffer buffer, void** host_pointer) {
  if (buffer == nullptr || host_pointer == nullptr) return fail(RK_ERROR_INVALID_ARGUMENT, "buffer and pointer required");
  if (buffer->host == nullptr) return fail(RK_ERROR_UNSUPPORTED, "cuda: DEVICE memory cannot be mapped into the host");
  *host_pointer = buffer->host;
  return RK_SUCCESS;
}

rk_result buffer_device_address(rk_backend_buffer buffer, uint64_t* address) {
  if (buffer == nullptr || address == nullptr) return fail(RK_ERROR_INVALID_ARGUMENT, "buffer and address required");
  *address = buffer->device;
  return RK_SUCCESS;
}

// With a NULL stream: host-visible memory is a plain memcpy (no driver round trip, and no
// waiting for a running kernel); DEVICE memory a synchronous cuMemcpy.
rk_result copy_to_device(rk_backend_stream stream, rk_backend_buffer dst, size_t offset, const void* src, size_t bytes) {
  if (dst == nullptr || (src == nullptr && bytes > 0)) return fail(RK_ERROR_INVALID_ARGUMENT, "dst and src required");
  if (rk_result r = check_range(dst, offset, bytes); r != RK_SUCCESS) return r;
  if (bytes == 0) return RK_SUCCESS;
  if (stream == nullptr && dst->host != nullptr) {
    std::memcpy(static_cast<char*>(dst->host) + offset, src, bytes);
    return RK_SUCCESS;
  }
  if (rk_result r = bind(dst->context); r != RK_SUCCESS) return r;
  CUresult status = stream ? cu().cuMemcpyHtoDAsync(dst->device + offset, src, bytes, stream->stream)
                           : cu().cuMemcpyHtoD(dst->device + offset, src, bytes);
  return status == CUDA_SUCCESS ? RK_SUCCESS : fail_cu(RK_ERROR_INTERNAL, "cuMemcpyHtoD", status);
}

rk_result copy_to_host(rk_backend_stream stream, void* dst, rk_backend_buffer src, size_t offset, size_t bytes) {
  if (src == nullptr || (dst == nullptr && bytes > 0)) return fail(RK_ERROR_INVALID_ARGUMENT, "dst and src required");
  if (rk_result r = check_range(src, offset, bytes); r != RK_SUCCESS) return r;
  if (bytes == 0) return RK_SUCCESS;
  if (stream == nullptr && src->host != nullptr) {
    std::memcpy(dst, static_cast<const char*>(src->host) + offset, bytes);
    return RK_SUCCESS;
  }
  if (rk_result r = bind(src->context); r != RK_SUCCESS) return r;
  CUresult status = stream ? cu().cuMemcpyDtoHAsync(dst, src->device + offset, bytes, stream->stream)
                           : cu().cuMemcpyDtoH(dst, src->device + offset, bytes);
  return status == CUDA_SUCCESS ? RK_SUCCESS : fail_cu(RK_ERROR_INTERNAL, "cuMemcpyDtoH", status);
}

}  // namespace rk::cuda
