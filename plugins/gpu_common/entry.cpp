// The backend table every driver-style GPU plugin hands out, and what its entry checks.
#include "gpu_common/gpu.hpp"

namespace rk::gpu {
namespace {

rk_backend_table make_table() {
  return {
      sizeof(rk_backend_table), RK_PLUGIN_ABI_MAJOR, RK_PLUGIN_ABI_MINOR, 0, kBackend.name, kBackend.caps,
      probe, get_device_info, last_error,
      context_create, context_destroy,
      stream_create, stream_destroy, stream_synchronize, stream_query,
      buffer_alloc, buffer_free, buffer_map, buffer_device_address, copy_to_device, copy_to_host,
      module_compile, module_destroy, function_get, launch,
  };
}

}  // namespace

bool succeeded(Status status) { return status == kBackend.status.success; }

std::string prefixed(const std::string& text) { return std::string(kBackend.name) + ": " + text; }

rk_result fail_status(rk_result code, const std::string& what, Status status) {
  return fail(code, prefixed(what + ": " + kBackend.error_name(status)));
}

rk_result bind(rk_backend_context context) {
  Status status = api().context_set_current(context->context);
  return succeeded(status) ? RK_SUCCESS : fail_status(RK_ERROR_INTERNAL, "setting the current context", status);
}

rk_result enter(const rk_host_services* host, const rk_backend_table** table, rk_text_out* error) {
  if (host == nullptr || table == nullptr) return RK_ERROR_INVALID_ARGUMENT;
  if (host->core_abi_major != RK_PLUGIN_ABI_MAJOR) {
    write_text(error, std::string(kBackend.name) + " is built for plugin ABI " + std::to_string(RK_PLUGIN_ABI_MAJOR) +
                          ", the core speaks " + std::to_string(host->core_abi_major));
    return RK_ERROR_ABI_MISMATCH;
  }
  // An older core's shorter services struct may lack the log callback: then stay quiet.
  if (RK_TABLE_HAS(host, rk_host_services, log)) rk::plugin_common::set_host(host);
  static const rk_backend_table kTable = make_table();
  *table = &kTable;
  return RK_SUCCESS;
}

}  // namespace rk::gpu
