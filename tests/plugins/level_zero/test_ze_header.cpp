// ze_api.hpp declares the loader's types, constants and structs itself (so the plugin
// builds without Level Zero headers). Where ze_api.h is installed, check them against it:
// values, and the size and member offsets of every struct the plugin hands the driver.
#include <cstddef>

#include <catch2/catch_test_macros.hpp>

#include "ze_api.hpp"

#if __has_include(<level_zero/ze_api.h>)
// ze_api.h #defines these three: take ours before the macros hide the names.
constexpr size_t kMaxDeviceName = rk::level_zero::ZE_MAX_DEVICE_NAME;
constexpr size_t kSubgroupSizeCount = rk::level_zero::ZE_SUBGROUPSIZE_COUNT;
constexpr size_t kMaxUuidSize = rk::level_zero::ZE_MAX_UUID_SIZE;
#include <level_zero/ze_api.h>

namespace ours = rk::level_zero;

#define RK_SAME(name) static_assert(int64_t(ours::name) == int64_t(::name), #name " differs from ze_api.h")
RK_SAME(ZE_RESULT_SUCCESS);
RK_SAME(ZE_RESULT_NOT_READY);
RK_SAME(ZE_RESULT_ERROR_DEVICE_LOST);
RK_SAME(ZE_RESULT_ERROR_OUT_OF_HOST_MEMORY);
RK_SAME(ZE_RESULT_ERROR_OUT_OF_DEVICE_MEMORY);
RK_SAME(ZE_RESULT_ERROR_MODULE_BUILD_FAILURE);
RK_SAME(ZE_RESULT_ERROR_UNINITIALIZED);
RK_SAME(ZE_RESULT_ERROR_UNSUPPORTED_FEATURE);
RK_SAME(ZE_RESULT_ERROR_INVALID_ARGUMENT);
RK_SAME(ZE_RESULT_ERROR_INVALID_KERNEL_NAME);
RK_SAME(ZE_RESULT_ERROR_INVALID_GROUP_SIZE_DIMENSION);
RK_SAME(ZE_RESULT_ERROR_INVALID_KERNEL_ARGUMENT_INDEX);
RK_SAME(ZE_RESULT_ERROR_INVALID_KERNEL_ARGUMENT_SIZE);
RK_SAME(ZE_STRUCTURE_TYPE_DRIVER_PROPERTIES);
RK_SAME(ZE_STRUCTURE_TYPE_DEVICE_PROPERTIES);
RK_SAME(ZE_STRUCTURE_TYPE_DEVICE_COMPUTE_PROPERTIES);
RK_SAME(ZE_STRUCTURE_TYPE_DEVICE_MODULE_PROPERTIES);
RK_SAME(ZE_STRUCTURE_TYPE_COMMAND_QUEUE_GROUP_PROPERTIES);
RK_SAME(ZE_STRUCTURE_TYPE_DEVICE_MEMORY_PROPERTIES);
RK_SAME(ZE_STRUCTURE_TYPE_DEVICE_MEMORY_ACCESS_PROPERTIES);
RK_SAME(ZE_STRUCTURE_TYPE_CONTEXT_DESC);
RK_SAME(ZE_STRUCTURE_TYPE_COMMAND_QUEUE_DESC);
RK_SAME(ZE_STRUCTURE_TYPE_COMMAND_LIST_DESC);
RK_SAME(ZE_STRUCTURE_TYPE_DEVICE_MEM_ALLOC_DESC);
RK_SAME(ZE_STRUCTURE_TYPE_HOST_MEM_ALLOC_DESC);
RK_SAME(ZE_STRUCTURE_TYPE_MODULE_DESC);
RK_SAME(ZE_STRUCTURE_TYPE_KERNEL_DESC);
RK_SAME(ZE_STRUCTURE_TYPE_KERNEL_PROPERTIES);
RK_SAME(ZE_MEMORY_ACCESS_CAP_FLAG_RW);
RK_SAME(ZE_MEMORY_ACCESS_CAP_FLAG_ATOMIC);
RK_SAME(ZE_MEMORY_ACCESS_CAP_FLAG_CONCURRENT);
RK_SAME(ZE_MEMORY_ACCESS_CAP_FLAG_CONCURRENT_ATOMIC);
RK_SAME(ZE_COMMAND_QUEUE_GROUP_PROPERTY_FLAG_COMPUTE);
RK_SAME(ZE_COMMAND_QUEUE_GROUP_PROPERTY_FLAG_COOPERATIVE_KERNELS);
RK_SAME(ZE_DEVICE_MODULE_FLAG_INT64_ATOMICS);
RK_SAME(ZE_KERNEL_INDIRECT_ACCESS_FLAG_HOST);
RK_SAME(ZE_KERNEL_INDIRECT_ACCESS_FLAG_DEVICE);
RK_SAME(ZE_KERNEL_INDIRECT_ACCESS_FLAG_SHARED);
RK_SAME(ZE_COMMAND_QUEUE_MODE_SYNCHRONOUS);
RK_SAME(ZE_COMMAND_QUEUE_MODE_ASYNCHRONOUS);
RK_SAME(ZE_COMMAND_QUEUE_PRIORITY_NORMAL);
RK_SAME(ZE_MODULE_FORMAT_IL_SPIRV);
RK_SAME(ZE_MODULE_FORMAT_NATIVE);
static_assert(kMaxDeviceName == ZE_MAX_DEVICE_NAME);
static_assert(kSubgroupSizeCount == ZE_SUBGROUPSIZE_COUNT);
static_assert(kMaxUuidSize == ZE_MAX_UUID_SIZE && kMaxUuidSize == ZE_MAX_DEVICE_UUID_SIZE &&
              kMaxUuidSize == ZE_MAX_DRIVER_UUID_SIZE && 2 * kMaxUuidSize == ZE_MAX_KERNEL_UUID_SIZE + ZE_MAX_MODULE_UUID_SIZE);
