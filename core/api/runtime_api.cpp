// C entry points for runtimes: pick a backend device, open its context and stream, and
// own the ring kernels' routing table.
#include <cstdlib>
#include <cstring>
#include <string>

#include "api/error.hpp"
#include "distributed/remote_kernel.hpp"
#include "api/struct_growth.hpp"
#include "bridge/async_ops.hpp"
#include "plugin/registry.hpp"
#include "runtime/device_calls.hpp"
#include "runtime/kernel.hpp"
#include "runtime/kernel_ops.hpp"
#include "observability/dump.hpp"
#include "observability/trace_json.hpp"
#include "runtime/park.hpp"
#include "runtime/runtime.hpp"

using namespace rk::core;

namespace {

constexpr int64_t kDefaultSkewNs = 10'000'000'000;
constexpr uint32_t kDefaultMaxKernels = 256;

// Persistent where the device runs kernels alongside the host and shares coherent memory;
// relaunch where it shares coherent memory but cannot run a kernel beside the host
// (runtime/relaunch_mode.hpp); relaunch-copy where it shares none (runtime/copy_mode.hpp).
// RINGKERNEL_BRIDGE_MODE=relaunch or relaunch-copy forces them on any device (how they are
// tested on PoCL and cpu_sim).
// `asked`: rk_runtime_options.bridge_mode, else RINGKERNEL_BRIDGE_MODE; `where` names it.
rk_result force_mode(rk_bridge_mode asked, const std::string& where, rk_bridge_mode& mode) {
  if (asked == RK_BRIDGE_RELAUNCH && mode == RK_BRIDGE_RELAUNCH_COPY) {
    // Relaunching is what it asked for; copying is how this device does it.
    log_warn(where + " asks for the relaunch mode, but the device shares no coherent memory with the host: "
                     "it runs the relaunch-copy mode");
    return RK_SUCCESS;
  }
  if (asked == RK_BRIDGE_PERSISTENT && mode != RK_BRIDGE_PERSISTENT)
    return fail(RK_ERROR_UNSUPPORTED, where + " asks for the persistent mode, but the device cannot run persistent "
                                              "kernels beside the host with coherent memory");
  mode = asked;
  return RK_SUCCESS;
}

rk_result bridge_mode_for(uint64_t caps, uint32_t asked, rk_bridge_mode& mode) {
  const uint64_t needed = RK_CAP_PERSISTENT_KERNELS | RK_CAP_HOST_COHERENT;
  mode = (caps & needed) == needed              ? RK_BRIDGE_PERSISTENT
         : (caps & RK_CAP_HOST_COHERENT) != 0 ? RK_BRIDGE_RELAUNCH
                                              : RK_BRIDGE_RELAUNCH_COPY;
  if (asked != RK_BRIDGE_UNDEFINED) {
    if (asked > RK_BRIDGE_RELAUNCH_COPY)
      return fail(RK_ERROR_INVALID_ARGUMENT, "rk_runtime_options.bridge_mode " + std::to_string(asked) +
                                                 " is not an rk_bridge_mode");
    return force_mode(static_cast<rk_bridge_mode>(asked), "rk_runtime_options.bridge_mode", mode);
  }
  const char* forced = std::getenv("RINGKERNEL_BRIDGE_MODE");
  if (forced == nullptr || *forced == '\0' || std::string(forced) == "auto") return RK_SUCCESS;
  const std::string name = forced;
  const std::string where = "RINGKERNEL_BRIDGE_MODE=" + name;
  if (name == "relaunch-copy") return force_mode(RK_BRIDGE_RELAUNCH_COPY, where, mode);
  if (name == "relaunch") return force_mode(RK_BRIDGE_RELAUNCH, where, mode);
  if (name == "persistent") return force_mode(RK_BRIDGE_PERSISTENT, where, mode);
  return fail(RK_ERROR_INVALID_ARGUMENT, where + ": use persistent, relaunch, relaunch-copy or auto");
}

rk_result open_device(rk_runtime_s& rt, const PluginRecord& plugin, uint32_t device_index, uint32_t bridge_mode) {
  if (device_index >= plugin.device_count)
    return fail(RK_ERROR_NO_DEVICE, "backend '" + plugin.name + "' has " + std::to_string(plugin.device_count) +
                                        " device(s); index " + std::to_string(device_index) + " requested");
  rt.backend = plugin.backend;
  rt.device_index = device_index;
  rt.device_info = plugin.devices[device_index];
  if (rk_result r = bridge_mode_for(rt.device_info.caps, bridge_mode, rt.bridge_mode); r != RK_SUCCESS) return r;
  // A kernel on a copied ring block parks and wakes on the device's copy of the doorbells,
  // which the host never touches: host waits poll the mirror in bounded slices instead.
  if (rt.bridge_mode == RK_BRIDGE_RELAUNCH_COPY) rt.copy_steps = std::make_unique<CopySteps>();
  rt.kernel_wakes_host = (rt.device_info.caps & RK_CAP_HOST_WAKEUP) != 0 && !rt.copy_steps;
  rt.kernels_park = rt.kernel_wakes_host;
  const char* force_park = std::getenv("RINGKERNEL_PARK_TO_LOAD");  // tests park on any backend
  rt.park_to_load = (rt.device_info.caps & RK_CAP_LOAD_WAITS_FOR_KERNELS) != 0 ||
                    (force_park != nullptr && std::string(force_park) == "1");
  if (rt.park_to_load) register_parking_runtime(&rt);
  if (rk_result r = rt.backend->context_create(device_index, &rt.context); r != RK_SUCCESS) return r;
  return rt.backend->stream_create(rt.context, &rt.stream);
}

// The K2K routing table, in memory every kernel on the device reads.
rk_result create_routes(rk_runtime_s& rt) {
  if (rt.copy_steps) {
    // A device whose memory cannot hold ring blocks still runs plain launches (rk_launch);
    // its ring kernels are refused at launch with this reason.
    if (create_copied_routes(&rt) != RK_SUCCESS) rt.copy_steps->unusable = last_error_text();
    return RK_SUCCESS;
  }
  if ((rt.device_info.caps & RK_CAP_HOST_COHERENT) == 0) return RK_SUCCESS;  // no ring kernels here
  KernelTable& table = *rt.kernels;
  MappedBuffer routes;
  if (rk_result r = allocate_mapped(&rt, size_t{table.max_kernels()} * sizeof(rk_k2k_route), routes); r != RK_SUCCESS)
    return r;
  table.routes_buffer = routes.buffer;
  table.routes = static_cast<rk_k2k_route*>(routes.host);
  table.routes_device = routes.device;
  std::memset(table.routes, 0, size_t{table.max_kernels()} * sizeof(rk_k2k_route));
  return RK_SUCCESS;
}

// RINGKERNEL_TRACE=FILE: the whole run's trace, once every kernel has stopped.
void write_environment_trace(rk_runtime_s* rt) {
  if (!rt->trace || !rt->trace->all() || rt->context == nullptr) return;  // a runtime that never opened traced nothing
  if (write_trace_file(rt->trace->snapshot(rt->backend->name()), rt->trace->path()) != RK_SUCCESS)
    log_error("RINGKERNEL_TRACE: " + last_error_text());
  else
    log_info("RINGKERNEL_TRACE: wrote the message trace to " + rt->trace->path());
}

// True when every kernel stopped and everything was freed; otherwise the first kernel's
// failure is the last error (rk_runtime_destroy still succeeds: the handle is gone).
bool close_runtime(rk_runtime_s* rt) {
  // First: parking elsewhere must not reach kernels that are about to go.
  if (rt->park_to_load) unregister_parking_runtime(rt);
  directory_leave(rt);  // no bridge forwards into or out of it from here on
  bool leaked = false;
  std::string first_failure;
  if (rt->kernels) {
    for (rk_kernel_s* kernel : rt->kernels->all())
      if (kernel_destroy(kernel) != RK_SUCCESS) {
        if (!leaked) first_failure = "kernel '" + kernel->config.name + "': " + last_error_text();
        leaked = true;
      }
    write_environment_trace(rt);  // the rings are still mapped: a hung kernel's records count too
    rt->trace->close();           // the bridge stops collecting before the ring blocks go
    // A kernel that could not be stopped may still touch the routes and ring blocks.
    if (!leaked) {
      for (rk_backend_buffer buffer : rt->kernels->retired) free_buffer(rt, buffer);
      free_buffer(rt, rt->kernels->routes_buffer);
      free_egress(rt);
    }
  }
  if (rt->backend && !leaked) {
    if (rt->stream) rt->backend->stream_destroy(rt->stream);
    if (rt->context) rt->backend->context_destroy(rt->context);
  }
  if (leaked) log_error("runtime destroyed with a hung ring kernel: its device resources were not freed");
  rt->bridge.reset();  // every kernel is detached by now: the thread stops, no callback runs after this
  delete rt;
  if (leaked)
    fail(RK_ERROR_TIMEOUT, "the runtime is destroyed, but a ring kernel did not stop and is leaked with its device "
                           "resources (" + first_failure + ")");
  return !leaked;
}

}  // namespace

