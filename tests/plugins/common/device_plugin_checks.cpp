#include "device_plugin_checks.hpp"

#include <chrono>
#include <ctime>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch_test_macros.hpp>

namespace rk::test {
namespace {

struct Ping {
  static constexpr uint32_t type_id = 1;
  uint64_t value;
};

struct Pong {
  static constexpr uint32_t type_id = 2;
  uint64_t value;
  uint64_t seen;
};

const char* const kEchoSource = R"(
typedef struct echo_state { uint64_t handled; } echo_state;
typedef struct ping { uint64_t value; } ping;
typedef struct pong { uint64_t value; uint64_t seen; } pong;
RK_INLINE int32_t rk_handler(rk_ctx* ctx, rk_global const rk_msg_header* msg, rk_global const uint8_t* payload) {
  if (msg->type_id != 1u) return RK_ERROR_UNKNOWN_MESSAGE_TYPE;
  rk_global echo_state* state = (rk_global echo_state*)rk_state(ctx);
  pong out;
  out.value = ((rk_global const ping*)payload)->value + 1u;
  out.seen = state->handled;
  state->handled += 1u;
  return rk_reply(ctx, 2u, &out, (uint32_t)sizeof(out));
}
)";

const char* const kVectorAdd = R"(
RK_KERNEL void vector_add(rk_global const float* a, rk_global const float* b, rk_global float* c, uint32_t n) {
  uint32_t i = rk_block_idx(0) * rk_block_dim(0) + rk_thread_idx(0);
  if (i < n) c[i] = a[i] + b[i];
}
)";

const char* const kReadClock = R"(
RK_KERNEL void read_clock(rk_global int64_t* out) { out[0] = rk_clock_ns(); }
)";

int64_t host_realtime_ns() {
  timespec now{};
  clock_gettime(CLOCK_REALTIME, &now);
  return int64_t(now.tv_sec) * 1'000'000'000 + now.tv_nsec;
}

}  // namespace

rk_plugin_status plugin_status(rk_registry& registry, const char* backend, const char* plugin_dir) {
  rk_registry_options options{};
  options.struct_size = sizeof(options);
  options.flags = RK_REGISTRY_NO_ENV_PATH | RK_REGISTRY_NO_DEFAULT_DIRS;
  options.search_path = plugin_dir;
  REQUIRE(rk_registry_create(&options, &registry) == RK_SUCCESS);
  for (uint32_t i = 0; i < rk_registry_plugin_count(registry); ++i) {
    rk_plugin_status s{};
    s.struct_size = sizeof(s);
    REQUIRE(rk_registry_plugin_status(registry, i, &s) == RK_SUCCESS);
    if (std::string(s.name) == backend) return s;
  }
  FAIL("no " << backend << " plugin in " << plugin_dir);
  return {};
}

void require_device(const char* backend, const char* plugin_dir, const char* device_words) {
  rk_registry registry = nullptr;
  rk_plugin_status s = plugin_status(registry, backend, plugin_dir);
  std::string detail = s.detail ? s.detail : "";
  uint32_t devices = s.device_count;
  rk_registry_destroy(registry);
  if (devices == 0) SKIP("no " << device_words << " device: " << detail);
}

void check_loads_and_explains(const char* backend, const char* plugin_dir, std::initializer_list<const char*> reasons) {
  rk_registry registry = nullptr;
  rk_plugin_status s = plugin_status(registry, backend, plugin_dir);
  std::string detail = s.detail ? s.detail : "";
  INFO(s.path << ": " << detail);
  CHECK(s.outcome == RK_PLUGIN_LOADED);
  CHECK(s.abi_major == RK_PLUGIN_ABI_MAJOR);
  if (s.device_count == 0) {
    CHECK(s.reason == RK_PLUGIN_REASON_NO_DEVICES);
    bool explained = false;
    for (const char* reason : reasons) explained = explained || detail.find(reason) != std::string::npos;
    CHECK(explained);
  } else {
    CHECK(s.reason == RK_PLUGIN_REASON_OK);
  }
  rk_registry_destroy(registry);
}

rk_module compile(rk::Runtime& rt, const char* source, const char* name, rk_result expected) {
  rk_module_options options{};
  options.struct_size = sizeof(options);
  options.source = source;
  options.name = name;
  rk_module module = nullptr;
  rk_result r = rk_module_compile(rt.get(), &options, &module);
  INFO(rk_last_error());
  REQUIRE(r == expected);
  return module;
}

