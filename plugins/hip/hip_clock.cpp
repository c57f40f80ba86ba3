// The dialect's rk_clock_ns() is CLOCK_REALTIME nanoseconds (HLC merges compare it with host
// timestamps); an AMD GPU's wall clock counts from an arbitrary origin. So after a dialect
// module loads, read the device clock once through rk_hip_read_wall_clock, take the host
// clock on both sides of that round trip, and store the offset with rk_hip_set_clock_offset.
// The offset's error is at most half the round trip (tens of microseconds).
#include <ctime>

#include "gpu_common/gpu.hpp"
#include "hip_api.hpp"
#include "hip_backend.hpp"

namespace rk::hip {
namespace {

int64_t host_realtime_ns() {
  timespec now{};
  clock_gettime(CLOCK_REALTIME, &now);
  return int64_t(now.tv_sec) * 1000000000 + now.tv_nsec;
}

// Runs one 1x1 launch of `kernel` with `params` on the null stream and waits for it.
rk_result run_once(rk_backend_function kernel, void** params, const char* what) {
  const gpu::DriverApi& api = gpu::api();
  gpu::Status status = api.launch_kernel(kernel->function, 1, 1, 1, 1, 1, 1, 0, nullptr, params, nullptr);
  if (status == hipSuccess) status = api.stream_synchronize(nullptr);
  return status == hipSuccess ? RK_SUCCESS : gpu::fail_status(RK_ERROR_LAUNCH_FAILED, what, status);
}

rk_result read_device_ns(rk_backend_function reader, int64_t& device_ns, int64_t& host_ns) {
  const gpu::DriverApi& api = gpu::api();
  void* host = nullptr;
  gpu::Status status = api.host_alloc(&host, sizeof(uint64_t), hipHostMallocMapped | hipHostMallocCoherent);
  if (status != hipSuccess) return gpu::fail_status(RK_ERROR_OUT_OF_MEMORY, "clock calibration buffer", status);
  gpu::DevicePtr device = 0;
  status = api.host_device_pointer(&device, host, 0);
  if (status != hipSuccess) {
    api.host_free(host);
    return gpu::fail_status(RK_ERROR_INTERNAL, "clock calibration buffer address", status);
  }
  void* params[] = {&device};
  int64_t before = host_realtime_ns();
  rk_result r = run_once(reader, params, "reading the device clock");
  int64_t after = host_realtime_ns();
  device_ns = static_cast<int64_t>(*static_cast<volatile uint64_t*>(host));
  host_ns = before + (after - before) / 2;
  api.host_free(host);
  return r;
}

}  // namespace

rk_result calibrate_module_clock(rk_backend_module module) {
  rk_backend_function reader = nullptr, setter = nullptr;
  // Native and binary modules have no prelude, so no clock to calibrate.
  if (gpu::function_get(module, "rk_hip_read_wall_clock", &reader) != RK_SUCCESS) return RK_SUCCESS;
  if (rk_result r = gpu::function_get(module, "rk_hip_set_clock_offset", &setter); r != RK_SUCCESS) return r;
  int64_t device_ns = 0, host_ns = 0;
  if (rk_result r = read_device_ns(reader, device_ns, host_ns); r != RK_SUCCESS) return r;
  int64_t offset = host_ns - device_ns;
  void* params[] = {&offset};
  return run_once(setter, params, "setting the device clock offset");
}

}  // namespace rk::hip
