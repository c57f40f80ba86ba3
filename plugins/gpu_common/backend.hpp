// What a GPU backend plugin (cuda, hip) supplies to gpu_common: its name and capabilities,
// its driver table and how to load it, how to describe a device, and its runtime compiler.
// Each plugin defines rk::gpu::kBackend; gpu_common is linked into each plugin separately.
#pragma once

#include <string>
#include <vector>

#include "gpu_common/driver.hpp"
#include "rk_plugin.h"

namespace rk::gpu {

// One device as probe() found it; lives until the plugin is unloaded.
struct Device {
  DeviceHandle handle = 0;
  rk_device_info info{};
  int major = 0, minor = 0;  // CUDA compute capability
  std::string arch;          // HIP: gcnArchName ("gfx90a:sramecc+:xnack-")
  bool host_mapped = false;  // mapped pinned host memory at the same address on both sides
  bool managed = false;      // SHARED buffers
};

// What the runtime compiler decides per device: its target, default options, file extension
// of the image in the cache.
struct BuildTarget {
  std::string target;  // "sm_90", "compute_90", "gfx90a:sramecc+:xnack-"
  std::vector<std::string> options;
  std::string extension;  // ".cubin", ".ptx", ".hsaco"
};

struct CompiledImage {
  std::string image;
  std::string log;  // the compiler's program log (warnings on success)
};

struct Compiler {
  const char* name;  // "NVRTC", "hiprtc": for messages
  // The backend's prelude followed by the user's dialect source.
  std::string (*dialect_source)(const std::string& user);
  // RK_SUCCESS with `out`, or an error (in last_error) when this compiler cannot target the device.
  rk_result (*target_for)(const Device& device, BuildTarget& out);
  // "nvrtc 13.0": part of every cache key, as another compiler version may emit other code.
  std::string (*identity)();
  // RK_ERROR_COMPILE_FAILED with the compiler's log in `error` (and out.log); BACKEND_UNAVAILABLE
  // when the compiler library is missing.
  rk_result (*compile)(const std::string& source, const std::vector<std::string>& options, const char* name,
                       CompiledImage& out, std::string& error);
};

struct Backend {
  const char* name;  // "cuda": the table's name and every message's prefix
  uint64_t caps;     // RK_CAP_* the backend can offer at all
  StatusCodes status;
  DriverConstants constants;
  // dlopen + init, once per process: the table, or nullptr with the reason for 0 devices.
  const DriverApi* (*load)(std::string& reason);
  // "CUDA_ERROR_OUT_OF_MEMORY (2)"; works before the library loads (the number only).
  std::string (*error_name)(Status status);
  // The probe's reason when the driver loads but lists no device.
  const char* no_device_reason;
  // Fills device.info (name, vendor, limits, caps) and the fields above from the driver.
  void (*describe)(Device& device, int index);
  const Compiler* compiler;
  // Called after a compiled module loads (may be NULL): CUDA and HIP calibrate the device clock.
  rk_result (*after_module_load)(rk_backend_module module);
};

// Defined by the plugin that links gpu_common.
extern const Backend kBackend;

}  // namespace rk::gpu
