// The cuda plugin's one exported symbol and its backend table.
#include "cuda.hpp"

namespace rk::cuda {
namespace {

// What the backend can offer at all; each device says what it has (devices.cpp). No
// DEVICE_MEMORY_MAP: cuMemAlloc memory cannot be mapped into the host, and the conformance
// suite holds a device with that cap to mapping DEVICE buffers.
constexpr uint64_t kCaps = RK_CAP_PERSISTENT_KERNELS | RK_CAP_HOST_COHERENT | RK_CAP_K2K | RK_CAP_ASYNC_COPY |
                           RK_CAP_COOPERATIVE_LAUNCH;

const rk_backend_table kTable = {
    sizeof(rk_backend_table), RK_PLUGIN_ABI_MAJOR, RK_PLUGIN_ABI_MINOR, 0, "cuda", kCaps,
    probe, get_device_info, last_error,
    context_create, context_destroy,
    stream_create, stream_destroy, stream_synchronize, stream_query,
    buffer_alloc, buffer_free, buffer_map, buffer_device_address, copy_to_device, copy_to_host,
    module_compile, module_destroy, function_get, launch,
};

}  // namespace

rk_result fail_cu(rk_result code, const std::string& what, CUresult status) {
  return fail(code, "cuda: " + what + ": " + cu_error_name(status));
}

rk_result bind(rk_backend_context context) {
  CUresult status = cu().cuCtxSetCurrent(context->context);
  return status == CUDA_SUCCESS ? RK_SUCCESS : fail_cu(RK_ERROR_INTERNAL, "cuCtxSetCurrent", status);
}

}  // namespace rk::cuda

extern "C" RK_PLUGIN_EXPORT rk_result rk_plugin_entry(const rk_host_services* host, const rk_backend_table** table,
                                                      rk_text_out* error) {
  if (host == nullptr || table == nullptr) return RK_ERROR_INVALID_ARGUMENT;
  if (host->core_abi_major != RK_PLUGIN_ABI_MAJOR) {
    rk::cuda::write_text(error, "cuda is built for plugin ABI " + std::to_string(RK_PLUGIN_ABI_MAJOR) +
                                    ", the core speaks " + std::to_string(host->core_abi_major));
    return RK_ERROR_ABI_MISMATCH;
  }
  // An older core's shorter services struct may lack the log callback: then stay quiet.
  if (RK_TABLE_HAS(host, rk_host_services, log)) rk::cuda::set_host(host);
  *table = &rk::cuda::kTable;
  return RK_SUCCESS;
}
