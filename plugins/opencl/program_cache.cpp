#include "program_cache.hpp"

namespace rk::opencl {

std::string cache_key(const ProgramBuild& build, const Device& device) {
  return plugin_common::cache_key(build.source,
                                  {build.options, device.info.name, device.info.vendor, device.info.driver_version,
                                   device.platform_version},
                                  "opencl");
}

}  // namespace rk::opencl
