// The cuda plugin's parts that gpu_common's Backend points at (entry.cpp assembles it).
#pragma once

#include "gpu_common/backend.hpp"

namespace rk::cuda {

// cuda_device.cpp
void describe_device(gpu::Device& device, int index);

// cuda_compiler.cpp: NVRTC as gpu_common's runtime compiler.
extern const gpu::Compiler kNvrtcCompiler;

}  // namespace rk::cuda
