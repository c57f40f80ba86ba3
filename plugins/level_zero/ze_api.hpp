// The Level Zero entry points the plugin uses, resolved from the loader (libze_loader.so.1)
// at probe time. The plugin never links the loader and includes no Level Zero header: the
// few types and constants it needs are declared here (values and layouts from ze_api.h of
// API 1.4; tests/plugins/level_zero checks them against the real header where installed),
// so it builds and loads everywhere.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace rk::level_zero {

// ---- handles and scalar types (ze_api.h) ------------------------------------------------
using ze_result_t = int32_t;  // an enum in ze_api.h; 32 bits, values up to 0x7ffffffe
using ze_structure_type_t = int32_t;
using ze_driver_handle_t = struct _ze_driver_handle_t*;
using ze_device_handle_t = struct _ze_device_handle_t*;
using ze_context_handle_t = struct _ze_context_handle_t*;
using ze_command_queue_handle_t = struct _ze_command_queue_handle_t*;
using ze_command_list_handle_t = struct _ze_command_list_handle_t*;
using ze_module_handle_t = struct _ze_module_handle_t*;
using ze_module_build_log_handle_t = struct _ze_module_build_log_handle_t*;
using ze_kernel_handle_t = struct _ze_kernel_handle_t*;
using ze_event_handle_t = struct _ze_event_handle_t*;
using ze_fence_handle_t = struct _ze_fence_handle_t*;

// ---- constants --------------------------------------------------------------------------
constexpr ze_result_t ZE_RESULT_SUCCESS = 0;
constexpr ze_result_t ZE_RESULT_NOT_READY = 1;
constexpr ze_result_t ZE_RESULT_ERROR_DEVICE_LOST = 0x70000001;
constexpr ze_result_t ZE_RESULT_ERROR_OUT_OF_HOST_MEMORY = 0x70000002;
constexpr ze_result_t ZE_RESULT_ERROR_OUT_OF_DEVICE_MEMORY = 0x70000003;
constexpr ze_result_t ZE_RESULT_ERROR_MODULE_BUILD_FAILURE = 0x70000004;
constexpr ze_result_t ZE_RESULT_ERROR_UNINITIALIZED = 0x78000001;
constexpr ze_result_t ZE_RESULT_ERROR_UNSUPPORTED_FEATURE = 0x78000003;
constexpr ze_result_t ZE_RESULT_ERROR_INVALID_ARGUMENT = 0x78000004;
constexpr ze_result_t ZE_RESULT_ERROR_INVALID_KERNEL_NAME = 0x78000011;
constexpr ze_result_t ZE_RESULT_ERROR_INVALID_GROUP_SIZE_DIMENSION = 0x78000013;
constexpr ze_result_t ZE_RESULT_ERROR_INVALID_KERNEL_ARGUMENT_INDEX = 0x78000015;
constexpr ze_result_t ZE_RESULT_ERROR_INVALID_KERNEL_ARGUMENT_SIZE = 0x78000016;

constexpr ze_structure_type_t ZE_STRUCTURE_TYPE_DRIVER_PROPERTIES = 0x1;
constexpr ze_structure_type_t ZE_STRUCTURE_TYPE_DEVICE_PROPERTIES = 0x3;
constexpr ze_structure_type_t ZE_STRUCTURE_TYPE_DEVICE_COMPUTE_PROPERTIES = 0x4;
constexpr ze_structure_type_t ZE_STRUCTURE_TYPE_DEVICE_MODULE_PROPERTIES = 0x5;
constexpr ze_structure_type_t ZE_STRUCTURE_TYPE_COMMAND_QUEUE_GROUP_PROPERTIES = 0x6;
constexpr ze_structure_type_t ZE_STRUCTURE_TYPE_DEVICE_MEMORY_PROPERTIES = 0x7;
constexpr ze_structure_type_t ZE_STRUCTURE_TYPE_DEVICE_MEMORY_ACCESS_PROPERTIES = 0x8;
constexpr ze_structure_type_t ZE_STRUCTURE_TYPE_CONTEXT_DESC = 0xd;
constexpr ze_structure_type_t ZE_STRUCTURE_TYPE_COMMAND_QUEUE_DESC = 0xe;
constexpr ze_structure_type_t ZE_STRUCTURE_TYPE_COMMAND_LIST_DESC = 0xf;
constexpr ze_structure_type_t ZE_STRUCTURE_TYPE_DEVICE_MEM_ALLOC_DESC = 0x15;
constexpr ze_structure_type_t ZE_STRUCTURE_TYPE_HOST_MEM_ALLOC_DESC = 0x16;
constexpr ze_structure_type_t ZE_STRUCTURE_TYPE_MODULE_DESC = 0x1b;
constexpr ze_structure_type_t ZE_STRUCTURE_TYPE_KERNEL_DESC = 0x1d;
constexpr ze_structure_type_t ZE_STRUCTURE_TYPE_KERNEL_PROPERTIES = 0x1e;

