// The hip plugin's parts that gpu_common's Backend points at (entry.cpp assembles it).
#pragma once

#include "gpu_common/backend.hpp"

namespace rk::hip {

// hip_device.cpp
void describe_device(gpu::Device& device, int index);

// hip_compiler.cpp: hiprtc as gpu_common's runtime compiler.
extern const gpu::Compiler kHiprtcCompiler;

// hip_clock.cpp: after a dialect module loads, put the device clock in the host's
// CLOCK_REALTIME domain.
rk_result calibrate_module_clock(rk_backend_module module);

}  // namespace rk::hip
