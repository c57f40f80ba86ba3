// The level_zero plugin's one exported symbol and its backend table.
#include "level_zero.hpp"

namespace rk::level_zero {
namespace {

// What the backend can offer at all; each device says what it has (devices.cpp).
constexpr uint64_t kCaps = RK_CAP_PERSISTENT_KERNELS | RK_CAP_HOST_COHERENT | RK_CAP_K2K | RK_CAP_ASYNC_COPY |
                           RK_CAP_COOPERATIVE_LAUNCH;

const rk_backend_table kTable = {
    sizeof(rk_backend_table), RK_PLUGIN_ABI_MAJOR, RK_PLUGIN_ABI_MINOR, 0, "level_zero", kCaps,
    probe, get_device_info, last_error,
    context_create, context_destroy,
    stream_create, stream_destroy, stream_synchronize, stream_query,
    buffer_alloc, buffer_free, buffer_map, buffer_device_address, copy_to_device, copy_to_host,
    module_compile, module_destroy, function_get, launch,
};

}  // namespace
}  // namespace rk::level_zero

extern "C" RK_PLUGIN_EXPORT rk_result rk_plugin_entry(const rk_host_services* host, const rk_backend_table** table,
                                                      rk_text_out* error) {
  if (host == nullptr || table == nullptr) return RK_ERROR_INVALID_ARGUMENT;
  if (host->core_abi_major != RK_PLUGIN_ABI_MAJOR) {
    rk::level_zero::write_text(error, "level_zero is built for plugin ABI " + std::to_string(RK_PLUGIN_ABI_MAJOR) +
                                          ", the core speaks " + std::to_string(host->core_abi_major));
    return RK_ERROR_ABI_MISMATCH;
  }
  rk::level_zero::set_host(host);  // an older core's services without `log`: quiet
  *table = &rk::level_zero::kTable;
  return RK_SUCCESS;
}
