// hiprtc (hiprtc.cpp) in the shape gpu_common's compile step expects.
#include "gpu_common/gpu.hpp"
#include "hip_backend.hpp"
#include "hiprtc.hpp"

namespace rk::hip {
namespace {

// The device's full gcnArchName, features included (xnack/sramecc must match the device's
// mode for the code object to load).
rk_result target_for(const gpu::Device& device, gpu::BuildTarget& out) {
  if (device.arch.empty())
    return gpu::fail(RK_ERROR_BACKEND_UNAVAILABLE, "hip: the device's gfx target could not be read");
  if (std::string why = check_target(device.arch); !why.empty())
    return gpu::fail(RK_ERROR_UNSUPPORTED, "hip: " + why);
  out.target = device.arch;
  out.options = default_options(device.arch);
  out.extension = ".hsaco";
  return RK_SUCCESS;
}

rk_result compile(const std::string& source, const std::vector<std::string>& options, const char* name,
                  gpu::CompiledImage& out, std::string& error) {
  HiprtcResult built;
  rk_result r = hiprtc_compile(source, options, name, built, error);
  out.image = std::move(built.image);
  out.log = std::move(built.log);
  return r;
}

}  // namespace

const gpu::Compiler kHiprtcCompiler = {"hiprtc", dialect_source, target_for, hiprtc_identity, compile};

}  // namespace rk::hip
