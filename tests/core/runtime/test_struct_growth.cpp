// The struct-growth rule at every entry point that takes or fills a struct: the first
// published (0.1.0) size and the current size both work, a newer caller's larger struct is
// filled only as far as we know it, a size below the first is a clear error, and nothing
// is written past what struct_size covers (guard bytes here; ASan in the asan preset).
#include <cstddef>
#include <cstring>
#include <string>
#include <vector>

#include "ring_test_support.hpp"

using namespace ringtest;

namespace {

// Where each struct ended in 0.1.0 (fields are only appended; tests/abi pins the offsets).
#define END_OF(type, field) (offsetof(type, field) + sizeof(((type*)nullptr)->field))
constexpr size_t kStatusV01 = END_OF(rk_kernel_status, reserved0);
constexpr size_t kKernelOptionsV01 = END_OF(rk_kernel_options, peers);
constexpr size_t kPluginStatusV01 = END_OF(rk_plugin_status, detail);
constexpr size_t kDeviceInfoV01 = END_OF(rk_device_info, reserved0);

constexpr uint8_t kGuard = 0xA5;

// A caller's struct of `size` bytes with guard bytes behind it.
template <class T>
struct Guarded {
  explicit Guarded(size_t bytes_wanted) : bytes(bytes_wanted + 64, kGuard), size(bytes_wanted) {
    std::memset(bytes.data(), 0, size);
    uint32_t struct_size = static_cast<uint32_t>(size);
    std::memcpy(bytes.data(), &struct_size, sizeof(struct_size));
  }
  T* get() { return reinterpret_cast<T*>(bytes.data()); }
  bool guard_intact() const {
    for (size_t i = size; i < bytes.size(); ++i)
      if (bytes[i] != kGuard) return false;
    return true;
  }
  uint32_t struct_size() const {
    uint32_t value = 0;
    std::memcpy(&value, bytes.data(), sizeof(value));
    return value;
  }
  alignas(16) std::vector<uint8_t> bytes;
  size_t size;
};

bool error_mentions(const char* needle) { return std::string(rk_last_error()).find(needle) != std::string::npos; }

}  // namespace

TEST_CASE("kernel status: 0.1 size, current size, newer size, zero, too small", "[abi][growth]") {
  rk::Kernel k = runtime().launch(echo_spec("growth_status"));
  k.request<Pong>(Ping{1});
  telemetry_after(k, 1);
  SECTION("0.1 size: the fields it has, nothing past them") {
    Guarded<rk_kernel_status> s(kStatusV01);
    REQUIRE(rk_kernel_get_status(k.get(), s.get()) == RK_SUCCESS);
    CHECK(s.guard_intact());
    CHECK(s.struct_size() == kStatusV01);
    CHECK(s.get()->messages_processed == 1);
  }
  SECTION("current size") {
    rk_kernel_status s = RK_KERNEL_STATUS_INIT;
    REQUIRE(rk_kernel_get_status(k.get(), &s) == RK_SUCCESS);
    CHECK(s.struct_size == sizeof(rk_kernel_status));
    CHECK(s.state == RK_KERNEL_ACTIVE);
  }
  SECTION("a newer caller's larger struct is filled as far as this library knows it") {
    Guarded<rk_kernel_status> s(sizeof(rk_kernel_status) + 32);
    std::memset(s.bytes.data() + sizeof(rk_kernel_status), 0x11, 32);
    REQUIRE(rk_kernel_get_status(k.get(), s.get()) == RK_SUCCESS);
    CHECK(s.struct_size() == sizeof(rk_kernel_status));
    CHECK(s.bytes[sizeof(rk_kernel_status)] == 0x11);  // untouched
  }
  SECTION("0 is the 0.1 size for the status (the 0.1 C++ layer sent 0)") {
    Guarded<rk_kernel_status> s(kStatusV01);
    std::memset(s.bytes.data(), 0, 4);
    REQUIRE(rk_kernel_get_status(k.get(), s.get()) == RK_SUCCESS);
    CHECK(s.guard_intact());
  }
  SECTION("below the first published size") {
    Guarded<rk_kernel_status> s(8);
    CHECK(rk_kernel_get_status(k.get(), s.get()) == RK_ERROR_INVALID_ARGUMENT);
    CHECK(error_mentions("rk_kernel_status.struct_size is 8"));
    CHECK(s.guard_intact());
  }
}