extern "C" {

RK_API rk_result rk_runtime_create(const rk_runtime_options* options, rk_runtime* runtime) {
  clear_error();
  if (runtime == nullptr) return fail(RK_ERROR_INVALID_ARGUMENT, "runtime out-pointer is NULL");
  rk_runtime_options given{};
  if (options)
    if (rk_result r = read_struct(*options, given); r != RK_SUCCESS) return r;
  options = &given;
  rk_registry registry = options->registry;
  if (registry == nullptr) rk_registry_default(&registry);
  const PluginRecord* plugin = nullptr;
  if (rk_result r = select_backend(*registry, options->backend, &plugin); r != RK_SUCCESS) return r;
  auto rt = new rk_runtime_s();
  rt->trace = std::make_unique<TraceCollector>();
  uint32_t max_kernels = options->max_kernels ? options->max_kernels : kDefaultMaxKernels;
  int64_t skew = options->max_clock_skew_ns > 0 ? options->max_clock_skew_ns : kDefaultSkewNs;
  rt->kernels = std::make_unique<KernelTable>(max_kernels, skew);
  rk_result r = open_device(*rt, *plugin, options->device_index, options->bridge_mode);
  if (r == RK_SUCCESS) r = create_routes(*rt);
  if (r == RK_SUCCESS) directory_join(rt);  // its kernels may now be named by other runtimes' kernels
  if (r == RK_SUCCESS) install_dump_signal_once();  // RINGKERNEL_DUMP_SIGNAL
  if (r != RK_SUCCESS) {
    std::string why = last_error_text();
    close_runtime(rt);
    return fail(r, why);
  }
  *runtime = rt;
  return RK_SUCCESS;
}

RK_API rk_result rk_runtime_destroy(rk_runtime runtime) {
  clear_error();
  if (runtime == nullptr) return RK_SUCCESS;
  if (rk_result r = check_may_destroy(runtime, nullptr); r != RK_SUCCESS) return r;
  forget_remote_kernels(runtime);
  close_runtime(runtime);  // the handle is gone either way; a leaked kernel is in rk_last_error()
  return RK_SUCCESS;
}

RK_API const char* rk_runtime_backend_name(rk_runtime runtime) {
  return runtime && runtime->backend ? runtime->backend->name() : "";
}

RK_API rk_result rk_runtime_device_info(rk_runtime runtime, rk_device_info* info) {
  clear_error();
  if (runtime == nullptr || info == nullptr) return fail(RK_ERROR_INVALID_ARGUMENT, "runtime and info must not be NULL");
  return write_struct(runtime->device_info, info);
}

RK_API rk_bridge_mode rk_runtime_bridge_mode(rk_runtime runtime) {
  return runtime ? runtime->bridge_mode : RK_BRIDGE_UNDEFINED;
}

RK_API rk_result rk_runtime_synchronize(rk_runtime runtime) {
  clear_error();
  if (runtime == nullptr) return fail(RK_ERROR_INVALID_ARGUMENT, "runtime handle is NULL");
  return runtime->backend->stream_synchronize(runtime->stream);
}

}  // extern "C"
