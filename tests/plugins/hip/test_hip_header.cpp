// hip_api.hpp declares HIP's constants itself (so the plugin builds without ROCm). Where
// hip_runtime_api.h is installed, check them against it, and the device-properties offset
// the plugin reads gcnArchName at.
#include <catch2/catch_test_macros.hpp>

#include "hip_api.hpp"

#if __has_include(<hip/hip_runtime_api.h>)
// hip_runtime_api.h #defines the flags: take ours before the macros hide the names.
constexpr unsigned kNonBlocking = rk::hip::hipStreamNonBlocking;
constexpr unsigned kPortable = rk::hip::hipHostMallocPortable;
constexpr unsigned kMapped = rk::hip::hipHostMallocMapped;
constexpr unsigned kCoherent = rk::hip::hipHostMallocCoherent;
constexpr unsigned kAttachGlobal = rk::hip::hipMemAttachGlobal;
#ifndef __HIP_PLATFORM_AMD__
#define __HIP_PLATFORM_AMD__ 1
#endif
#include <hip/hip_runtime_api.h>

#include <cstddef>
#define RK_SAME(name) static_assert(int(rk::hip::name) == int(::name), #name " differs from hip_runtime_api.h")
RK_SAME(hipSuccess);
RK_SAME(hipErrorInvalidValue);
RK_SAME(hipErrorNoDevice);
RK_SAME(hipErrorNotFound);
RK_SAME(hipErrorNotReady);
RK_SAME(hipErrorLaunchOutOfResources);
RK_SAME(hipErrorCooperativeLaunchTooLarge);
RK_SAME(hipDeviceAttributeCanMapHostMemory);
RK_SAME(hipDeviceAttributeCooperativeLaunch);
RK_SAME(hipDeviceAttributeManagedMemory);
RK_SAME(hipDeviceAttributeMaxThreadsPerBlock);
RK_SAME(hipDeviceAttributeMultiprocessorCount);
RK_SAME(hipDeviceAttributeMaxSharedMemoryPerBlock);
RK_SAME(hipDeviceAttributeUnifiedAddressing);
RK_SAME(HIP_FUNC_ATTRIBUTE_MAX_THREADS_PER_BLOCK);
static_assert(kNonBlocking == hipStreamNonBlocking);
static_assert(kPortable == hipHostMallocPortable);
static_assert(kMapped == hipHostMallocMapped);
static_assert(kCoherent == hipHostMallocCoherent);
static_assert(kAttachGlobal == hipMemAttachGlobal);
// hipGetDeviceProperties' struct: ROCm 6 headers call the old layout hipDeviceProp_tR0000.
#if defined(HIP_VERSION_MAJOR) && HIP_VERSION_MAJOR >= 6
using OldDeviceProp = hipDeviceProp_tR0000;
#else
using OldDeviceProp = hipDeviceProp_t;
#endif
static_assert(offsetof(OldDeviceProp, gcnArchName) == rk::hip::kDevicePropGcnArchNameOffset);
static_assert(sizeof(OldDeviceProp) <= rk::hip::kDevicePropBufferSize);
constexpr bool kCheckedAgainstHeader = true;
#else
constexpr bool kCheckedAgainstHeader = false;
#endif

TEST_CASE("HIP constants match hip_runtime_api.h", "[hip][header]") {
  if (!kCheckedAgainstHeader) SKIP("hip/hip_runtime_api.h not installed: constants not checked");
  SUCCEED("checked at compile time");
}
