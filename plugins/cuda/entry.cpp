// The cuda plugin: gpu_common's logic over the CUDA driver API and NVRTC. This file says
// what is CUDA about it and exports the one entry symbol.
#include "cuda_api.hpp"
#include "cuda_backend.hpp"
#include "gpu_common/gpu.hpp"

namespace rk::gpu {

// What the backend can offer at all; each device says what it has (cuda_device.cpp). No
// DEVICE_MEMORY_MAP: cuMemAlloc memory cannot be mapped into the host, and the conformance
// suite holds a device with that cap to mapping DEVICE buffers.
const Backend kBackend = {
    "cuda",
    RK_CAP_PERSISTENT_KERNELS | RK_CAP_HOST_COHERENT | RK_CAP_K2K | RK_CAP_ASYNC_COPY | RK_CAP_COOPERATIVE_LAUNCH |
        RK_CAP_LOAD_WAITS_FOR_KERNELS,
    {cuda::CUDA_SUCCESS, cuda::CUDA_ERROR_INVALID_VALUE, cuda::CUDA_ERROR_NOT_FOUND, cuda::CUDA_ERROR_NOT_READY,
     cuda::CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES},
    {cuda::CU_STREAM_NON_BLOCKING, cuda::CU_MEMHOSTALLOC_DEVICEMAP | cuda::CU_MEMHOSTALLOC_PORTABLE,
     cuda::CU_MEM_ATTACH_GLOBAL, cuda::CU_FUNC_ATTRIBUTE_MAX_THREADS_PER_BLOCK,
     cuda::CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES, 48 * 1024},
    cuda::load_cu_api,
    cuda::cu_error_name,
    "the NVIDIA driver reports no CUDA device",
    cuda::describe_device,
    &cuda::kNvrtcCompiler,
    cuda::calibrate_module_clock,
};

}  // namespace rk::gpu

extern "C" RK_PLUGIN_EXPORT rk_result rk_plugin_entry(const rk_host_services* host, const rk_backend_table** table,
                                                      rk_text_out* error) {
  return rk::gpu::enter(host, table, error);
}
