#include "conformance_support.hpp"

#include <vector>

namespace conformance {
namespace {

struct Available {
  std::vector<std::string> usable;
  std::string unusable;  // "opencl: no devices (...)" lines
};

Available scan() {
  Available out;
  rk_registry registry = nullptr;
  REQUIRE(rk_registry_default(&registry) == RK_SUCCESS);
  for (uint32_t i = 0; i < rk_registry_plugin_count(registry); ++i) {
    rk_plugin_status s{};
    s.struct_size = sizeof(s);
    REQUIRE(rk_registry_plugin_status(registry, i, &s) == RK_SUCCESS);
    if (s.outcome == RK_PLUGIN_LOADED && s.device_count > 0) out.usable.emplace_back(s.name);
    else out.unusable += std::string(s.name) + ": " + s.detail + "; ";
  }
  return out;
}

}  // namespace

void for_each_backend(const std::function<void(Target&)>& body) {
  static const Available available = scan();
  if (available.usable.empty()) SKIP("no backend with a device: " << available.unusable);
  for (const std::string& backend : available.usable) {
    DYNAMIC_SECTION("backend " << backend) {
      rk_runtime_options options{};
      options.struct_size = sizeof(options);
      options.backend = backend.c_str();
      Target target{backend, nullptr, {}};
      REQUIRE(rk_runtime_create(&options, &target.runtime) == RK_SUCCESS);
      target.device.struct_size = sizeof(target.device);
      REQUIRE(rk_runtime_device_info(target.runtime, &target.device) == RK_SUCCESS);
      body(target);
      CHECK(rk_runtime_destroy(target.runtime) == RK_SUCCESS);
    }
  }
}

rk_module compile(Target& target, const std::string& source, const char* name) {
  rk_module_options options{};
  options.struct_size = sizeof(options);
  options.source = source.c_str();
  options.name = name;
  rk_module module = nullptr;
  rk_result r = rk_module_compile(target.runtime, &options, &module);
  INFO(rk_last_error());
  REQUIRE(r == RK_SUCCESS);
  return module;
}

}  // namespace conformance
