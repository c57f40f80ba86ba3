#include "plugin_fixture.hpp"

#include <dlfcn.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <mutex>

namespace cpu_sim_test {
namespace {

std::mutex g_log_mutex;
std::vector<std::string> g_log;

void record_log(void*, rk_log_level, const char* message, size_t length) {
  std::lock_guard lock(g_log_mutex);
  g_log.emplace_back(message, length);
}

int64_t realtime_ns(void*) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

const rk_backend_table* load() {
  void* library = dlopen(RK_CPU_SIM_PLUGIN_FILE, RTLD_NOW | RTLD_LOCAL);
  INFO("dlopen " << RK_CPU_SIM_PLUGIN_FILE << ": " << (library ? "" : dlerror()));
  REQUIRE(library != nullptr);
  auto entry = reinterpret_cast<rk_plugin_entry_fn>(dlsym(library, RK_PLUGIN_ENTRY_NAME));
  REQUIRE(entry != nullptr);
  static rk_host_services host{
      sizeof(rk_host_services), RK_PLUGIN_ABI_MAJOR, RK_PLUGIN_ABI_MINOR, 0, nullptr, record_log, realtime_ns, nullptr, nullptr};
  const rk_backend_table* loaded = nullptr;
  char error[512] = {};
  rk_text_out error_out{error, sizeof(error), 0};
  INFO("rk_plugin_entry: " << error);
  REQUIRE(entry(&host, &loaded, &error_out) == RK_SUCCESS);
  REQUIRE(loaded != nullptr);
  return loaded;
}

}  // namespace

const rk_backend_table& table() {
  static const rk_backend_table* loaded = load();
  return *loaded;
}

rk_backend_context context() {
  static rk_backend_context created = [] {
    rk_backend_context c = nullptr;
    REQUIRE(table().context_create(0, &c) == RK_SUCCESS);
    return c;
  }();
  return created;
}

rk_backend_stream default_stream() {
  static rk_backend_stream created = [] {
    rk_backend_stream s = nullptr;
    REQUIRE(table().stream_create(context(), &s) == RK_SUCCESS);
    return s;
  }();
  return created;
}

std::vector<std::string> logged_messages() {
  std::lock_guard lock(g_log_mutex);
  return g_log;
}

std::string last_error() { return table().last_error(); }

std::string use_fresh_cache_dir(const std::string& label) {
  namespace fs = std::filesystem;
  fs::path dir = fs::path(RK_CPU_SIM_TEST_SCRATCH) / label;  // one test case per label: no sharing
  fs::remove_all(dir);
  fs::create_directories(dir);
  fs::permissions(dir, fs::perms::owner_all, fs::perm_options::replace);  // trusted whatever the umask
  setenv("RINGKERNEL_CACHE_DIR", dir.c_str(), 1);
  return dir.string();
}

Compiled compile(const std::string& source, const char* options, rk_source_kind kind) {
  rk_compile_request request{sizeof(rk_compile_request), kind, source.data(), source.size(), options, "test"};
  std::string log(64 * 1024, '\0');
  rk_text_out log_out{log.data(), log.size(), 0};
  Compiled out;
  out.result = table().module_compile(context(), &request, &out.module, &log_out);
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
  rk_backend_buffer b = nullptr;
  REQUIRE(table().buffer_alloc(context(), bytes, kind, &b) == RK_SUCCESS);
  return b;
}

void* host_view(rk_backend_buffer buffer) {
  void* p = nullptr;
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

}  // namespace cpu_sim_test