TEST_CASE("kernel options: fields past a 0.1 struct_size are never read", "[abi][growth]") {
  // Garbage where the newer fields would be: an outbox capacity of 0xA5A5A5A5 would be
  // refused if it were read.
  Guarded<rk_kernel_options> o(kKernelOptionsV01);
  std::memset(o.bytes.data() + kKernelOptionsV01, 0xA5, o.bytes.size() - kKernelOptionsV01);
  rk::KernelSpec spec = echo_spec("growth_options");
  o.get()->name = spec.name.c_str();
  o.get()->source = spec.source.c_str();
  o.get()->flags = RK_KERNEL_AUTO_ACTIVATE;
  rk_kernel handle = nullptr;
  REQUIRE(rk_kernel_create(runtime().get(), o.get(), &handle) == RK_SUCCESS);
  rk::Kernel k(handle);
  k.launch();
  CHECK(k.request<Pong>(Ping{41}).value == 42);

  SECTION("0 and too-small sizes are refused with the rule in the words") {
    rk_kernel_options bad = RK_KERNEL_OPTIONS_INIT;
    bad.name = "growth_bad";
    bad.source = spec.source.c_str();
    bad.struct_size = 0;
    rk_kernel none = nullptr;
    CHECK(rk_kernel_create(runtime().get(), &bad, &none) == RK_ERROR_INVALID_ARGUMENT);
    CHECK(error_mentions("first published size"));
    bad.struct_size = 16;
    CHECK(rk_kernel_create(runtime().get(), &bad, &none) == RK_ERROR_INVALID_ARGUMENT);
  }
}

TEST_CASE("plugin status, device entry and device info fill only the caller's struct", "[abi][growth]") {
  rk_registry registry = nullptr;
  REQUIRE(rk_registry_default(&registry) == RK_SUCCESS);
  REQUIRE(rk_registry_plugin_count(registry) > 0);
  Guarded<rk_plugin_status> status(kPluginStatusV01);
  REQUIRE(rk_registry_plugin_status(registry, 0, status.get()) == RK_SUCCESS);
  CHECK(status.guard_intact());
  CHECK(status.get()->path != nullptr);

  Guarded<rk_plugin_status> tiny(4);
  CHECK(rk_registry_plugin_status(registry, 0, tiny.get()) == RK_ERROR_INVALID_ARGUMENT);
  CHECK(tiny.guard_intact());

  Guarded<rk_device_info> info(kDeviceInfoV01);
  REQUIRE(rk_runtime_device_info(runtime().get(), info.get()) == RK_SUCCESS);
  CHECK(info.guard_intact());
  CHECK(std::string(info.get()->name).size() > 0);

  REQUIRE(rk_registry_device_count(registry) > 0);
  rk_device_entry entry = RK_DEVICE_ENTRY_INIT;
  REQUIRE(rk_registry_device(registry, 0, &entry) == RK_SUCCESS);
  CHECK(entry.info.struct_size == sizeof(rk_device_info));
}

TEST_CASE("input structs below their first size are refused at every entry point", "[abi][growth]") {
  rk_registry_options registry_options = RK_REGISTRY_OPTIONS_INIT;
  registry_options.struct_size = 4;
  rk_registry registry = nullptr;
  CHECK(rk_registry_create(&registry_options, &registry) == RK_ERROR_INVALID_ARGUMENT);
  CHECK(error_mentions("rk_registry_options.struct_size"));

  rk_runtime_options runtime_options = RK_RUNTIME_OPTIONS_INIT;
  runtime_options.struct_size = 0;
  rk_runtime rt = nullptr;
  CHECK(rk_runtime_create(&runtime_options, &rt) == RK_ERROR_INVALID_ARGUMENT);
  CHECK(error_mentions("rk_runtime_options.struct_size"));

  rk_module_options module_options = RK_MODULE_OPTIONS_INIT;
  module_options.source = "RK_KERNEL void k(void) {}";
  module_options.struct_size = 8;
  rk_module module = nullptr;
  CHECK(rk_module_compile(runtime().get(), &module_options, &module) == RK_ERROR_INVALID_ARGUMENT);

  rk::Kernel k = runtime().launch(echo_spec("growth_send"));
  rk_send_options send = RK_SEND_OPTIONS_INIT;
  send.struct_size = 12;
  Ping ping{1};
  CHECK(rk_kernel_send(k.get(), Ping::type_id, &ping, sizeof(ping), &send, nullptr) == RK_ERROR_INVALID_ARGUMENT);
  send.struct_size = 0;  // the 0.1 library never checked it: 0 keeps meaning the 0.1 size
  send.timeout_ns = RK_WAIT_FOREVER;
  CHECK(rk_kernel_send(k.get(), Ping::type_id, &ping, sizeof(ping), &send, nullptr) == RK_SUCCESS);
}
