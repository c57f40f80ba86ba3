/* A template for a third-party backend: one device, found by probe(), described by
 * get_device_info(). It fills only the entries every 1.0 table must have (name, probe,
 * get_device_info, last_error); the others stay NULL and the core answers
 * RK_ERROR_UNSUPPORTED for them. A real backend fills the rest from rk_plugin.h and copies
 * the shape of plugins/cpu_sim (docs/writing-a-backend.md). */
#include <ringkernel/rk_plugin.h>

#include <stdio.h>
#include <string.h>

static _Thread_local char last_error_text[256];
static const rk_host_services* host;

static rk_result refuse(rk_result code, const char* why) {
  snprintf(last_error_text, sizeof(last_error_text), "example: %s", why);
  return code;
}

static const char* last_error(void) { return last_error_text; }

/* Where a real backend dlopens its vendor library: a missing driver is 0 devices and a
 * reason in last_error(), never a failure to load. */
static rk_result probe(uint32_t* device_count) {
  if (device_count == NULL) return refuse(RK_ERROR_INVALID_ARGUMENT, "device_count is NULL");
  *device_count = 1;
  return RK_SUCCESS;
}

/* The 1.0 rule for structs that grow: fill at most the caller's struct_size. */
static rk_result get_device_info(uint32_t device, rk_device_info* info) {
  rk_device_info out;
  size_t bytes;
  if (info == NULL) return refuse(RK_ERROR_INVALID_ARGUMENT, "info is NULL");
  if (device != 0) return refuse(RK_ERROR_INVALID_ARGUMENT, "only device 0 exists");
  memset(&out, 0, sizeof(out));
  snprintf(out.name, sizeof(out.name), "example device");
  snprintf(out.vendor, sizeof(out.vendor), "ringkernel examples");
  out.global_memory_bytes = 1u << 20;
  out.max_block_size = 1;
  out.compute_units = 1;
  bytes = info->struct_size != 0 && info->struct_size < sizeof(out) ? info->struct_size : sizeof(out);
  out.struct_size = (uint32_t)bytes;
  memcpy(info, &out, bytes);
  return RK_SUCCESS;
}

static rk_backend_table table;

/* The one exported symbol (the SDK's version script hides everything else). */
RK_PLUGIN_EXPORT rk_result rk_plugin_entry(const rk_host_services* services, const rk_backend_table** out,
                                           rk_text_out* error) {
  (void)error;
  if (services == NULL || out == NULL) return RK_ERROR_INVALID_ARGUMENT;
  if (services->core_abi_major != RK_PLUGIN_ABI_MAJOR) return RK_ERROR_ABI_MISMATCH;
  host = services;
  memset(&table, 0, sizeof(table));
  table.struct_size = (uint32_t)sizeof(table);
  table.abi_major = RK_PLUGIN_ABI_MAJOR;
  table.abi_minor = RK_PLUGIN_ABI_MINOR;
  table.name = "example";
  table.caps = 0;
  table.probe = probe;
  table.get_device_info = get_device_info;
  table.last_error = last_error;
  if (RK_TABLE_HAS(host, rk_host_services, log) && host->log != NULL) { /* an older core may lack it */
    static const char hello[] = "example backend loaded";
    host->log(host->user, RK_LOG_LEVEL_INFO, hello, sizeof(hello) - 1);
  }
  *out = &table;
  return RK_SUCCESS;
}
