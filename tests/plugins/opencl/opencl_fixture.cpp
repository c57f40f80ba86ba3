#include "opencl_fixture.hpp"

#include <dlfcn.h>

#include <chrono>

namespace opencl_test {
namespace {

void ignore_log(void*, rk_log_level, const char*, size_t) {}

int64_t realtime_ns(void*) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

const rk_backend_table* load() {
  void* library = dlopen(RK_OPENCL_PLUGIN_FILE, RTLD_NOW | RTLD_LOCAL);
  INFO("dlopen " << RK_OPENCL_PLUGIN_FILE << ": " << (library ? "" : dlerror()));
  REQUIRE(library != nullptr);
  auto entry = reinterpret_cast<rk_plugin_entry_fn>(dlsym(library, RK_PLUGIN_ENTRY_NAME));
  REQUIRE(entry != nullptr);
  static rk_host_services host{sizeof(rk_host_services), RK_PLUGIN_ABI_MAJOR, RK_PLUGIN_ABI_MINOR, 0, nullptr,
                               ignore_log, realtime_ns, nullptr, nullptr};
  const rk_backend_table* loaded = nullptr;
  char error[512] = {};
  rk_text_out error_out{error, sizeof(error), 0};
  INFO("rk_plugin_entry: " << error);
  REQUIRE(entry(&host, &loaded, &error_out) == RK_SUCCESS);
  REQUIRE(loaded != nullptr);
  return loaded;
}

struct Probe {
  uint32_t count = 0;
  std::string reason;
  rk_device_info info{};
};

const Probe& probed() {
  static const Probe result = [] {
    Probe p;
    REQUIRE(table().probe(&p.count) == RK_SUCCESS);
    p.reason = last_error();
    if (p.count > 0) {
      p.info.struct_size = sizeof(p.info);
      REQUIRE(table().get_device_info(0, &p.info) == RK_SUCCESS);
    }
    return p;
  }();
  return result;
}

}  // namespace

const rk_backend_table& table() {
  static const rk_backend_table* loaded = load();
  return *loaded;
}

std::string last_error() { return table().last_error(); }

const rk_device_info& require_device() {
  const Probe& p = probed();
  if (p.count == 0) SKIP("no OpenCL device: " << p.reason);
  return p.info;
}

const rk_device_info& require_ring_device() {
  const rk_device_info& info = require_device();
  if (!(info.caps & RK_CAP_PERSISTENT_KERNELS))
    SKIP("OpenCL device '" << info.name << "' cannot run persistent kernels (no fine-grained SVM with atomics)");
  return info;
}

rk_backend_context context() {
  require_device();
  static rk_backend_context created = [] {
    rk_backend_context c = nullptr;
    INFO(last_error());
    REQUIRE(table().context_create(0, &c) == RK_SUCCESS);
    return c;
  }();
  return created;
}

rk_backend_stream default_stream() {
  rk_backend_context c = context();  // SKIPs first when there is no device
  static rk_backend_stream created = [c] {
    rk_backend_stream s = nullptr;
    INFO(last_error());
    REQUIRE(table().stream_create(c, &s) == RK_SUCCESS);
    return s;
  }();
  return created;
}

Compiled compile(const std::string& source, const char* options, const char* name) {
  rk_backend_context c = context();
  rk_compile_request request{sizeof(rk_compile_request), RK_SOURCE_DIALECT, source.data(), source.size(), options, name};
  std::string log(256 * 1024, '\0');
  rk_text_out log_out{log.data(), log.size(), 0};
  Compiled out;
  out.result = table().module_compile(c, &request, &out.module, &log_out);
  log.resize(std::min(log_out.size, log.size() - 1));
  out.log = log;
  return out;
}

rk_backend_module compile_ok(const std::string& source) {
  Compiled c = compile(source);
  INFO("build log: " << c.log << "\nlast error: " << last_error());
  REQUIRE(c.result == RK_SUCCESS);
  return c.module;
}

rk_backend_function function(rk_backend_module module, const char* name) {
  rk_backend_function f = nullptr;
  INFO(last_error());
  REQUIRE(table().function_get(module, name, &f) == RK_SUCCESS);
  return f;
}

rk_backend_buffer alloc(size_t bytes, rk_memory_kind kind) {
  rk_backend_context c = context();  // outside the REQUIRE: its SKIP must not count as a failure
  rk_backend_buffer b = nullptr;
  INFO(last_error());
  REQUIRE(table().buffer_alloc(c, bytes, kind, &b) == RK_SUCCESS);
  return b;
}

void* host_view(rk_backend_buffer buffer) {
  void* p = nullptr;
  INFO(last_error());
  REQUIRE(table().buffer_map(buffer, &p) == RK_SUCCESS);
  return p;
}

rk_launch_config grid_1d(uint32_t blocks, uint32_t threads, uint32_t flags) {
  rk_launch_config c{};
  c.struct_size = sizeof(c);
  c.grid[0] = blocks;
  c.grid[1] = c.grid[2] = 1;
  c.block[0] = threads;
  c.block[1] = c.block[2] = 1;
  c.flags = flags;
  return c;
}

rk_kernel_arg buffer_arg(rk_backend_buffer buffer) { return rk_kernel_arg{RK_ARG_BUFFER, 0, nullptr, buffer}; }

rk_kernel_arg value_arg(const uint32_t& value) { return rk_kernel_arg{RK_ARG_VALUE, sizeof(value), &value, nullptr}; }

}  // namespace opencl_test
