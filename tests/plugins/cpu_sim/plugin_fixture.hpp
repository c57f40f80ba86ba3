// Loads the built cpu_sim plugin once per process and wraps the table calls the tests
// repeat. Every helper REQUIREs success and shows the plugin's last error when it fails.
#pragma once

#include <catch2/catch_test_macros.hpp>
#include <string>
#include <vector>

#include "rk_plugin.h"

namespace cpu_sim_test {

const rk_backend_table& table();
rk_backend_context context();        // device 0, created once
rk_backend_stream default_stream();  // created once, shared by tests that need any stream
std::vector<std::string> logged_messages();

std::string last_error();

// An empty cache folder (scratch/<label>), made the plugin's cache through RINGKERNEL_CACHE_DIR.
std::string use_fresh_cache_dir(const std::string& label);

struct Compiled {
  rk_result result = RK_ERROR_INTERNAL;
  rk_backend_module module = nullptr;
  std::string log;
};
Compiled compile(const std::string& source, const char* options = nullptr, rk_source_kind kind = RK_SOURCE_DIALECT);
rk_backend_module compile_ok(const std::string& source);
rk_backend_function function(rk_backend_module module, const char* name);

rk_backend_buffer alloc(size_t bytes, rk_memory_kind kind = RK_MEMORY_DEVICE);
void* host_view(rk_backend_buffer buffer);

rk_launch_config grid_1d(uint32_t blocks, uint32_t threads, uint32_t flags = 0);
rk_kernel_arg buffer_arg(rk_backend_buffer buffer);
rk_kernel_arg value_arg(const uint32_t& value);

}  // namespace cpu_sim_test
