// Loads the built opencl plugin once per process and wraps the table calls the tests
// repeat. Tests that need a device call require_device() first: without one they SKIP
// with the plugin's reason, never pass silently. Every helper REQUIREs success and shows
// the plugin's last error when it fails.
#pragma once

#include <string>
#include <vector>

#include <catch2/catch_test_macros.hpp>

#include "rk_plugin.h"

namespace opencl_test {

const rk_backend_table& table();
std::string last_error();

// Device 0's info; SKIPs the test with the probe's reason when there is no device.
const rk_device_info& require_device();
// Also SKIPs when the device cannot run persistent kernels (no fine-grained SVM atomics).
const rk_device_info& require_ring_device();

rk_backend_context context();        // device 0, created once
rk_backend_stream default_stream();  // created once

struct Compiled {
  rk_result result = RK_ERROR_INTERNAL;
  rk_backend_module module = nullptr;
  std::string log;
};
Compiled compile(const std::string& source, const char* options = nullptr, const char* name = "test");
rk_backend_module compile_ok(const std::string& source);
rk_backend_function function(rk_backend_module module, const char* name);

rk_backend_buffer alloc(size_t bytes, rk_memory_kind kind = RK_MEMORY_DEVICE);
void* host_view(rk_backend_buffer buffer);

rk_launch_config grid_1d(uint32_t blocks, uint32_t threads, uint32_t flags = 0);
rk_kernel_arg buffer_arg(rk_backend_buffer buffer);
rk_kernel_arg value_arg(const uint32_t& value);

}  // namespace opencl_test