constexpr uint32_t ZE_MEMORY_ACCESS_CAP_FLAG_RW = 0x1;
constexpr uint32_t ZE_MEMORY_ACCESS_CAP_FLAG_ATOMIC = 0x2;
constexpr uint32_t ZE_MEMORY_ACCESS_CAP_FLAG_CONCURRENT = 0x4;
constexpr uint32_t ZE_MEMORY_ACCESS_CAP_FLAG_CONCURRENT_ATOMIC = 0x8;
constexpr uint32_t ZE_COMMAND_QUEUE_GROUP_PROPERTY_FLAG_COMPUTE = 0x1;
constexpr uint32_t ZE_COMMAND_QUEUE_GROUP_PROPERTY_FLAG_COOPERATIVE_KERNELS = 0x4;
constexpr uint32_t ZE_DEVICE_MODULE_FLAG_INT64_ATOMICS = 0x4;
constexpr uint32_t ZE_KERNEL_INDIRECT_ACCESS_FLAG_HOST = 0x1;
constexpr uint32_t ZE_KERNEL_INDIRECT_ACCESS_FLAG_DEVICE = 0x2;
constexpr uint32_t ZE_KERNEL_INDIRECT_ACCESS_FLAG_SHARED = 0x4;
constexpr int32_t ZE_COMMAND_QUEUE_MODE_SYNCHRONOUS = 1;
constexpr int32_t ZE_COMMAND_QUEUE_MODE_ASYNCHRONOUS = 2;
constexpr int32_t ZE_COMMAND_QUEUE_PRIORITY_NORMAL = 0;
constexpr int32_t ZE_MODULE_FORMAT_IL_SPIRV = 0;
constexpr int32_t ZE_MODULE_FORMAT_NATIVE = 1;
constexpr size_t ZE_MAX_DEVICE_NAME = 256;
constexpr size_t ZE_SUBGROUPSIZE_COUNT = 8;
constexpr size_t ZE_MAX_UUID_SIZE = 16;

// ---- structs (the members the plugin reads or fills; layouts as in ze_api.h) ----------
struct ze_driver_properties_t {
  ze_structure_type_t stype = ZE_STRUCTURE_TYPE_DRIVER_PROPERTIES;
  void* pNext = nullptr;
  uint8_t uuid[ZE_MAX_UUID_SIZE] = {};
  uint32_t driverVersion = 0;
};

struct ze_device_properties_t {
  ze_structure_type_t stype = ZE_STRUCTURE_TYPE_DEVICE_PROPERTIES;
  void* pNext = nullptr;
  int32_t type = 0;  // ze_device_type_t
  uint32_t vendorId = 0, deviceId = 0, flags = 0, subdeviceId = 0, coreClockRate = 0;
  uint64_t maxMemAllocSize = 0;
  uint32_t maxHardwareContexts = 0, maxCommandQueuePriority = 0;
  uint32_t numThreadsPerEU = 0, physicalEUSimdWidth = 0, numEUsPerSubslice = 0, numSubslicesPerSlice = 0,
           numSlices = 0;
  uint64_t timerResolution = 0;
  uint32_t timestampValidBits = 0, kernelTimestampValidBits = 0;
  uint8_t uuid[ZE_MAX_UUID_SIZE] = {};
  char name[ZE_MAX_DEVICE_NAME] = {};
};

