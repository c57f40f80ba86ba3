// Runs a conformance body once per backend device, through the public C API only.
#pragma once

#include <catch2/catch_test_macros.hpp>
#include <functional>
#include <string>

#include "ringkernel.h"

namespace conformance {

struct Target {
  std::string backend;
  uint32_t device_index = 0;
  rk_runtime runtime = nullptr;
  rk_device_info device{};
};

// "" (every backend) or the one backend --backend named.
void only_backend(const std::string& backend);

// Calls body(target) in a DYNAMIC_SECTION per device of every backend: the ones the default
// registry finds plus the ones the project ships (cpu_sim, opencl, cuda, hip, level_zero).
// A backend that is absent, rejected or without a device SKIPs with the registry's reason.
void for_each_backend(const std::function<void(Target&)>& body);

// SKIPs when the backend lists `feature` among its known gaps (docs/backends.md).
void skip_known_gap(const Target& target, const std::string& feature);

// Compiles dialect source on the target or fails the test with the compiler's log.
rk_module compile(Target& target, const std::string& source, const char* name);

}  // namespace conformance
