// The dialect's rk_clock_ns() is CLOCK_REALTIME nanoseconds; %globaltimer follows the host's
// clock only up to the driver's resync (an H100 ran more than 8 us behind, so latencies from
// a host send to the device's handling read as negative). After each dialect module loads,
// rk_cuda_clock_probe (the CUDA prelude) answers a few requests over mapped host memory;
// each answer is bracketed by two host readings, and the tightest bracket gives the offset,
// written into the module's constant rk_cuda_clock_offset_ns. The error is at most half
// that bracket: a PCIe round trip, a microsecond or two.
//
// The module's kernels cannot have run yet (the load has just returned), and on CUDA the
// runtime parks running ring kernels around a load, so the probe has the device to itself.
#include <atomic>
#include <ctime>
#include <string>

#include "cuda_api.hpp"
#include "cuda_backend.hpp"
#include "gpu_common/gpu.hpp"

namespace rk::cuda {
namespace {

constexpr uint32_t kRounds = 16;
constexpr int64_t kAnswerTimeoutNs = 1'000'000'000;  // the probe itself gives up after 1 s
constexpr size_t kWords = kRounds + 1;

int64_t host_realtime_ns() {
  timespec now{};
  clock_gettime(CLOCK_REALTIME, &now);
  return int64_t(now.tv_sec) * 1'000'000'000 + now.tv_nsec;
}

// The host side of the handshake on words[0..kRounds] (see the prelude). Returns false
// when the probe stopped answering (it ends by itself).
bool handshake(volatile uint64_t* words, int64_t& offset, int64_t& bracket) {
  bracket = INT64_MAX;
  offset = 0;
  for (uint32_t i = 1; i <= kRounds; ++i) {
    int64_t before = host_realtime_ns();
    std::atomic_thread_fence(std::memory_order_seq_cst);
    words[0] = i;
    while (words[i] == 0)
      if (host_realtime_ns() - before > kAnswerTimeoutNs) return false;
    int64_t after = host_realtime_ns();
    if (after - before < bracket) {
      bracket = after - before;
      offset = before + bracket / 2 - static_cast<int64_t>(words[i]);
    }
  }
  return true;
}

// Writes the offset into the module's __constant__ rk_cuda_clock_offset_ns.
rk_result store_offset(rk_backend_module module, int64_t offset) {
  const gpu::DriverApi& api = gpu::api();
  gpu::DevicePtr where = 0;
  size_t bytes = 0;
  gpu::Status status = api.module_get_global(&where, &bytes, module->module, "rk_cuda_clock_offset_ns");
  if (status != CUDA_SUCCESS || bytes != sizeof(offset))
    return gpu::fail_status(RK_ERROR_INTERNAL, "finding the module's rk_cuda_clock_offset_ns", status);
  status = api.copy_htod(where, &offset, sizeof(offset));
  return status == CUDA_SUCCESS ? RK_SUCCESS
                                : gpu::fail_status(RK_ERROR_INTERNAL, "writing the device clock offset", status);
}

}  // namespace

rk_result calibrate_module_clock(rk_backend_module module) {
  rk_backend_function probe = nullptr;
  // Native and binary modules have no prelude, so no clock to calibrate.
  if (gpu::function_get(module, "rk_cuda_clock_probe", &probe) != RK_SUCCESS) return RK_SUCCESS;
  const gpu::DriverApi& api = gpu::api();
  void* host = nullptr;
  const size_t bytes = kWords * sizeof(uint64_t);
  gpu::Status status = api.host_alloc(&host, bytes, CU_MEMHOSTALLOC_DEVICEMAP | CU_MEMHOSTALLOC_PORTABLE);
  if (status != CUDA_SUCCESS) return gpu::fail_status(RK_ERROR_OUT_OF_MEMORY, "clock calibration buffer", status);
  auto* words = static_cast<volatile uint64_t*>(host);
  for (size_t i = 0; i < kWords; ++i) words[i] = 0;
  gpu::DevicePtr device = 0;
  status = api.host_device_pointer(&device, host, 0);
  if (status != CUDA_SUCCESS) {
    api.host_free(host);
    return gpu::fail_status(RK_ERROR_INTERNAL, "clock calibration buffer address", status);
  }
  uint32_t rounds = kRounds;
  void* params[] = {&device, &rounds};
  status = api.launch_kernel(probe->function, 1, 1, 1, 1, 1, 1, 0, nullptr, params, nullptr);
  if (status != CUDA_SUCCESS) {
    api.host_free(host);
    return gpu::fail_status(RK_ERROR_LAUNCH_FAILED, "launching the clock probe", status);
  }
  int64_t offset = 0, bracket = 0;
  bool answered = handshake(words, offset, bracket);
  status = api.stream_synchronize(nullptr);
  api.host_free(host);
  if (status != CUDA_SUCCESS) return gpu::fail_status(RK_ERROR_LAUNCH_FAILED, "running the clock probe", status);
  if (!answered) {
    gpu::log(RK_LOG_LEVEL_WARN, gpu::prefixed("the clock probe did not answer within 1 s: the device clock is "
                                              "left uncalibrated (device latencies may be off)"));
    return RK_SUCCESS;
  }
  if (rk_result r = store_offset(module, offset); r != RK_SUCCESS) return r;
  gpu::log(RK_LOG_LEVEL_INFO, gpu::prefixed("device clock calibrated: CLOCK_REALTIME = %globaltimer " +
                                            std::string(offset >= 0 ? "+ " : "- ") +
                                            std::to_string(offset >= 0 ? offset : -offset) + " ns (within " +
                                            std::to_string(bracket / 2) + " ns)"));
  return RK_SUCCESS;
}

}  // namespace rk::cuda