void check_vector_add(rk::Runtime& rt, rk_memory_kind b_kind) {
  const uint32_t n = 1000;
  std::vector<float> a(n), b(n), c(n, 0.0f);
  for (uint32_t i = 0; i < n; ++i) {
    a[i] = float(i);
    b[i] = 2.0f * float(i);
  }
  rk_buffer da = nullptr, db = nullptr, dc = nullptr;
  REQUIRE(rk_buffer_create(rt.get(), n * sizeof(float), RK_MEMORY_DEVICE, &da) == RK_SUCCESS);
  REQUIRE(rk_buffer_create(rt.get(), n * sizeof(float), b_kind, &db) == RK_SUCCESS);
  REQUIRE(rk_buffer_create(rt.get(), n * sizeof(float), RK_MEMORY_HOST_MAPPED, &dc) == RK_SUCCESS);
  REQUIRE(rk_buffer_write(da, 0, a.data(), n * sizeof(float)) == RK_SUCCESS);
  REQUIRE(rk_buffer_write(db, 0, b.data(), n * sizeof(float)) == RK_SUCCESS);
  rk_module module = compile(rt, kVectorAdd, "vector_add", RK_SUCCESS);
  rk_function function = nullptr;
  REQUIRE(rk_module_function(module, "vector_add", &function) == RK_SUCCESS);
  rk_launch_config config{};
  config.struct_size = sizeof(config);
  config.grid[0] = (n + 127) / 128;
  config.grid[1] = config.grid[2] = 1;
  config.block[0] = 128;
  config.block[1] = config.block[2] = 1;
  rk_arg args[4] = {};
  args[0].kind = args[1].kind = args[2].kind = RK_ARG_BUFFER;
  args[0].buffer = da;
  args[1].buffer = db;
  args[2].buffer = dc;
  args[3].kind = RK_ARG_VALUE;
  args[3].size = sizeof(n);
  args[3].value = &n;
  REQUIRE(rk_launch(rt.get(), function, &config, args, 4) == RK_SUCCESS);
  REQUIRE(rk_runtime_synchronize(rt.get()) == RK_SUCCESS);
  REQUIRE(rk_buffer_read(dc, 0, c.data(), n * sizeof(float)) == RK_SUCCESS);
  for (uint32_t i = 0; i < n; ++i) REQUIRE(c[i] == 3.0f * float(i));
  rk_function missing = nullptr;
  CHECK(rk_module_function(module, "no_such_kernel", &missing) == RK_ERROR_NOT_FOUND);
  rk_module_destroy(module);
  for (rk_buffer buffer : {da, db, dc}) rk_buffer_destroy(buffer);
}

void check_echo_ring(rk::Runtime& rt) {
  if ((rt.device().caps & RK_CAP_HOST_COHERENT) == 0)
    SKIP("device '" << rt.device().name << "' runs no ring kernels (no host-coherent memory)");
  rk::KernelSpec spec;
  spec.name = "echo";
  spec.source = kEchoSource;
  spec.state_bytes = sizeof(uint64_t);
  spec.input_capacity = 64;
  spec.output_capacity = 64;
  rk::Kernel k = rt.launch(spec);
  for (uint64_t i = 0; i < 100; ++i) {
    Pong pong = k.request<Pong>(Ping{i * 10});
    REQUIRE(pong.value == i * 10 + 1);
    CHECK(pong.seen == i);
  }
  // The loop counts a message after its handler ran, and the reply may reach the host
  // before the count does (over PCIe it often does): wait for it, bounded.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (k.telemetry().messages_processed < 100 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  CHECK(k.telemetry().messages_processed == 100);
  CHECK(k.telemetry().messages_dropped == 0);
  k.terminate();
  CHECK(k.state() == RK_KERNEL_TERMINATED);
}

void check_device_clock(rk::Runtime& rt, int64_t slack_ns) {
  rk_buffer out = nullptr;
  REQUIRE(rk_buffer_create(rt.get(), sizeof(int64_t), RK_MEMORY_HOST_MAPPED, &out) == RK_SUCCESS);
  rk_module module = compile(rt, kReadClock, "read_clock", RK_SUCCESS);
  rk_function function = nullptr;
  REQUIRE(rk_module_function(module, "read_clock", &function) == RK_SUCCESS);
  rk_launch_config config{};
  config.struct_size = sizeof(config);
  config.grid[0] = config.grid[1] = config.grid[2] = 1;
  config.block[0] = config.block[1] = config.block[2] = 1;
  rk_arg arg{};
  arg.kind = RK_ARG_BUFFER;
  arg.buffer = out;
  for (int i = 0; i < 5; ++i) {
    int64_t before = host_realtime_ns();
    REQUIRE(rk_launch(rt.get(), function, &config, &arg, 1) == RK_SUCCESS);
    REQUIRE(rk_runtime_synchronize(rt.get()) == RK_SUCCESS);
    int64_t after = host_realtime_ns();
    int64_t device = 0;
    REQUIRE(rk_buffer_read(out, 0, &device, sizeof(device)) == RK_SUCCESS);
    INFO("host " << before << " .. " << after << ", device " << device << " (" << device - before
                 << " ns after the launch began)");
    CHECK(device >= before - slack_ns);
    CHECK(device <= after + slack_ns);
  }
  rk_module_destroy(module);
  rk_buffer_destroy(out);
}

}  // namespace rk::test
