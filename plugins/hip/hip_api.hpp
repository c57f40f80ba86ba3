// HIP's driver-style module API as gpu_common's driver table, resolved from libamdhip64 at
// probe time. The plugin never links libamdhip64 and includes no HIP header: the few
// constants it needs are declared here (values from ROCm 5.2's hip_runtime_api.h;
// tests/plugins/hip checks them against the real header when one is installed).
#pragma once

#include <string>

#include "gpu_common/driver.hpp"

namespace rk::hip {

using hipError_t = gpu::Status;

// ---- constants ------------------------------------------------------------------------
constexpr hipError_t hipSuccess = 0;
constexpr hipError_t hipErrorInvalidValue = 1;
constexpr hipError_t hipErrorNoDevice = 100;
constexpr hipError_t hipErrorNotFound = 500;
constexpr hipError_t hipErrorNotReady = 600;
constexpr hipError_t hipErrorLaunchOutOfResources = 701;
constexpr hipError_t hipErrorCooperativeLaunchTooLarge = 720;

// hipDeviceAttribute_t (the layout since ROCm 5.0: CUDA-compatible block from 0, AMD block
// from 10000).
constexpr int hipDeviceAttributeCanMapHostMemory = 3;
constexpr int hipDeviceAttributeCooperativeLaunch = 10;
constexpr int hipDeviceAttributeManagedMemory = 24;
constexpr int hipDeviceAttributeMaxThreadsPerBlock = 56;
constexpr int hipDeviceAttributeMultiprocessorCount = 63;
constexpr int hipDeviceAttributeMaxSharedMemoryPerBlock = 74;
constexpr int hipDeviceAttributeUnifiedAddressing = 85;

constexpr int HIP_FUNC_ATTRIBUTE_MAX_THREADS_PER_BLOCK = 0;

constexpr unsigned hipStreamNonBlocking = 0x1;
constexpr unsigned hipHostMallocPortable = 0x1;
constexpr unsigned hipHostMallocMapped = 0x2;
constexpr unsigned hipHostMallocCoherent = 0x40000000;
constexpr unsigned hipMemAttachGlobal = 0x1;

// hipDeviceProp_t as hipGetDeviceProperties fills it (the pre-ROCm-6 layout, which ROCm 6+
// keeps under that symbol): where gcnArchName starts, and room for the whole struct.
constexpr size_t kDevicePropGcnArchNameOffset = 396;
constexpr size_t kDevicePropBufferSize = 4096;

// The AMD GPU kernel driver's device node: no /dev/kfd, no ROCm device, whatever is
// installed. Checked before loading libamdhip64 (about 16 ms to dlopen) so that discovery
// stays cheap on machines without an AMD GPU.
inline constexpr const char* kKfdPath = "/dev/kfd";

// Checks /dev/kfd, loads libamdhip64 and calls hipInit(0), once per process. Returns the
// driver table, or nullptr with `reason` set.
const gpu::DriverApi* load_hip_api(std::string& reason);

// "hipErrorOutOfMemory (2)"; works before the library loads (then the number only).
std::string hip_error_name(hipError_t code);

// hipDeviceGetAttribute on the loaded library; 0 when it fails.
int device_attribute(int device, int attribute);

// The device's gcnArchName ("gfx90a:sramecc+:xnack-"), or "" when it cannot be read.
std::string device_arch(int device);

}  // namespace rk::hip