#undef RK_SAME

// The structs: same size, every member the plugin uses at the same offset.
#define RK_SAME_SIZE(type) static_assert(sizeof(ours::type) == sizeof(::type), #type " size differs from ze_api.h")
#define RK_SAME_AT(type, member) \
  static_assert(offsetof(ours::type, member) == offsetof(::type, member), #type "::" #member " offset differs")
RK_SAME_SIZE(ze_driver_properties_t);
RK_SAME_AT(ze_driver_properties_t, driverVersion);
RK_SAME_SIZE(ze_device_properties_t);
RK_SAME_AT(ze_device_properties_t, vendorId);
RK_SAME_AT(ze_device_properties_t, maxMemAllocSize);
RK_SAME_AT(ze_device_properties_t, numEUsPerSubslice);
RK_SAME_AT(ze_device_properties_t, numSubslicesPerSlice);
RK_SAME_AT(ze_device_properties_t, numSlices);
RK_SAME_AT(ze_device_properties_t, timerResolution);
RK_SAME_AT(ze_device_properties_t, uuid);
RK_SAME_AT(ze_device_properties_t, name);
RK_SAME_SIZE(ze_device_compute_properties_t);
RK_SAME_AT(ze_device_compute_properties_t, maxTotalGroupSize);
RK_SAME_AT(ze_device_compute_properties_t, maxSharedLocalMemory);
RK_SAME_AT(ze_device_compute_properties_t, subGroupSizes);
RK_SAME_SIZE(ze_device_module_properties_t);
RK_SAME_AT(ze_device_module_properties_t, flags);
RK_SAME_AT(ze_device_module_properties_t, nativeKernelSupported);
RK_SAME_SIZE(ze_device_memory_properties_t);
RK_SAME_AT(ze_device_memory_properties_t, totalSize);
RK_SAME_SIZE(ze_device_memory_access_properties_t);
RK_SAME_AT(ze_device_memory_access_properties_t, hostAllocCapabilities);
RK_SAME_AT(ze_device_memory_access_properties_t, sharedSingleDeviceAllocCapabilities);
RK_SAME_SIZE(ze_command_queue_group_properties_t);
RK_SAME_AT(ze_command_queue_group_properties_t, flags);
RK_SAME_AT(ze_command_queue_group_properties_t, numQueues);
RK_SAME_SIZE(ze_context_desc_t);
RK_SAME_SIZE(ze_command_queue_desc_t);
RK_SAME_AT(ze_command_queue_desc_t, ordinal);
RK_SAME_AT(ze_command_queue_desc_t, mode);
RK_SAME_AT(ze_command_queue_desc_t, priority);
RK_SAME_SIZE(ze_command_list_desc_t);
RK_SAME_AT(ze_command_list_desc_t, commandQueueGroupOrdinal);
RK_SAME_SIZE(ze_device_mem_alloc_desc_t);
RK_SAME_AT(ze_device_mem_alloc_desc_t, ordinal);
RK_SAME_SIZE(ze_host_mem_alloc_desc_t);
RK_SAME_SIZE(ze_module_desc_t);
RK_SAME_AT(ze_module_desc_t, format);
RK_SAME_AT(ze_module_desc_t, inputSize);
RK_SAME_AT(ze_module_desc_t, pInputModule);
RK_SAME_AT(ze_module_desc_t, pBuildFlags);
RK_SAME_AT(ze_module_desc_t, pConstants);
RK_SAME_SIZE(ze_kernel_desc_t);
RK_SAME_AT(ze_kernel_desc_t, pKernelName);
RK_SAME_SIZE(ze_kernel_properties_t);
RK_SAME_AT(ze_kernel_properties_t, numKernelArgs);
RK_SAME_SIZE(ze_group_count_t);
#undef RK_SAME_SIZE
#undef RK_SAME_AT

constexpr bool kCheckedAgainstHeader = true;
#else
constexpr bool kCheckedAgainstHeader = false;
#endif

TEST_CASE("loader constants and struct layouts match ze_api.h", "[level_zero][header]") {
  if (!kCheckedAgainstHeader) SKIP("level_zero/ze_api.h not installed (Debian: libze-dev): not checked");
  SUCCEED("checked at compile time");
}
