// Buffers: DEVICE = device memory (copies only); HOST_MAPPED = pinned, device-mapped host
// memory, which ring kernels poll while the host writes it; SHARED = managed memory. All
// zeroed, like every other backend's.
#include <cinttypes>
#include <cstring>

#include "gpu_common/gpu.hpp"

namespace rk::gpu {
namespace {

// memset_d8 and a synchronous copy run on the NULL stream and may return before the device
// has done them; our streams are non-blocking, so nothing orders them before the next
// launch. Waiting for the NULL stream alone orders them and never waits on a ring kernel.
rk_result finish_null_stream(const char* what) {
  Status status = api().stream_synchronize(nullptr);
  return succeeded(status) ? RK_SUCCESS : fail_status(RK_ERROR_INTERNAL, what, status);
}

rk_result alloc_device(rk_backend_buffer b) {
  Status status = api().mem_alloc(&b->device, b->bytes);
  if (!succeeded(status)) return fail_status(RK_ERROR_OUT_OF_MEMORY, "allocating device memory", status);
  status = api().memset_d8(b->device, 0, b->bytes);
  if (!succeeded(status)) return fail_status(RK_ERROR_INTERNAL, "zeroing device memory", status);
  return finish_null_stream("zeroing device memory");
}

// Under unified addressing the device pointer equals the host pointer; the ring runtime
// stores host addresses in the ring env, so a mismatch would break ring kernels: say so.
rk_result alloc_host_mapped(rk_backend_buffer b) {
  if (!b->context->device->host_mapped)
    return fail(RK_ERROR_UNSUPPORTED, prefixed("HOST_MAPPED needs host memory mapping and unified addressing"));
  Status status = api().host_alloc(&b->host, b->bytes, kBackend.constants.host_alloc_flags);
  if (!succeeded(status)) return fail_status(RK_ERROR_OUT_OF_MEMORY, "allocating mapped host memory", status);
  std::memset(b->host, 0, b->bytes);
  status = api().host_device_pointer(&b->device, b->host, 0);
  if (!succeeded(status)) return fail_status(RK_ERROR_INTERNAL, "getting the device address of host memory", status);
  if (b->device != reinterpret_cast<uintptr_t>(b->host))
    log(RK_LOG_LEVEL_WARN, prefixed("HOST_MAPPED device address differs from the host address (no unified "
                                    "addressing?): ring kernels will not work on this device"));
  return RK_SUCCESS;
}

rk_result alloc_shared(rk_backend_buffer b) {
  if (!b->context->device->managed) return fail(RK_ERROR_UNSUPPORTED, prefixed("the device has no managed memory"));
  Status status = api().managed_alloc(&b->device, b->bytes, kBackend.constants.managed_attach_global);
  if (!succeeded(status)) return fail_status(RK_ERROR_OUT_OF_MEMORY, "allocating managed memory", status);
  b->host = reinterpret_cast<void*>(static_cast<uintptr_t>(b->device));
  status = api().memset_d8(b->device, 0, b->bytes);
  if (!succeeded(status)) return fail_status(RK_ERROR_INTERNAL, "zeroing managed memory", status);
  return finish_null_stream("zeroing managed memory");
}

// What freeing the buffer's memory takes, as a call that outlives the handle (it may be
// parked until no kernel runs: deferred_release.cpp).
std::function<void()> release_of(rk_backend_buffer b) {
  if (b->kind == RK_MEMORY_HOST_MAPPED) {
    void* host = b->host;
    return [host] {
      if (host) api().host_free(host);
    };
  }
  DevicePtr device = b->device;
  return [device] {
    if (device) api().mem_free(device);
  };
}

rk_result check_range(rk_backend_buffer b, size_t offset, size_t bytes) {
  if (offset > b->bytes || bytes > b->bytes - offset)
    return fail(RK_ERROR_INVALID_ARGUMENT, prefixed("copy of " + std::to_string(bytes) + " bytes at offset " +
                                                    std::to_string(offset) + " passes the buffer's " +
                                                    std::to_string(b->bytes) + " bytes"));
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
                                                : fail(RK_ERROR_INVALID_ARGUMENT, prefixed("unknown memory kind"));
  if (r != RK_SUCCESS) {
    release_of(b.get())();  // what was allocated before the failure; nothing has used it
    return r;
  }
  *buffer = b.release();
  return RK_SUCCESS;
}

rk_result buffer_free(rk_backend_buffer buffer) {
  if (buffer == nullptr) return RK_SUCCESS;
  if (rk_result r = bind(buffer->context); r != RK_SUCCESS) return r;
  release_when_idle(buffer->context, release_of(buffer));
  delete buffer;
  return RK_SUCCESS;
}

rk_result buffer_map(rk_backend_buffer buffer, void** host_pointer) {
  if (buffer == nullptr || host_pointer == nullptr) return fail(RK_ERROR_INVALID_ARGUMENT, "buffer and pointer required");
  if (buffer->host == nullptr) return fail(RK_ERROR_UNSUPPORTED, prefixed("DEVICE memory cannot be mapped into the host"));
  *host_pointer = buffer->host;
  return RK_SUCCESS;
}

rk_result buffer_device_address(rk_backend_buffer buffer, uint64_t* address) {
  if (buffer == nullptr || address == nullptr) return fail(RK_ERROR_INVALID_ARGUMENT, "buffer and address required");
  *address = buffer->device;
  return RK_SUCCESS;
}

// With a NULL stream: host-visible memory is a plain memcpy (no driver round trip, and no
// waiting for a running kernel); DEVICE memory a synchronous driver copy.
rk_result copy_to_device(rk_backend_stream stream, rk_backend_buffer dst, size_t offset, const void* src, size_t bytes) {
  if (dst == nullptr || (src == nullptr && bytes > 0)) return fail(RK_ERROR_INVALID_ARGUMENT, "dst and src required");
  if (rk_result r = check_range(dst, offset, bytes); r != RK_SUCCESS) return r;
  if (bytes == 0) return RK_SUCCESS;
  if (stream == nullptr && dst->host != nullptr) {
    std::memcpy(static_cast<char*>(dst->host) + offset, src, bytes);
    return RK_SUCCESS;
  }
  if (rk_result r = bind(dst->context); r != RK_SUCCESS) return r;
  Status status = stream ? api().copy_htod_async(dst->device + offset, src, bytes, stream->stream)
                         : api().copy_htod(dst->device + offset, src, bytes);
  if (!succeeded(status)) return fail_status(RK_ERROR_INTERNAL, "copying to the device", status);
  return stream ? RK_SUCCESS : finish_null_stream("copying to the device");
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
  Status status = stream ? api().copy_dtoh_async(dst, src->device + offset, bytes, stream->stream)
                         : api().copy_dtoh(dst, src->device + offset, bytes);
  return succeeded(status) ? RK_SUCCESS : fail_status(RK_ERROR_INTERNAL, "copying to the host", status);
}

}  // namespace rk::gpu
