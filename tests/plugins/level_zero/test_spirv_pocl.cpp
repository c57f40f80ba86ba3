// An execution check of the SPIR-V the plugin makes, without a Level Zero device: where an
// OpenCL device takes SPIR-V (CL_DEVICE_IL_VERSION lists SPIR-V; PoCL does when built with
// SPIR-V support), run the vector add from clCreateProgramWithIL there. SKIPs saying why
// otherwise (Debian's PoCL 3.1 reports no IL).
#include <dlfcn.h>

#include <string>
#include <vector>

#include <catch2/catch_test_macros.hpp>

#include "spirv_check.hpp"

#if __has_include(<CL/cl.h>)
#define CL_TARGET_OPENCL_VERSION 300
#include <CL/cl.h>

namespace {

#define RK_CL_FN(name) decltype(&::name) name = nullptr
struct Cl {
  RK_CL_FN(clGetPlatformIDs);
  RK_CL_FN(clGetDeviceIDs);
  RK_CL_FN(clGetDeviceInfo);
  RK_CL_FN(clCreateContext);
  RK_CL_FN(clReleaseContext);
  RK_CL_FN(clCreateCommandQueueWithProperties);
  RK_CL_FN(clReleaseCommandQueue);
  RK_CL_FN(clCreateProgramWithIL);
  RK_CL_FN(clBuildProgram);
  RK_CL_FN(clGetProgramBuildInfo);
  RK_CL_FN(clReleaseProgram);
  RK_CL_FN(clCreateKernel);
  RK_CL_FN(clReleaseKernel);
  RK_CL_FN(clCreateBuffer);
  RK_CL_FN(clReleaseMemObject);
  RK_CL_FN(clSetKernelArg);
  RK_CL_FN(clEnqueueNDRangeKernel);
  RK_CL_FN(clEnqueueReadBuffer);
  RK_CL_FN(clFinish);
};
#undef RK_CL_FN

// The OpenCL 2.1 entry points, or SKIP with why they are not there.
Cl load_cl() {
  void* library = dlopen("libOpenCL.so.1", RTLD_NOW | RTLD_LOCAL);
  if (library == nullptr) SKIP("libOpenCL.so.1 not found: no OpenCL device to run the SPIR-V on");
  Cl cl;
#define RK_CL_LOAD(name) \
  cl.name = reinterpret_cast<decltype(cl.name)>(dlsym(library, #name)); \
  if (cl.name == nullptr) SKIP("libOpenCL.so.1 lacks " #name " (OpenCL 2.1 ICD loader needed)")
  RK_CL_LOAD(clGetPlatformIDs);
  RK_CL_LOAD(clGetDeviceIDs);
  RK_CL_LOAD(clGetDeviceInfo);
  RK_CL_LOAD(clCreateContext);
  RK_CL_LOAD(clReleaseContext);
  RK_CL_LOAD(clCreateCommandQueueWithProperties);
  RK_CL_LOAD(clReleaseCommandQueue);
  RK_CL_LOAD(clCreateProgramWithIL);
  RK_CL_LOAD(clBuildProgram);
  RK_CL_LOAD(clGetProgramBuildInfo);
  RK_CL_LOAD(clReleaseProgram);
  RK_CL_LOAD(clCreateKernel);
  RK_CL_LOAD(clReleaseKernel);
  RK_CL_LOAD(clCreateBuffer);
  RK_CL_LOAD(clReleaseMemObject);
  RK_CL_LOAD(clSetKernelArg);
  RK_CL_LOAD(clEnqueueNDRangeKernel);
  RK_CL_LOAD(clEnqueueReadBuffer);
  RK_CL_LOAD(clFinish);
#undef RK_CL_LOAD
  return cl;
}

std::string device_string(const Cl& cl, cl_device_id device, cl_device_info what) {
  size_t size = 0;
  if (cl.clGetDeviceInfo(device, what, 0, nullptr, &size) != CL_SUCCESS || size == 0) return "";
  std::string text(size, '\0');
  if (cl.clGetDeviceInfo(device, what, size, text.data(), nullptr) != CL_SUCCESS) return "";
  while (!text.empty() && text.back() == '\0') text.pop_back();
  return text;
}

// The first OpenCL device whose IL versions name SPIR-V; `seen` lists the others.
cl_device_id spirv_device(const Cl& cl, std::string& seen) {
  cl_uint platform_count = 0;
  if (cl.clGetPlatformIDs(0, nullptr, &platform_count) != CL_SUCCESS || platform_count == 0) return nullptr;
  std::vector<cl_platform_id> platforms(platform_count);
  cl.clGetPlatformIDs(platform_count, platforms.data(), nullptr);
  for (cl_platform_id platform : platforms) {
    cl_uint count = 0;
    if (cl.clGetDeviceIDs(platform, CL_DEVICE_TYPE_ALL, 0, nullptr, &count) != CL_SUCCESS || count == 0) continue;
    std::vector<cl_device_id> devices(count);
    cl.clGetDeviceIDs(platform, CL_DEVICE_TYPE_ALL, count, devices.data(), nullptr);
    for (cl_device_id device : devices) {
      std::string il = device_string(cl, device, CL_DEVICE_IL_VERSION);
      if (il.find("SPIR-V") != std::string::npos) return device;
      seen += "'" + device_string(cl, device, CL_DEVICE_NAME) + "' (CL_DEVICE_IL_VERSION: \"" + il + "\") ";
    }
  }
  return nullptr;
}

}  // namespace

TEST_CASE("the SPIR-V vector add runs on an OpenCL device that takes SPIR-V", "[level_zero][spirv][pocl]") {
  auto built = rk::test::compile_dialect(rk::test::kVectorAdd, "vector_add");
  Cl cl = load_cl();
  std::string seen;
  cl_device_id device = spirv_device(cl, seen);
  if (device == nullptr) SKIP("no OpenCL device accepts SPIR-V through clCreateProgramWithIL: " << seen);
  cl_int status = CL_SUCCESS;
  cl_context context = cl.clCreateContext(nullptr, 1, &device, nullptr, nullptr, &status);
  REQUIRE(context != nullptr);
  cl_command_queue queue = cl.clCreateCommandQueueWithProperties(context, device, nullptr, &status);
  REQUIRE(queue != nullptr);
  cl_program program = cl.clCreateProgramWithIL(context, built.spirv.data(), built.spirv.size(), &status);
  REQUIRE(program != nullptr);
  status = cl.clBuildProgram(program, 1, &device, "", nullptr, nullptr);
  if (status != CL_SUCCESS) {
    std::string log(16384, '\0');
    cl.clGetProgramBuildInfo(program, device, CL_PROGRAM_BUILD_LOG, log.size(), log.data(), nullptr);
    FAIL("clBuildProgram of the SPIR-V failed (" << status << "): " << log.c_str());
  }
  cl_kernel kernel = cl.clCreateKernel(program, "vector_add", &status);
  REQUIRE(kernel != nullptr);
  const cl_uint n = 1000;
  std::vector<float> a(n), b(n), c(n, 0.0f);
  for (cl_uint i = 0; i < n; ++i) {
    a[i] = float(i);
    b[i] = 2.0f * float(i);
  }
  cl_mem da = cl.clCreateBuffer(context, CL_MEM_READ_ONLY | CL_MEM_COPY_HOST_PTR, n * sizeof(float), a.data(), &status);
  cl_mem db = cl.clCreateBuffer(context, CL_MEM_READ_ONLY | CL_MEM_COPY_HOST_PTR, n * sizeof(float), b.data(), &status);
  cl_mem dc = cl.clCreateBuffer(context, CL_MEM_WRITE_ONLY, n * sizeof(float), nullptr, &status);
  REQUIRE((da && db && dc));
  CHECK(cl.clSetKernelArg(kernel, 0, sizeof(cl_mem), &da) == CL_SUCCESS);
  CHECK(cl.clSetKernelArg(kernel, 1, sizeof(cl_mem), &db) == CL_SUCCESS);
  CHECK(cl.clSetKernelArg(kernel, 2, sizeof(cl_mem), &dc) == CL_SUCCESS);
  CHECK(cl.clSetKernelArg(kernel, 3, sizeof(n), &n) == CL_SUCCESS);
  size_t local = 64, global = ((n + local - 1) / local) * local;
  REQUIRE(cl.clEnqueueNDRangeKernel(queue, kernel, 1, nullptr, &global, &local, 0, nullptr, nullptr) == CL_SUCCESS);
  REQUIRE(cl.clEnqueueReadBuffer(queue, dc, CL_TRUE, 0, n * sizeof(float), c.data(), 0, nullptr, nullptr) == CL_SUCCESS);
  for (cl_uint i = 0; i < n; ++i) REQUIRE(c[i] == 3.0f * float(i));
  for (cl_mem buffer : {da, db, dc}) cl.clReleaseMemObject(buffer);
  cl.clReleaseKernel(kernel);
  cl.clReleaseProgram(program);
  cl.clReleaseCommandQueue(queue);
  cl.clReleaseContext(context);
}

#else

TEST_CASE("the SPIR-V vector add runs on an OpenCL device that takes SPIR-V", "[level_zero][spirv][pocl]") {
  SKIP("CL/cl.h not installed (Debian: opencl-headers): no OpenCL execution check");
}

#endif
