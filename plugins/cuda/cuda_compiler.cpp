// NVRTC (nvrtc.cpp) in the shape gpu_common's compile step expects.
#include "cuda_backend.hpp"
#include "gpu_common/gpu.hpp"
#include "nvrtc.hpp"

namespace rk::cuda {
namespace {

rk_result target_for(const gpu::Device& device, gpu::BuildTarget& out) {
  std::string reason;
  out.target = pick_target(device.major, device.minor, reason);
  if (out.target.empty()) return gpu::fail(RK_ERROR_BACKEND_UNAVAILABLE, "cuda: " + reason);
  out.options = default_options(out.target);
  out.extension = out.target.rfind("sm_", 0) == 0 ? ".cubin" : ".ptx";
  return RK_SUCCESS;
}

// "nvrtc <version>": the cache key part it always was, so existing caches stay valid.
std::string identity() { return "nvrtc " + nvrtc_version(); }

rk_result compile(const std::string& source, const std::vector<std::string>& options, const char* name,
                  gpu::CompiledImage& out, std::string& error) {
  NvrtcResult built;
  rk_result r = nvrtc_compile(source, options, name, built, error);
  out.image = std::move(built.image);
  out.log = std::move(built.log);
  return r;
}

}  // namespace

const gpu::Compiler kNvrtcCompiler = {"NVRTC", dialect_source, target_for, identity, compile};

}  // namespace rk::cuda