struct ze_device_compute_properties_t {
  ze_structure_type_t stype = ZE_STRUCTURE_TYPE_DEVICE_COMPUTE_PROPERTIES;
  void* pNext = nullptr;
  uint32_t maxTotalGroupSize = 0, maxGroupSizeX = 0, maxGroupSizeY = 0, maxGroupSizeZ = 0;
  uint32_t maxGroupCountX = 0, maxGroupCountY = 0, maxGroupCountZ = 0;
  uint32_t maxSharedLocalMemory = 0, numSubGroupSizes = 0;
  uint32_t subGroupSizes[ZE_SUBGROUPSIZE_COUNT] = {};
};

struct ze_device_module_properties_t {
  ze_structure_type_t stype = ZE_STRUCTURE_TYPE_DEVICE_MODULE_PROPERTIES;
  void* pNext = nullptr;
  uint32_t spirvVersionSupported = 0, flags = 0, fp16flags = 0, fp32flags = 0, fp64flags = 0;
  uint32_t maxArgumentsSize = 0, printfBufferSize = 0;
  uint8_t nativeKernelSupported[ZE_MAX_UUID_SIZE] = {};
};

struct ze_device_memory_properties_t {
  ze_structure_type_t stype = ZE_STRUCTURE_TYPE_DEVICE_MEMORY_PROPERTIES;
  void* pNext = nullptr;
  uint32_t flags = 0, maxClockRate = 0, maxBusWidth = 0;
  uint64_t totalSize = 0;
  char name[ZE_MAX_DEVICE_NAME] = {};
};

struct ze_device_memory_access_properties_t {
  ze_structure_type_t stype = ZE_STRUCTURE_TYPE_DEVICE_MEMORY_ACCESS_PROPERTIES;
  void* pNext = nullptr;
  uint32_t hostAllocCapabilities = 0, deviceAllocCapabilities = 0, sharedSingleDeviceAllocCapabilities = 0,
           sharedCrossDeviceAllocCapabilities = 0, sharedSystemAllocCapabilities = 0;
};

struct ze_command_queue_group_properties_t {
  ze_structure_type_t stype = ZE_STRUCTURE_TYPE_COMMAND_QUEUE_GROUP_PROPERTIES;
  void* pNext = nullptr;
  uint32_t flags = 0;
  size_t maxMemoryFillPatternSize = 0;
  uint32_t numQueues = 0;
};

struct ze_context_desc_t {
  ze_structure_type_t stype = ZE_STRUCTURE_TYPE_CONTEXT_DESC;
  const void* pNext = nullptr;
  uint32_t flags = 0;
};

struct ze_command_queue_desc_t {
  ze_structure_type_t stype = ZE_STRUCTURE_TYPE_COMMAND_QUEUE_DESC;
  const void* pNext = nullptr;
  uint32_t ordinal = 0, index = 0, flags = 0;
  int32_t mode = 0, priority = ZE_COMMAND_QUEUE_PRIORITY_NORMAL;
};

struct ze_command_list_desc_t {
  ze_structure_type_t stype = ZE_STRUCTURE_TYPE_COMMAND_LIST_DESC;
  const void* pNext = nullptr;
  uint32_t commandQueueGroupOrdinal = 0, flags = 0;
};

struct ze_device_mem_alloc_desc_t {
  ze_structure_type_t stype = ZE_STRUCTURE_TYPE_DEVICE_MEM_ALLOC_DESC;
  const void* pNext = nullptr;
  uint32_t flags = 0, ordinal = 0;
};

struct ze_host_mem_alloc_desc_t {
  ze_structure_type_t stype = ZE_STRUCTURE_TYPE_HOST_MEM_ALLOC_DESC;
  const void* pNext = nullptr;
  uint32_t flags = 0;
};

struct ze_module_desc_t {
  ze_structure_type_t stype = ZE_STRUCTURE_TYPE_MODULE_DESC;
  const void* pNext = nullptr;
  int32_t format = ZE_MODULE_FORMAT_IL_SPIRV;
  size_t inputSize = 0;
  const uint8_t* pInputModule = nullptr;
  const char* pBuildFlags = nullptr;
  const void* pConstants = nullptr;  // const ze_module_constants_t*; the plugin sets none
};

