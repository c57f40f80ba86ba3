// Runs a conformance body once per usable backend, through the public C API only.
#pragma once

#include <functional>
#include <string>

#include <catch2/catch_test_macros.hpp>

#include "ringkernel.h"

namespace conformance {

struct Target {
  std::string backend;
  rk_runtime runtime;
  rk_device_info device;
};

// Calls body(target) in a DYNAMIC_SECTION per backend with a device. Backends that are
// installed but unusable are listed in the skip reason when none can run.
void for_each_backend(const std::function<void(Target&)>& body);

// Compiles dialect source on the target or fails the test with the compiler's log.
rk_module compile(Target& target, const std::string& source, const char* name);

}  // namespace conformance
