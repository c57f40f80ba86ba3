// The driver-style GPU API that CUDA's driver API and HIP's module API share, as one table
// of function pointers. Each backend fills it from its own library (cuda/cuda_api.cpp,
// hip/hip_api.cpp); everything in gpu_common calls only this table, so the logic for
// devices, streams, memory, compile, cache and launch exists once.
//
// The types are ours: handles are opaque pointers, a device address is 64 bits (CUdeviceptr
// is unsigned long long; hipDeviceptr_t is void*, which every 64-bit ABI ROCm runs on passes
// the same way). Signatures follow cuda.h; HIP's mirror them name for name.
#pragma once

#include <cstddef>
#include <cstdint>

namespace rk::gpu {

using Status = int;  // CUresult / hipError_t
using DeviceHandle = int;
using DevicePtr = unsigned long long;
using Context = struct gpu_context_st*;
using Stream = struct gpu_stream_st*;
using Module = struct gpu_module_st*;
using Function = struct gpu_function_st*;

static_assert(sizeof(DevicePtr) == sizeof(void*), "device addresses are passed as 64-bit words");

struct DriverApi {
  Status (*device_count)(int* count) = nullptr;
  Status (*device_get)(DeviceHandle* device, int ordinal) = nullptr;
  Status (*device_name)(char* name, int length, DeviceHandle device) = nullptr;
  Status (*device_total_memory)(size_t* bytes, DeviceHandle device) = nullptr;
  Status (*device_attribute)(int* value, int attribute, DeviceHandle device) = nullptr;
  Status (*driver_version)(int* version) = nullptr;

  Status (*primary_context_retain)(Context* context, DeviceHandle device) = nullptr;
  Status (*primary_context_release)(DeviceHandle device) = nullptr;
  Status (*context_set_current)(Context context) = nullptr;

  Status (*stream_create)(Stream* stream, unsigned flags) = nullptr;
  Status (*stream_destroy)(Stream stream) = nullptr;
  Status (*stream_synchronize)(Stream stream) = nullptr;
  Status (*stream_query)(Stream stream) = nullptr;

  Status (*mem_alloc)(DevicePtr* pointer, size_t bytes) = nullptr;
  Status (*mem_free)(DevicePtr pointer) = nullptr;
  Status (*host_alloc)(void** pointer, size_t bytes, unsigned flags) = nullptr;
  Status (*host_free)(void* pointer) = nullptr;
  Status (*host_device_pointer)(DevicePtr* device, void* host, unsigned flags) = nullptr;
  Status (*managed_alloc)(DevicePtr* pointer, size_t bytes, unsigned flags) = nullptr;
  Status (*memset_d8)(DevicePtr pointer, unsigned char value, size_t count) = nullptr;
  Status (*copy_htod)(DevicePtr dst, const void* src, size_t bytes) = nullptr;
  Status (*copy_dtoh)(void* dst, DevicePtr src, size_t bytes) = nullptr;
  Status (*copy_htod_async)(DevicePtr dst, const void* src, size_t bytes, Stream stream) = nullptr;
  Status (*copy_dtoh_async)(void* dst, DevicePtr src, size_t bytes, Stream stream) = nullptr;

  Status (*module_load_data)(Module* module, const void* image) = nullptr;
  Status (*module_unload)(Module module) = nullptr;
  Status (*module_get_function)(Function* function, Module module, const char* name) = nullptr;
  // A module-scope variable's address and size. Only CUDA's clock calibration uses it (NULL for HIP).
  Status (*module_get_global)(DevicePtr* pointer, size_t* bytes, Module module, const char* name) = nullptr;
  Status (*function_attribute)(int* value, int attribute, Function function) = nullptr;
  // NULL where the device needs no opt-in for large dynamic shared memory (HIP).
  Status (*function_set_attribute)(Function function, int attribute, int value) = nullptr;
  Status (*launch_kernel)(Function f, unsigned gx, unsigned gy, unsigned gz, unsigned bx, unsigned by, unsigned bz,
                          unsigned shared, Stream stream, void** params, void** extra) = nullptr;
  Status (*launch_cooperative_kernel)(Function f, unsigned gx, unsigned gy, unsigned gz, unsigned bx, unsigned by,
                                      unsigned bz, unsigned shared, Stream stream, void** params) = nullptr;
};

// The driver's status values gpu_common tells apart (the same numbers in CUDA and HIP, but
// each backend states its own).
struct StatusCodes {
  Status success;
  Status invalid_value;
  Status not_found;
  Status not_ready;
  Status launch_out_of_resources;
};

// Flags and attribute numbers the shared logic passes through.
struct DriverConstants {
  unsigned stream_non_blocking;
  unsigned host_alloc_flags;       // HOST_MAPPED buffers: device-mapped (and coherent) pinned memory
  unsigned managed_attach_global;  // SHARED buffers
  int function_max_threads;        // function attribute: max threads per block
  int function_max_dynamic_shared; // function attribute set for an opt-in (unused without function_set_attribute)
  uint32_t default_dynamic_shared; // more than this needs an opt-in
};

}  // namespace rk::gpu
