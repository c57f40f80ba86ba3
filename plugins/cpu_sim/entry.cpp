// cpu_sim's one exported symbol, its backend table, and its single device.
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstring>
#include <thread>

#include "cpu_sim.hpp"

namespace rk::cpu_sim {
namespace {

constexpr uint64_t kCaps = RK_CAP_PERSISTENT_KERNELS | RK_CAP_HOST_COHERENT | RK_CAP_K2K | RK_CAP_ASYNC_COPY |
                           RK_CAP_COOPERATIVE_LAUNCH | RK_CAP_DEVICE_MEMORY_MAP | RK_CAP_HOST_WAKEUP;

rk_result probe(uint32_t* device_count) {
  if (device_count == nullptr) return fail(RK_ERROR_INVALID_ARGUMENT, "device_count is NULL");
  *device_count = 1;
  return RK_SUCCESS;
}

rk_result get_device_info(uint32_t device, rk_device_info* info) {
  if (info == nullptr || device != 0) return fail(RK_ERROR_INVALID_ARGUMENT, "cpu_sim has exactly one device (0)");
  unsigned threads = std::max(1u, std::thread::hardware_concurrency());
  rk_device_info out{};
  out.struct_size = sizeof(out);
  out.index = 0;
  std::snprintf(out.name, sizeof(out.name), "cpu_sim (%u host threads)", threads);
  std::snprintf(out.vendor, sizeof(out.vendor), "ringkernel");
  std::snprintf(out.driver_version, sizeof(out.driver_version), "host C++ compiler");
  out.global_memory_bytes = uint64_t(sysconf(_SC_PHYS_PAGES)) * uint64_t(sysconf(_SC_PAGE_SIZE));
  out.caps = kCaps;
  out.compute_units = threads;
  out.max_block_size = 1024;
  out.max_shared_memory_bytes = kMaxDynamicSharedBytes;
  std::memcpy(info, &out, std::min<size_t>(sizeof(out), info->struct_size ? info->struct_size : sizeof(out)));
  return RK_SUCCESS;
}

rk_result context_create(uint32_t device, rk_backend_context* context) {
  if (context == nullptr || device != 0) return fail(RK_ERROR_INVALID_ARGUMENT, "cpu_sim has exactly one device (0)");
  *context = new rk_backend_context_s{device};
  return RK_SUCCESS;
}

rk_result context_destroy(rk_backend_context context) {
  delete context;
  return RK_SUCCESS;
}

const rk_backend_table kTable = {
    .struct_size = sizeof(rk_backend_table),
    .abi_major = RK_PLUGIN_ABI_MAJOR,
    .abi_minor = RK_PLUGIN_ABI_MINOR,
    .reserved0 = 0,
    .name = "cpu_sim",
    .caps = kCaps,
    .probe = probe,
    .get_device_info = get_device_info,
    .last_error = last_error,
    .context_create = context_create,
    .context_destroy = context_destroy,
    .stream_create = stream_create,
    .stream_destroy = stream_destroy,
    .stream_synchronize = stream_synchronize,
    .stream_query = stream_query,
    .buffer_alloc = buffer_alloc,
    .buffer_free = buffer_free,
    .buffer_map = buffer_map,
    .buffer_device_address = buffer_device_address,
    .copy_to_device = copy_to_device,
    .copy_to_host = copy_to_host,
    .module_compile = module_compile,
    .module_destroy = module_destroy,
    .function_get = function_get,
    .launch = launch,
};

}  // namespace

}  // namespace rk::cpu_sim

extern "C" RK_PLUGIN_EXPORT rk_result rk_plugin_entry(const rk_host_services* host, const rk_backend_table** table,
                                                      rk_text_out* error) {
  if (host == nullptr || table == nullptr) return RK_ERROR_INVALID_ARGUMENT;
  if (host->core_abi_major != RK_PLUGIN_ABI_MAJOR) {
    rk::cpu_sim::write_text(error, "cpu_sim is built for plugin ABI " + std::to_string(RK_PLUGIN_ABI_MAJOR) +
                                       ", the core speaks " + std::to_string(host->core_abi_major));
    return RK_ERROR_ABI_MISMATCH;
  }
  // An older core's shorter services struct may lack the log callback: then stay quiet.
  if (RK_TABLE_HAS(host, rk_host_services, log)) rk::cpu_sim::set_host(host);
  *table = &rk::cpu_sim::kTable;
  return RK_SUCCESS;
}
