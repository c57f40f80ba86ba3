// Resolves the OpenCL API from the ICD loader with dlopen/dlsym.
#include "cl_api.hpp"

#include <dlfcn.h>

#include <cstdlib>
#include <mutex>

#include "opencl.hpp"

namespace rk::opencl {
namespace {

constexpr const char* kLoaderName = "libOpenCL.so.1";

ClApi g_api;
std::string g_load_failure;
std::once_flag g_load_once;

template <class Fn>
bool resolve(void* library, const char* name, Fn& slot) {
  slot = reinterpret_cast<Fn>(dlsym(library, name));
  return slot != nullptr;
}

// Returns the first required entry point that is missing, or "".
std::string resolve_all(void* library, ClApi& api) {
#define RK_REQUIRED(name) \
  if (!resolve(library, #name, api.name)) return #name
#define RK_OPTIONAL(name) resolve(library, #name, api.name)
  RK_REQUIRED(clGetPlatformIDs);
  RK_REQUIRED(clGetPlatformInfo);
  RK_REQUIRED(clGetDeviceIDs);
  RK_REQUIRED(clGetDeviceInfo);
  RK_REQUIRED(clCreateContext);
  RK_REQUIRED(clReleaseContext);
  RK_REQUIRED(clCreateCommandQueue);
  RK_REQUIRED(clReleaseCommandQueue);
  RK_REQUIRED(clFlush);
  RK_REQUIRED(clFinish);
  RK_REQUIRED(clEnqueueMarkerWithWaitList);
  RK_REQUIRED(clGetEventInfo);
  RK_REQUIRED(clSetEventCallback);
  RK_REQUIRED(clReleaseEvent);
  RK_REQUIRED(clCreateBuffer);
  RK_REQUIRED(clReleaseMemObject);
  RK_REQUIRED(clEnqueueWriteBuffer);
  RK_REQUIRED(clEnqueueReadBuffer);
  RK_REQUIRED(clEnqueueFillBuffer);
  RK_REQUIRED(clCreateProgramWithSource);
  RK_REQUIRED(clCreateProgramWithBinary);
  RK_REQUIRED(clBuildProgram);
  RK_REQUIRED(clGetProgramInfo);
  RK_REQUIRED(clGetProgramBuildInfo);
  RK_REQUIRED(clReleaseProgram);
  RK_REQUIRED(clCreateKernel);
  RK_REQUIRED(clReleaseKernel);
  RK_REQUIRED(clGetKernelInfo);
  RK_REQUIRED(clGetKernelWorkGroupInfo);
  RK_REQUIRED(clSetKernelArg);
  RK_REQUIRED(clEnqueueNDRangeKernel);
  RK_OPTIONAL(clCreateCommandQueueWithProperties);
  RK_OPTIONAL(clSVMAlloc);
  RK_OPTIONAL(clSVMFree);
  RK_OPTIONAL(clEnqueueSVMMemcpy);
  RK_OPTIONAL(clEnqueueSVMMemFill);
  RK_OPTIONAL(clSetKernelArgSVMPointer);
  RK_OPTIONAL(clSetKernelExecInfo);
#undef RK_REQUIRED
#undef RK_OPTIONAL
  return "";
}

// PoCL's CPU driver runs one worker thread per compute unit, and a persistent ring kernel
// keeps its work-group on a worker for its whole life: on a 2-core machine a third ring
// kernel could never start. Unless the user chose a count, give PoCL enough workers for
// many ring kernels (other drivers ignore the variable). Said in the log, never silent.
void default_pocl_workers() {
  if (std::getenv("POCL_MAX_PTHREAD_COUNT") != nullptr) return;
  setenv("POCL_MAX_PTHREAD_COUNT", "64", 0);
  log(RK_LOG_LEVEL_INFO, "opencl: POCL_MAX_PTHREAD_COUNT was unset; set to 64 so persistent ring kernels each keep "
                         "a PoCL worker (set it yourself to override)");
}

void load_once() {
  default_pocl_workers();  // PoCL reads it when the platform initializes
  // Never dlclose'd: drivers start threads and register atexit handlers.
  void* library = dlopen(kLoaderName, RTLD_NOW | RTLD_LOCAL);
  if (library == nullptr) {
    const char* why = dlerror();
    g_load_failure = std::string(kLoaderName) + " not found (" + (why ? why : "dlopen failed") +
                     "); install an OpenCL ICD loader (Debian: ocl-icd-libopencl1) and a driver";
    return;
  }
  ClApi api;
  std::string missing = resolve_all(library, api);
  if (!missing.empty()) {
    g_load_failure = std::string(kLoaderName) + " lacks " + missing + " (an OpenCL 1.2 loader is the minimum)";
    return;
  }
  g_api = api;
}

}  // namespace

const ClApi* load_cl_api(std::string& reason) {
  std::call_once(g_load_once, load_once);
  reason = g_load_failure;
  return g_load_failure.empty() ? &g_api : nullptr;
}

const ClApi& cl() { return g_api; }

std::string cl_error_name(cl_int code) {
  const char* name = "unknown OpenCL error";
  switch (code) {
#define RK_CASE(c) \
  case c:          \
    name = #c;     \
    break;
    RK_CASE(CL_SUCCESS)
    RK_CASE(CL_DEVICE_NOT_FOUND)
    RK_CASE(CL_DEVICE_NOT_AVAILABLE)
    RK_CASE(CL_COMPILER_NOT_AVAILABLE)
    RK_CASE(CL_MEM_OBJECT_ALLOCATION_FAILURE)
    RK_CASE(CL_OUT_OF_RESOURCES)
    RK_CASE(CL_OUT_OF_HOST_MEMORY)
    RK_CASE(CL_BUILD_PROGRAM_FAILURE)
    RK_CASE(CL_INVALID_VALUE)
    RK_CASE(CL_INVALID_PLATFORM)
    RK_CASE(CL_INVALID_DEVICE)
    RK_CASE(CL_INVALID_CONTEXT)
    RK_CASE(CL_INVALID_COMMAND_QUEUE)
    RK_CASE(CL_INVALID_MEM_OBJECT)
    RK_CASE(CL_INVALID_BINARY)
    RK_CASE(CL_INVALID_BUILD_OPTIONS)
    RK_CASE(CL_INVALID_PROGRAM)
    RK_CASE(CL_INVALID_PROGRAM_EXECUTABLE)
    RK_CASE(CL_INVALID_KERNEL_NAME)
    RK_CASE(CL_INVALID_KERNEL)
    RK_CASE(CL_INVALID_ARG_INDEX)
    RK_CASE(CL_INVALID_ARG_VALUE)
    RK_CASE(CL_INVALID_ARG_SIZE)
    RK_CASE(CL_INVALID_KERNEL_ARGS)
    RK_CASE(CL_INVALID_WORK_DIMENSION)
    RK_CASE(CL_INVALID_WORK_GROUP_SIZE)
    RK_CASE(CL_INVALID_WORK_ITEM_SIZE)
    RK_CASE(CL_INVALID_GLOBAL_WORK_SIZE)
    RK_CASE(CL_INVALID_EVENT)
    RK_CASE(CL_INVALID_OPERATION)
    RK_CASE(CL_INVALID_BUFFER_SIZE)
    RK_CASE(CL_EXEC_STATUS_ERROR_FOR_EVENTS_IN_WAIT_LIST)
#undef RK_CASE
    case -1001:  // CL_PLATFORM_NOT_FOUND_KHR (cl_khr_icd)
      name = "CL_PLATFORM_NOT_FOUND_KHR";
      break;
    default:
      break;
  }
  return std::string(name) + " (" + std::to_string(code) + ")";
}

}  // namespace rk::opencl
