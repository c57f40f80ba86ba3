#include "host_clock.hpp"

#include "opencl.hpp"

namespace rk::opencl {

std::unique_ptr<HostClock> create_host_clock(cl_context context, std::string& error) {
  // One 128-byte line of its own: kernels poll it, nothing else should share the line.
  void* word = cl().clSVMAlloc(context, CL_MEM_READ_WRITE | CL_MEM_SVM_FINE_GRAIN_BUFFER | CL_MEM_SVM_ATOMICS, 128, 128);
  if (word == nullptr) {
    error = "clSVMAlloc of the 128-byte clock word failed";
    return nullptr;
  }
  return std::make_unique<HostClock>(static_cast<int64_t*>(word),
                                     [context](void* pointer) { cl().clSVMFree(context, pointer); });
}

}  // namespace rk::opencl
