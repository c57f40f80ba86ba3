// opencl memory: HOST_MAPPED and SHARED are fine-grained SVM with SVM atomics, where the
// device address is the host pointer — what the ring runtime needs to share queues with a
// running kernel. DEVICE is coarse-grained SVM where the device has SVM (OpenCL 2.0+): the
// host reaches it by copies only, but it has a fixed device address, so pointers may live
// inside it (the relaunch-copy mode's ring blocks, core/runtime/copy_mode.hpp); a cl_mem
// on devices without SVM.
#include <cstring>

#include "opencl.hpp"

namespace rk::opencl {
namespace {

constexpr size_t kAlignment = 128;  // a cache line, like a GPU allocation

rk_result check_range(rk_backend_buffer buffer, size_t offset, size_t bytes) {
  if (buffer == nullptr) return fail(RK_ERROR_INVALID_ARGUMENT, "buffer is NULL");
  if (offset > buffer->bytes || bytes > buffer->bytes - offset)
    return fail(RK_ERROR_INVALID_ARGUMENT, "copy range outside the buffer");
  return RK_SUCCESS;
}

rk_result alloc_device(rk_backend_context c, size_t bytes, rk_backend_buffer_s& out) {
  cl_int status = CL_SUCCESS;
  out.mem = cl().clCreateBuffer(c->context, CL_MEM_READ_WRITE, bytes, nullptr, &status);
  if (out.mem == nullptr)
    return fail(RK_ERROR_OUT_OF_MEMORY, "opencl: clCreateBuffer of " + std::to_string(bytes) + " bytes: " + cl_error_name(status));
  const cl_uchar zero = 0;  // zeroed like every other backend's memory
  status = cl().clEnqueueFillBuffer(c->copy_queue, out.mem, &zero, sizeof(zero), 0, bytes, 0, nullptr, nullptr);
  if (status == CL_SUCCESS) status = cl().clFinish(c->copy_queue);
  if (status != CL_SUCCESS) {
    cl().clReleaseMemObject(out.mem);
    return fail(RK_ERROR_OUT_OF_MEMORY, "opencl: clearing a new buffer: " + cl_error_name(status));
  }
  return RK_SUCCESS;
}

// Coarse-grained: the host touches it only through clEnqueueSVM* commands (never while a
// kernel that uses it runs; the runtime's steps see to that).
rk_result alloc_coarse_svm(rk_backend_context c, size_t bytes, rk_backend_buffer_s& out) {
  size_t rounded = (bytes + kAlignment - 1) / kAlignment * kAlignment;
  out.svm = cl().clSVMAlloc(c->context, CL_MEM_READ_WRITE, rounded, kAlignment);
  if (out.svm == nullptr) return fail(RK_ERROR_OUT_OF_MEMORY, "opencl: clSVMAlloc of " + std::to_string(bytes) + " bytes failed");
  out.coarse = true;
  const cl_uchar zero = 0;  // zeroed like every other backend's memory
  cl_int status = cl().clEnqueueSVMMemFill(c->copy_queue, out.svm, &zero, sizeof(zero), rounded, 0, nullptr, nullptr);
  if (status == CL_SUCCESS) status = cl().clFinish(c->copy_queue);
  if (status != CL_SUCCESS) {
    cl().clSVMFree(c->context, out.svm);
    return fail(RK_ERROR_OUT_OF_MEMORY, "opencl: clearing a new buffer: " + cl_error_name(status));
  }
  c->svm.add(out.svm);  // kernels reach it through pointers stored in other buffers
  return RK_SUCCESS;
}

rk_result alloc_svm(rk_backend_context c, size_t bytes, rk_backend_buffer_s& out) {
  if (!c->device->fine_grain_svm)
    return fail(RK_ERROR_UNSUPPORTED, std::string("opencl: device '") + c->device->info.name +
                                          "' has no fine-grained SVM buffers with SVM atomics; host-mapped and shared "
                                          "memory (and so ring kernels) need them (OpenCL 2.0+)");
  size_t rounded = (bytes + kAlignment - 1) / kAlignment * kAlignment;
  out.svm = cl().clSVMAlloc(c->context, CL_MEM_READ_WRITE | CL_MEM_SVM_FINE_GRAIN_BUFFER | CL_MEM_SVM_ATOMICS, rounded,
                            kAlignment);
  if (out.svm == nullptr) return fail(RK_ERROR_OUT_OF_MEMORY, "opencl: clSVMAlloc of " + std::to_string(bytes) + " bytes failed");
  std::memset(out.svm, 0, rounded);  // fine-grained: the host writes it directly
  c->svm.add(out.svm);
  return RK_SUCCESS;
}

rk_result enqueue_failed(cl_int status, const char* what) {
  return fail(RK_ERROR_INVALID_ARGUMENT, std::string("opencl: ") + what + ": " + cl_error_name(status));
}

// Stream-ordered copies become the stream's newest command.
rk_result submitted(rk_backend_stream stream, cl_int status, cl_event done, const char* what) {
  if (status != CL_SUCCESS) return enqueue_failed(status, what);
  remember_and_flush(stream, done);
  return RK_SUCCESS;
}

rk_result copy_svm(rk_backend_context context, rk_backend_stream stream, bool coarse, void* target, const void* src,
                   size_t bytes) {
  if (stream == nullptr && !coarse) {  // fine-grained: the host reads and writes it directly
    std::memcpy(target, src, bytes);
    return RK_SUCCESS;
  }
  if (stream == nullptr) {
    cl_int status = cl().clEnqueueSVMMemcpy(context->copy_queue, CL_TRUE, target, src, bytes, 0, nullptr, nullptr);
    return status == CL_SUCCESS ? RK_SUCCESS : enqueue_failed(status, "clEnqueueSVMMemcpy");
  }
  cl_event done = nullptr;
  cl_int status = cl().clEnqueueSVMMemcpy(stream->queue, CL_FALSE, target, src, bytes, 0, nullptr, &done);
  return submitted(stream, status, done, "clEnqueueSVMMemcpy");
}

rk_result write_mem(rk_backend_stream stream, rk_backend_buffer dst, size_t offset, const void* src, size_t bytes) {
  if (stream == nullptr) {
    cl_command_queue queue = dst->context->copy_queue;
    cl_int status = cl().clEnqueueWriteBuffer(queue, dst->mem, CL_TRUE, offset, bytes, src, 0, nullptr, nullptr);
    return status == CL_SUCCESS ? RK_SUCCESS : enqueue_failed(status, "clEnqueueWriteBuffer");
  }
  cl_event done = nullptr;
  cl_int status = cl().clEnqueueWriteBuffer(stream->queue, dst->mem, CL_FALSE, offset, bytes, src, 0, nullptr, &done);
  return submitted(stream, status, done, "clEnqueueWriteBuffer");
}

rk_result read_mem(rk_backend_stream stream, void* dst, rk_backend_buffer src, size_t offset, size_t bytes) {
  if (stream == nullptr) {
    cl_command_queue queue = src->context->copy_queue;
    cl_int status = cl().clEnqueueReadBuffer(queue, src->mem, CL_TRUE, offset, bytes, dst, 0, nullptr, nullptr);
    return status == CL_SUCCESS ? RK_SUCCESS : enqueue_failed(status, "clEnqueueReadBuffer");
  }
  cl_event done = nullptr;
  cl_int status = cl().clEnqueueReadBuffer(stream->queue, src->mem, CL_FALSE, offset, bytes, dst, 0, nullptr, &done);
  return submitted(stream, status, done, "clEnqueueReadBuffer");
}

}  // namespace

rk_result buffer_alloc(rk_backend_context context, size_t bytes, rk_memory_kind kind, rk_backend_buffer* buffer) {
  if (context == nullptr || buffer == nullptr || bytes == 0)
    return fail(RK_ERROR_INVALID_ARGUMENT, "need a context, a buffer out-pointer and bytes > 0");
  if (kind < RK_MEMORY_DEVICE || kind > RK_MEMORY_SHARED) return fail(RK_ERROR_INVALID_ARGUMENT, "unknown memory kind");
  rk_backend_buffer_s created{context, bytes, kind, nullptr, nullptr};
  rk_result r = kind != RK_MEMORY_DEVICE      ? alloc_svm(context, bytes, created)
                : context->device->coarse_svm ? alloc_coarse_svm(context, bytes, created)
                                              : alloc_device(context, bytes, created);
  if (r != RK_SUCCESS) return r;
  *buffer = new rk_backend_buffer_s(created);
  return RK_SUCCESS;
}

rk_result buffer_free(rk_backend_buffer buffer) {
  if (buffer == nullptr) return RK_SUCCESS;
  if (buffer->mem) cl().clReleaseMemObject(buffer->mem);
  if (buffer->svm) {
    buffer->context->svm.remove(buffer->svm);
    cl().clSVMFree(buffer->context->context, buffer->svm);
  }
  delete buffer;
  return RK_SUCCESS;
}

rk_result buffer_map(rk_backend_buffer buffer, void** host_pointer) {
  if (buffer == nullptr || host_pointer == nullptr) return fail(RK_ERROR_INVALID_ARGUMENT, "buffer or out-pointer is NULL");
  if (buffer->svm == nullptr || buffer->coarse)
    return fail(RK_ERROR_UNSUPPORTED, "opencl: device memory cannot be mapped (no RK_CAP_DEVICE_MEMORY_MAP); copy it, or "
                                      "allocate host-mapped or shared memory");
  *host_pointer = buffer->svm;
  return RK_SUCCESS;
}

rk_result buffer_device_address(rk_backend_buffer buffer, uint64_t* address) {
  if (buffer == nullptr || address == nullptr) return fail(RK_ERROR_INVALID_ARGUMENT, "buffer or out-pointer is NULL");
  if (buffer->svm == nullptr)
    return fail(RK_ERROR_UNSUPPORTED, "opencl: a cl_mem buffer has no fixed device address; pass it as a buffer argument, "
                                      "or allocate host-mapped or shared (SVM) memory");
  *address = reinterpret_cast<uintptr_t>(buffer->svm);
  return RK_SUCCESS;
}

rk_result copy_to_device(rk_backend_stream stream, rk_backend_buffer dst, size_t offset, const void* src, size_t bytes) {
  if (rk_result r = check_range(dst, offset, bytes); r != RK_SUCCESS) return r;
  if (src == nullptr && bytes > 0) return fail(RK_ERROR_INVALID_ARGUMENT, "source pointer is NULL");
  if (bytes == 0) return RK_SUCCESS;
  if (dst->svm) return copy_svm(dst->context, stream, dst->coarse, static_cast<uint8_t*>(dst->svm) + offset, src, bytes);
  return write_mem(stream, dst, offset, src, bytes);
}

rk_result copy_to_host(rk_backend_stream stream, void* dst, rk_backend_buffer src, size_t offset, size_t bytes) {
  if (rk_result r = check_range(src, offset, bytes); r != RK_SUCCESS) return r;
  if (dst == nullptr && bytes > 0) return fail(RK_ERROR_INVALID_ARGUMENT, "destination pointer is NULL");
  if (bytes == 0) return RK_SUCCESS;
  if (src->svm) return copy_svm(src->context, stream, src->coarse, dst, static_cast<const uint8_t*>(src->svm) + offset, bytes);
  return read_mem(stream, dst, src, offset, bytes);
}

}  // namespace rk::opencl
