// Registries over the fixture folders, and lookups by backend name.
#pragma once

#include <string>

#include <catch2/catch_test_macros.hpp>

#include "ringkernel.h"

namespace discovery_test {

// Only the given folders: no environment path, no default folders.
inline rk_registry registry_over(const std::string& path) {
  rk_registry_options options{};
  options.struct_size = sizeof(options);
  options.flags = RK_REGISTRY_NO_ENV_PATH | RK_REGISTRY_NO_DEFAULT_DIRS;
  options.search_path = path.c_str();
  rk_registry registry = nullptr;
  REQUIRE(rk_registry_create(&options, &registry) == RK_SUCCESS);
  return registry;
}

inline rk_plugin_status status_of(rk_registry registry, const std::string& file_part) {
  for (uint32_t i = 0; i < rk_registry_plugin_count(registry); ++i) {
    rk_plugin_status s{};
    s.struct_size = sizeof(s);
    REQUIRE(rk_registry_plugin_status(registry, i, &s) == RK_SUCCESS);
    if (std::string(s.path).find(file_part) != std::string::npos) return s;
  }
  FAIL("no plugin file containing '" << file_part << "' was found");
  return {};
}

}  // namespace discovery_test
