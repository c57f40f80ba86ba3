// The CUDA driver API as gpu_common's driver table, resolved from libcuda.so.1 at probe time.
// The plugin never links libcuda and includes no CUDA header: the few types and constants it
// needs are declared here (values from CUDA 13's cuda.h; tests/plugins/cuda checks them
// against the real header when one is installed), so it builds and loads everywhere.
#pragma once

#include <cstddef>
#include <string>

#include "gpu_common/driver.hpp"

namespace rk::cuda {

// ---- types (cuda.h) -------------------------------------------------------------------
using CUresult = gpu::Status;
using CUdevice = gpu::DeviceHandle;
using CUdeviceptr = gpu::DevicePtr;

// ---- constants ------------------------------------------------------------------------
constexpr CUresult CUDA_SUCCESS = 0;
constexpr CUresult CUDA_ERROR_INVALID_VALUE = 1;
constexpr CUresult CUDA_ERROR_NO_DEVICE = 100;
constexpr CUresult CUDA_ERROR_NOT_FOUND = 500;
constexpr CUresult CUDA_ERROR_NOT_READY = 600;
constexpr CUresult CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES = 701;
constexpr CUresult CUDA_ERROR_COOPERATIVE_LAUNCH_TOO_LARGE = 720;

constexpr int CU_DEVICE_ATTRIBUTE_MAX_THREADS_PER_BLOCK = 1;
constexpr int CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK = 8;
constexpr int CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT = 16;
constexpr int CU_DEVICE_ATTRIBUTE_CAN_MAP_HOST_MEMORY = 19;
constexpr int CU_DEVICE_ATTRIBUTE_UNIFIED_ADDRESSING = 41;
constexpr int CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR = 75;
constexpr int CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR = 76;
constexpr int CU_DEVICE_ATTRIBUTE_MANAGED_MEMORY = 83;
constexpr int CU_DEVICE_ATTRIBUTE_CONCURRENT_MANAGED_ACCESS = 89;
constexpr int CU_DEVICE_ATTRIBUTE_COOPERATIVE_LAUNCH = 95;
constexpr int CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN = 97;

constexpr int CU_FUNC_ATTRIBUTE_MAX_THREADS_PER_BLOCK = 0;
constexpr int CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES = 8;

constexpr unsigned CU_STREAM_NON_BLOCKING = 0x1;
constexpr unsigned CU_MEMHOSTALLOC_PORTABLE = 0x01;
constexpr unsigned CU_MEMHOSTALLOC_DEVICEMAP = 0x02;
constexpr unsigned CU_MEM_ATTACH_GLOBAL = 0x1;

// The soname probe() loads; the reason text names it when it is missing.
inline constexpr const char* kDriverName = "libcuda.so.1";

// Loads libcuda.so.1 and calls cuInit(0), once per process. Returns the driver table, or
// nullptr with `reason` set: "libcuda.so.1 not found (no NVIDIA driver)", "cuInit failed: ...".
const gpu::DriverApi* load_cu_api(std::string& reason);

// "CUDA_ERROR_OUT_OF_MEMORY (2)"; works before the driver loads (then the number only).
std::string cu_error_name(CUresult code);

// cuDeviceGetAttribute on the loaded driver; 0 when it fails.
int device_attribute(CUdevice device, int attribute);

}  // namespace rk::cuda
