// The cuda plugin's parts that gpu_common's Backend points at (entry.cpp assembles it).
#pragma once

#include "gpu_common/backend.hpp"

namespace rk::cuda {

// cuda_device.cpp
void describe_device(gpu::Device& device, int index);

// cuda_compiler.cpp: NVRTC as gpu_common's runtime compiler.
extern const gpu::Compiler kNvrtcCompiler;

// cuda_clock.cpp: after a dialect module loads, puts the device clock in step with the
// host's CLOCK_REALTIME (the prelude's rk_cuda_clock_offset_ns).
rk_result calibrate_module_clock(rk_backend_module module);

}  // namespace rk::cuda
