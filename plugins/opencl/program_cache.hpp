// The program binary cache's key: what decides the bytes clBuildProgram produces. Where
// binaries live and how they are published is the shared image cache (common/image_cache).
#pragma once

#include <string>

#include "common/image_cache.hpp"
#include "opencl.hpp"

namespace rk::opencl {

using plugin_common::cache_directory;
using plugin_common::read_image;
using plugin_common::store_image;

// Everything that decides the bytes clBuildProgram produces, besides the device.
struct ProgramBuild {
  std::string source;   // exactly what clCreateProgramWithSource gets
  std::string options;  // exactly what clBuildProgram gets
  bool context_bound = false;  // embeds a context's clock address: never written to disk
};

// SHA-256 over source, options, device name, vendor, driver and platform version, plugin ABI.
std::string cache_key(const ProgramBuild& build, const Device& device);

}  // namespace rk::opencl
