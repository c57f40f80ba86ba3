/* A minimal out-of-tree backend plugin, compiled against the 0.1.0 headers only
 * (tests/abi/compat/v0_1): one device whose "device memory" is host memory. It fills the
 * 1.0 table up to the copy entries and leaves compile/launch NULL, as a third party's
 * first plugin might. The current core must load it and drive it unchanged. */
#include <ringkernel/rk_plugin.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(__GNUC__)
#define COMPAT_EXPORT __attribute__((visibility("default")))
#else
#define COMPAT_EXPORT
#endif

static __thread char last_error_text[256];
static int the_context;
static int the_stream;

struct rk_backend_buffer_s {
  size_t size;
  unsigned char* data;
};

static rk_result refuse(rk_result code, const char* why) {
  snprintf(last_error_text, sizeof(last_error_text), "compat_v0_1: %s", why);
  return code;
}
static const char* last_error(void) { return last_error_text; }

static rk_result probe(uint32_t* device_count) {
  *device_count = 1;
  return RK_SUCCESS;
}

/* The 1.0 rule: fill at most the caller's struct_size (0 means the 1.0 size). */
static rk_result get_device_info(uint32_t device, rk_device_info* info) {
  rk_device_info out;
  size_t bytes;
  if (device != 0) return refuse(RK_ERROR_INVALID_ARGUMENT, "only device 0 exists");
  memset(&out, 0, sizeof(out));
  out.struct_size = sizeof(out);
  snprintf(out.name, sizeof(out.name), "compat host memory");
  snprintf(out.vendor, sizeof(out.vendor), "ringkernel tests");
  out.global_memory_bytes = 1u << 20;
  out.max_block_size = 1;
  out.compute_units = 1;
  bytes = info->struct_size != 0 && info->struct_size < sizeof(out) ? info->struct_size : sizeof(out);
  out.struct_size = (uint32_t)bytes;
  memcpy(info, &out, bytes);
  return RK_SUCCESS;
}

static rk_result context_create(uint32_t device, rk_backend_context* context) {
  if (device != 0) return refuse(RK_ERROR_INVALID_ARGUMENT, "only device 0 exists");
  *context = (rk_backend_context)(void*)&the_context;
  return RK_SUCCESS;
}
static rk_result context_destroy(rk_backend_context context) { (void)context; return RK_SUCCESS; }
static rk_result stream_create(rk_backend_context context, rk_backend_stream* stream) {
  (void)context;
  *stream = (rk_backend_stream)(void*)&the_stream;
  return RK_SUCCESS;
}
static rk_result stream_destroy(rk_backend_stream stream) { (void)stream; return RK_SUCCESS; }
static rk_result stream_synchronize(rk_backend_stream stream) { (void)stream; return RK_SUCCESS; }
static rk_result stream_query(rk_backend_stream stream) { (void)stream; return RK_SUCCESS; }

static rk_result buffer_alloc(rk_backend_context context, size_t bytes, rk_memory_kind kind, rk_backend_buffer* buffer) {
  rk_backend_buffer created = (rk_backend_buffer)calloc(1, sizeof(*created));
  (void)context;
  (void)kind;
  if (created == NULL || (created->data = (unsigned char*)calloc(1, bytes ? bytes : 1)) == NULL) {
    free(created);
    return refuse(RK_ERROR_OUT_OF_MEMORY, "no memory");
  }
  created->size = bytes;
  *buffer = created;
  return RK_SUCCESS;
}
static rk_result buffer_free(rk_backend_buffer buffer) {
  if (buffer) free(buffer->data);
  free(buffer);
  return RK_SUCCESS;
}
static rk_result buffer_map(rk_backend_buffer buffer, void** host_pointer) {
  *host_pointer = buffer->data;
  return RK_SUCCESS;
}
static rk_result buffer_device_address(rk_backend_buffer buffer, uint64_t* address) {
  *address = (uint64_t)(uintptr_t)buffer->data;
  return RK_SUCCESS;
}
static rk_result copy_to_device(rk_backend_stream stream, rk_backend_buffer dst, size_t offset, const void* src,
                                size_t bytes) {
  (void)stream;
  if (offset + bytes > dst->size) return refuse(RK_ERROR_INVALID_ARGUMENT, "copy past the buffer's end");
  memcpy(dst->data + offset, src, bytes);
  return RK_SUCCESS;
}
static rk_result copy_to_host(rk_backend_stream stream, void* dst, rk_backend_buffer src, size_t offset, size_t bytes) {
  (void)stream;
  if (offset + bytes > src->size) return refuse(RK_ERROR_INVALID_ARGUMENT, "copy past the buffer's end");
  memcpy(dst, src->data + offset, bytes);
  return RK_SUCCESS;
}

/* The table ends after copy_to_host: compile and launch are beyond struct_size. */
static rk_backend_table table;

COMPAT_EXPORT rk_result rk_plugin_entry(const rk_host_services* host, const rk_backend_table** out, rk_text_out* error) {
  (void)error;
  if (host->core_abi_major != RK_PLUGIN_ABI_MAJOR) return RK_ERROR_ABI_MISMATCH;
  memset(&table, 0, sizeof(table));
  table.struct_size = (uint32_t)(offsetof(rk_backend_table, copy_to_host) + sizeof(table.copy_to_host));
  table.abi_major = RK_PLUGIN_ABI_MAJOR;
  table.abi_minor = 0;
  table.name = "compat_v0_1";
  table.caps = 0;
  table.probe = probe;
  table.get_device_info = get_device_info;
  table.last_error = last_error;
  table.context_create = context_create;
  table.context_destroy = context_destroy;
  table.stream_create = stream_create;
  table.stream_destroy = stream_destroy;
  table.stream_synchronize = stream_synchronize;
  table.stream_query = stream_query;
  table.buffer_alloc = buffer_alloc;
  table.buffer_free = buffer_free;
  table.buffer_map = buffer_map;
  table.buffer_device_address = buffer_device_address;
  table.copy_to_device = copy_to_device;
  table.copy_to_host = copy_to_host;
  *out = &table;
  return RK_SUCCESS;
}
