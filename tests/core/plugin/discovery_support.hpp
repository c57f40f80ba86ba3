// Registries over the fixture folders, lookups by file name, runtimes on fixture backends,
// and scoped environment variables.
#pragma once

#include <cstdlib>
#include <optional>
#include <string>

#include <catch2/catch_test_macros.hpp>

#include "ringkernel.h"

namespace discovery_test {

// Only the given folders: no environment path, no default folders.
inline rk_registry registry_over(const std::string& path, uint32_t flags = RK_REGISTRY_NO_ENV_PATH | RK_REGISTRY_NO_DEFAULT_DIRS) {
  rk_registry_options options{};
  options.struct_size = sizeof(options);
  options.flags = flags;
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

inline rk_result create_runtime(rk_registry registry, const char* backend, rk_runtime* runtime) {
  rk_runtime_options options{};
  options.struct_size = sizeof(options);
  options.registry = registry;
  options.backend = backend;
  return rk_runtime_create(&options, runtime);
}

inline bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// Sets (or, with nullptr, unsets) an environment variable for one scope, then restores it.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) previous_ = old;
    if (value) setenv(name, value, 1);
    else unsetenv(name);
  }
  ~ScopedEnv() {
    if (previous_) setenv(name_.c_str(), previous_->c_str(), 1);
    else unsetenv(name_.c_str());
  }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  std::string name_;
  std::optional<std::string> previous_;
};

}  // namespace discovery_test