struct ze_kernel_desc_t {
  ze_structure_type_t stype = ZE_STRUCTURE_TYPE_KERNEL_DESC;
  const void* pNext = nullptr;
  uint32_t flags = 0;
  const char* pKernelName = nullptr;
};

struct ze_kernel_properties_t {
  ze_structure_type_t stype = ZE_STRUCTURE_TYPE_KERNEL_PROPERTIES;
  void* pNext = nullptr;
  uint32_t numKernelArgs = 0, requiredGroupSizeX = 0, requiredGroupSizeY = 0, requiredGroupSizeZ = 0;
  uint32_t requiredNumSubGroups = 0, requiredSubgroupSize = 0, maxSubgroupSize = 0, maxNumSubgroups = 0;
  uint32_t localMemSize = 0, privateMemSize = 0, spillMemSize = 0;
  uint8_t uuid[2 * ZE_MAX_UUID_SIZE] = {};  // ze_kernel_uuid_t: kernel id, module id
};

struct ze_group_count_t {
  uint32_t groupCountX = 1, groupCountY = 1, groupCountZ = 1;
};

// ---- the table --------------------------------------------------------------------------
struct ZeApi {
  ze_result_t (*zeInit)(uint32_t flags) = nullptr;
  ze_result_t (*zeDriverGet)(uint32_t* count, ze_driver_handle_t* drivers) = nullptr;
  ze_result_t (*zeDriverGetProperties)(ze_driver_handle_t, ze_driver_properties_t*) = nullptr;
  ze_result_t (*zeDriverGetApiVersion)(ze_driver_handle_t, uint32_t* version) = nullptr;
  ze_result_t (*zeDeviceGet)(ze_driver_handle_t, uint32_t* count, ze_device_handle_t* devices) = nullptr;
  ze_result_t (*zeDeviceGetProperties)(ze_device_handle_t, ze_device_properties_t*) = nullptr;
  ze_result_t (*zeDeviceGetComputeProperties)(ze_device_handle_t, ze_device_compute_properties_t*) = nullptr;
  ze_result_t (*zeDeviceGetModuleProperties)(ze_device_handle_t, ze_device_module_properties_t*) = nullptr;
  ze_result_t (*zeDeviceGetMemoryProperties)(ze_device_handle_t, uint32_t* count,
                                             ze_device_memory_properties_t*) = nullptr;
  ze_result_t (*zeDeviceGetMemoryAccessProperties)(ze_device_handle_t, ze_device_memory_access_properties_t*) = nullptr;
  ze_result_t (*zeDeviceGetCommandQueueGroupProperties)(ze_device_handle_t, uint32_t* count,
                                                        ze_command_queue_group_properties_t*) = nullptr;
  ze_result_t (*zeContextCreate)(ze_driver_handle_t, const ze_context_desc_t*, ze_context_handle_t*) = nullptr;
  ze_result_t (*zeContextDestroy)(ze_context_handle_t) = nullptr;
  ze_result_t (*zeCommandQueueCreate)(ze_context_handle_t, ze_device_handle_t, const ze_command_queue_desc_t*,
                                      ze_command_queue_handle_t*) = nullptr;
  ze_result_t (*zeCommandQueueDestroy)(ze_command_queue_handle_t) = nullptr;
  ze_result_t (*zeCommandQueueExecuteCommandLists)(ze_command_queue_handle_t, uint32_t count,
                                                   ze_command_list_handle_t* lists, ze_fence_handle_t) = nullptr;
  ze_result_t (*zeCommandQueueSynchronize)(ze_command_queue_handle_t, uint64_t timeout_ns) = nullptr;
  ze_result_t (*zeCommandListCreate)(ze_context_handle_t, ze_device_handle_t, const ze_command_list_desc_t*,
                                     ze_command_list_handle_t*) = nullptr;
  ze_result_t (*zeCommandListCreateImmediate)(ze_context_handle_t, ze_device_handle_t, const ze_command_queue_desc_t*,
                                              ze_command_list_handle_t*) = nullptr;
  ze_result_t (*zeCommandListDestroy)(ze_command_list_handle_t) = nullptr;
  ze_result_t (*zeCommandListClose)(ze_command_list_handle_t) = nullptr;
  ze_result_t (*zeCommandListAppendMemoryCopy)(ze_command_list_handle_t, void* dst, const void* src, size_t bytes,
                                               ze_event_handle_t, uint32_t, ze_event_handle_t*) = nullptr;
  ze_result_t (*zeCommandListAppendMemoryFill)(ze_command_list_handle_t, void* dst, const void* pattern,
                                               size_t pattern_size, size_t bytes, ze_event_handle_t, uint32_t,
                                               ze_event_handle_t*) = nullptr;
  ze_result_t (*zeCommandListAppendLaunchKernel)(ze_command_list_handle_t, ze_kernel_handle_t, const ze_group_count_t*,
                                                 ze_event_handle_t, uint32_t, ze_event_handle_t*) = nullptr;
  ze_result_t (*zeCommandListAppendLaunchCooperativeKernel)(ze_command_list_handle_t, ze_kernel_handle_t,
                                                            const ze_group_count_t*, ze_event_handle_t, uint32_t,
                                                            ze_event_handle_t*) = nullptr;
  ze_result_t (*zeMemAllocDevice)(ze_context_handle_t, const ze_device_mem_alloc_desc_t*, size_t bytes,
                                  size_t alignment, ze_device_handle_t, void** pointer) = nullptr;
  ze_result_t (*zeMemAllocHost)(ze_context_handle_t, const ze_host_mem_alloc_desc_t*, size_t bytes, size_t alignment,
                                void** pointer) = nullptr;
  ze_result_t (*zeMemAllocShared)(ze_context_handle_t, const ze_device_mem_alloc_desc_t*,
                                  const ze_host_mem_alloc_desc_t*, size_t bytes, size_t alignment, ze_device_handle_t,
                                  void** pointer) = nullptr;
  ze_result_t (*zeMemFree)(ze_context_handle_t, void* pointer) = nullptr;
  ze_result_t (*zeModuleCreate)(ze_context_handle_t, ze_device_handle_t, const ze_module_desc_t*, ze_module_handle_t*,
                                ze_module_build_log_handle_t*) = nullptr;
  ze_result_t (*zeModuleDestroy)(ze_module_handle_t) = nullptr;
  ze_result_t (*zeModuleBuildLogDestroy)(ze_module_build_log_handle_t) = nullptr;
  ze_result_t (*zeModuleBuildLogGetString)(ze_module_build_log_handle_t, size_t* size, char* log) = nullptr;
  ze_result_t (*zeKernelCreate)(ze_module_handle_t, const ze_kernel_desc_t*, ze_kernel_handle_t*) = nullptr;
  ze_result_t (*zeKernelDestroy)(ze_kernel_handle_t) = nullptr;
  ze_result_t (*zeKernelSetGroupSize)(ze_kernel_handle_t, uint32_t x, uint32_t y, uint32_t z) = nullptr;
  ze_result_t (*zeKernelSetArgumentValue)(ze_kernel_handle_t, uint32_t index, size_t size, const void* value) = nullptr;
  ze_result_t (*zeKernelSetIndirectAccess)(ze_kernel_handle_t, uint32_t flags) = nullptr;
  ze_result_t (*zeKernelGetProperties)(ze_kernel_handle_t, ze_kernel_properties_t*) = nullptr;
  ze_result_t (*zeKernelSuggestMaxCooperativeGroupCount)(ze_kernel_handle_t, uint32_t* groups) = nullptr;
};

// The soname probe() loads; the reason text names it when it is missing.
inline constexpr const char* kLoaderName = "libze_loader.so.1";

// Loads libze_loader.so.1 and calls zeInit(0), once per process. Returns the table, or
// nullptr with `reason` set: "libze_loader.so.1 not found (...)", "0 Level Zero drivers: ...".
const ZeApi* load_ze_api(std::string& reason);

// The loaded table; only valid after a successful load_ze_api (every handle implies one).
const ZeApi& ze();

// "ZE_RESULT_ERROR_DEVICE_LOST (0x70000001)"
std::string ze_error_name(ze_result_t code);

}  // namespace rk::level_zero
