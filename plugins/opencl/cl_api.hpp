// The OpenCL entry points the plugin uses, resolved from the ICD loader (libOpenCL.so.1)
// at probe time. The plugin never links libOpenCL, so it loads on machines without one.
#pragma once

#define CL_TARGET_OPENCL_VERSION 300
#define CL_USE_DEPRECATED_OPENCL_1_2_APIS  // clCreateCommandQueue, for OpenCL 1.2 devices
#include <CL/cl.h>

#include <string>

namespace rk::opencl {

#define RK_OPENCL_FN(name) decltype(&::name) name = nullptr

struct ClApi {
  // OpenCL 1.2: without these the plugin reports no devices.
  RK_OPENCL_FN(clGetPlatformIDs);
  RK_OPENCL_FN(clGetPlatformInfo);
  RK_OPENCL_FN(clGetDeviceIDs);
  RK_OPENCL_FN(clGetDeviceInfo);
  RK_OPENCL_FN(clCreateContext);
  RK_OPENCL_FN(clReleaseContext);
  RK_OPENCL_FN(clCreateCommandQueue);
  RK_OPENCL_FN(clReleaseCommandQueue);
  RK_OPENCL_FN(clFlush);
  RK_OPENCL_FN(clFinish);
  RK_OPENCL_FN(clEnqueueMarkerWithWaitList);
  RK_OPENCL_FN(clGetEventInfo);
  RK_OPENCL_FN(clSetEventCallback);
  RK_OPENCL_FN(clReleaseEvent);
  RK_OPENCL_FN(clCreateBuffer);
  RK_OPENCL_FN(clReleaseMemObject);
  RK_OPENCL_FN(clEnqueueWriteBuffer);
  RK_OPENCL_FN(clEnqueueReadBuffer);
  RK_OPENCL_FN(clEnqueueFillBuffer);
  RK_OPENCL_FN(clCreateProgramWithSource);
  RK_OPENCL_FN(clCreateProgramWithBinary);
  RK_OPENCL_FN(clBuildProgram);
  RK_OPENCL_FN(clGetProgramInfo);
  RK_OPENCL_FN(clGetProgramBuildInfo);
  RK_OPENCL_FN(clReleaseProgram);
  RK_OPENCL_FN(clCreateKernel);
  RK_OPENCL_FN(clReleaseKernel);
  RK_OPENCL_FN(clGetKernelInfo);
  RK_OPENCL_FN(clGetKernelWorkGroupInfo);
  RK_OPENCL_FN(clSetKernelArg);
  RK_OPENCL_FN(clEnqueueNDRangeKernel);
  // OpenCL 2.0: absent from an old loader; then no SVM, so no ring kernels.
  RK_OPENCL_FN(clCreateCommandQueueWithProperties);
  RK_OPENCL_FN(clSVMAlloc);
  RK_OPENCL_FN(clSVMFree);
  RK_OPENCL_FN(clEnqueueSVMMemcpy);
  RK_OPENCL_FN(clEnqueueSVMMemFill);
  RK_OPENCL_FN(clSetKernelArgSVMPointer);
  RK_OPENCL_FN(clSetKernelExecInfo);

  bool has_svm() const {
    return clCreateCommandQueueWithProperties && clSVMAlloc && clSVMFree && clEnqueueSVMMemcpy && clEnqueueSVMMemFill &&
           clSetKernelArgSVMPointer && clSetKernelExecInfo;
  }
};

#undef RK_OPENCL_FN

// Loads libOpenCL.so.1 once per process. Returns the table, or nullptr with `reason` set
// ("libOpenCL.so.1 not found (...)", "libOpenCL.so.1 lacks clGetPlatformIDs").
const ClApi* load_cl_api(std::string& reason);

// The loaded table; only valid after a successful load_cl_api (every handle implies one).
const ClApi& cl();

// "CL_OUT_OF_RESOURCES (-5)"
std::string cl_error_name(cl_int code);

}  // namespace rk::opencl
