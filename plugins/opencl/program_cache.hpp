// The program binary cache: where binaries live, the content key that names them, and
// atomic publication (temporary file, then rename).
#pragma once

#include <filesystem>
#include <string>

#include "opencl.hpp"

namespace rk::opencl {

// Everything that decides the bytes clBuildProgram produces, besides the device.
struct ProgramBuild {
  std::string source;   // exactly what clCreateProgramWithSource gets
  std::string options;  // exactly what clBuildProgram gets
  bool context_bound = false;  // embeds a context's clock address: never written to disk
};

// RINGKERNEL_CACHE_DIR, else $XDG_CACHE_HOME/ringkernel, else ~/.cache/ringkernel; plus /opencl.
std::filesystem::path cache_directory();

// SHA-256 over source, options, device name, driver and platform version, plugin ABI.
std::string cache_key(const ProgramBuild& build, const Device& device);

// The file's bytes, or false when it cannot be read.
bool read_binary(const std::filesystem::path& path, std::string& bytes);

// Writes through a temporary name and rename(), so a concurrent reader sees no file or a
// whole one. The cache only saves time: a failure is returned as text, never fatal.
std::string store_binary(const std::filesystem::path& path, const std::string& bytes);

}  // namespace rk::opencl
