// cuda_api.hpp declares the driver's types and constants itself (so the plugin builds
// without a toolkit). Where cuda.h is installed, check them against it.
#include <catch2/catch_test_macros.hpp>

#include "cuda_api.hpp"

#if __has_include(<cuda.h>)
// cuda.h #defines these two: take ours before the macros hide the names.
constexpr unsigned kPortable = rk::cuda::CU_MEMHOSTALLOC_PORTABLE;
constexpr unsigned kDeviceMap = rk::cuda::CU_MEMHOSTALLOC_DEVICEMAP;
#include <cuda.h>
#define RK_SAME(name) static_assert(int(rk::cuda::name) == int(::name), #name " differs from cuda.h")
RK_SAME(CUDA_SUCCESS);
RK_SAME(CUDA_ERROR_INVALID_VALUE);
RK_SAME(CUDA_ERROR_NO_DEVICE);
RK_SAME(CUDA_ERROR_NOT_FOUND);
RK_SAME(CUDA_ERROR_NOT_READY);
RK_SAME(CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES);
RK_SAME(CUDA_ERROR_COOPERATIVE_LAUNCH_TOO_LARGE);
RK_SAME(CU_DEVICE_ATTRIBUTE_MAX_THREADS_PER_BLOCK);
RK_SAME(CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK);
RK_SAME(CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT);
RK_SAME(CU_DEVICE_ATTRIBUTE_CAN_MAP_HOST_MEMORY);
RK_SAME(CU_DEVICE_ATTRIBUTE_UNIFIED_ADDRESSING);
RK_SAME(CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR);
RK_SAME(CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR);
RK_SAME(CU_DEVICE_ATTRIBUTE_MANAGED_MEMORY);
RK_SAME(CU_DEVICE_ATTRIBUTE_CONCURRENT_MANAGED_ACCESS);
RK_SAME(CU_DEVICE_ATTRIBUTE_COOPERATIVE_LAUNCH);
RK_SAME(CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN);
RK_SAME(CU_FUNC_ATTRIBUTE_MAX_THREADS_PER_BLOCK);
RK_SAME(CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES);
RK_SAME(CU_STREAM_NON_BLOCKING);
static_assert(kPortable == CU_MEMHOSTALLOC_PORTABLE);
static_assert(kDeviceMap == CU_MEMHOSTALLOC_DEVICEMAP);
RK_SAME(CU_MEM_ATTACH_GLOBAL);
static_assert(sizeof(rk::cuda::CUdeviceptr) == sizeof(::CUdeviceptr));
constexpr bool kCheckedAgainstHeader = true;
#else
constexpr bool kCheckedAgainstHeader = false;
#endif

TEST_CASE("driver constants match cuda.h", "[cuda][header]") {
  if (!kCheckedAgainstHeader) SKIP("cuda.h not installed: constants not checked");
  SUCCEED("checked at compile time");
}
