// The hip plugin: gpu_common's logic over HIP's module API and hiprtc. This file says what
// is HIP about it and exports the one entry symbol.
#include "gpu_common/gpu.hpp"
#include "hip_api.hpp"
#include "hip_backend.hpp"

namespace rk::gpu {

// What the backend can offer at all; each device says what it has (hip_device.cpp). No
// DEVICE_MEMORY_MAP: hipMalloc memory is not host-addressable in general.
const Backend kBackend = {
    "hip",
    RK_CAP_PERSISTENT_KERNELS | RK_CAP_HOST_COHERENT | RK_CAP_K2K | RK_CAP_ASYNC_COPY | RK_CAP_COOPERATIVE_LAUNCH,
    {hip::hipSuccess, hip::hipErrorInvalidValue, hip::hipErrorNotFound, hip::hipErrorNotReady,
     hip::hipErrorLaunchOutOfResources},
    // HOST_MAPPED is coherent: the GPU does not cache it, so polls see host stores.
    {hip::hipStreamNonBlocking, hip::hipHostMallocMapped | hip::hipHostMallocCoherent | hip::hipHostMallocPortable,
     hip::hipMemAttachGlobal, hip::HIP_FUNC_ATTRIBUTE_MAX_THREADS_PER_BLOCK, 0, 0},
    hip::load_hip_api,
    hip::hip_error_name,
    "the HIP runtime reports no device",
    hip::describe_device,
    &hip::kHiprtcCompiler,
    hip::calibrate_module_clock,
};

}  // namespace rk::gpu

extern "C" RK_PLUGIN_EXPORT rk_result rk_plugin_entry(const rk_host_services* host, const rk_backend_table** table,
                                                      rk_text_out* error) {
  return rk::gpu::enter(host, table, error);
}
