// Which backends the suite runs on, and why the others are skipped.
#include "conformance_support.hpp"

#include <algorithm>
#include <map>
#include <vector>

namespace conformance {
namespace {

// Backends this project ships; each gets a CTest entry even where it is not installed.
const std::vector<std::string> kShippedBackends = {"cpu_sim", "opencl", "cuda", "hip", "level_zero"};

// Known gaps per backend, mirrored from docs/backends.md: feature -> why.
const std::map<std::string, std::map<std::string, std::string>> kKnownGaps = {};

std::string g_only_backend;

struct Backend {
  std::string name;
  uint32_t device_count = 0;
  std::string unusable_reason;  // "" when it has devices
};

const char* reason_name(rk_plugin_reason reason) {
  switch (reason) {
    case RK_PLUGIN_REASON_OK:
      return "ok";
    case RK_PLUGIN_REASON_NO_DEVICES:
      return "no devices";
    case RK_PLUGIN_REASON_NOT_INSTALLED:
      return "not installed";
    case RK_PLUGIN_REASON_MISSING_DEPENDENCY:
      return "missing dependency";
    case RK_PLUGIN_REASON_MISSING_SYMBOL:
      return "missing symbol";
    case RK_PLUGIN_REASON_ABI_MISMATCH:
      return "ABI mismatch";
    case RK_PLUGIN_REASON_INIT_FAILED:
      return "init failed";
    case RK_PLUGIN_REASON_NOT_A_PLUGIN:
      return "not a plugin";
    case RK_PLUGIN_REASON_DUPLICATE:
      return "duplicate";
    default:
      return "unknown reason";
  }
}

Backend from_status(const rk_plugin_status& s) {
  Backend b{s.name, 0, ""};
  if (s.outcome == RK_PLUGIN_LOADED && s.device_count > 0)
    b.device_count = s.device_count;
  else
    b.unusable_reason = std::string(reason_name(s.reason)) + " (" + s.path + "): " + s.detail;
  return b;
}

// Every backend the registry saw, then the shipped ones it did not see at all.
std::vector<Backend> scan_backends() {
  rk_registry registry = nullptr;
  REQUIRE(rk_registry_default(&registry) == RK_SUCCESS);
  std::vector<Backend> found;
  for (uint32_t i = 0; i < rk_registry_plugin_count(registry); ++i) {
    rk_plugin_status s{};
    s.struct_size = sizeof(s);
    REQUIRE(rk_registry_plugin_status(registry, i, &s) == RK_SUCCESS);
    auto same = std::find_if(found.begin(), found.end(), [&](const Backend& b) { return b.name == s.name; });
    if (same == found.end())
      found.push_back(from_status(s));
    else if (same->device_count == 0)
      *same = from_status(s);  // a later, usable copy wins
  }
  for (const std::string& name : kShippedBackends) {
    if (std::none_of(found.begin(), found.end(), [&](const Backend& b) { return b.name == name; }))
      found.push_back({name, 0, std::string("not installed (searched ") + rk_registry_search_path(registry) + ")"});
  }
  return found;
}

const std::vector<Backend>& backends() {
  static const std::vector<Backend> scanned = scan_backends();
  return scanned;
}

// Creates the runtime for one device and always destroys it, even when a REQUIRE throws.
struct RuntimeScope {
  explicit RuntimeScope(Target& t) : target(t) {
    rk_runtime_options options{};
    options.struct_size = sizeof(options);
    options.backend = target.backend.c_str();
    options.device_index = target.device_index;
    INFO(rk_last_error());
    REQUIRE(rk_runtime_create(&options, &target.runtime) == RK_SUCCESS);
    target.device.struct_size = sizeof(target.device);
    REQUIRE(rk_runtime_device_info(target.runtime, &target.device) == RK_SUCCESS);
  }
  ~RuntimeScope() { rk_runtime_destroy(target.runtime); }
  Target& target;
};

void run_on_device(const Backend& backend, uint32_t device, const std::function<void(Target&)>& body) {
  Target target;
  target.backend = backend.name;
  target.device_index = device;
  RuntimeScope scope(target);
  body(target);
}

}  // namespace

void only_backend(const std::string& backend) { g_only_backend = backend; }

void for_each_backend(const std::function<void(Target&)>& body) {
  bool any = false;
  for (const Backend& backend : backends()) {
    if (!g_only_backend.empty() && backend.name != g_only_backend) continue;
    any = true;
    if (backend.device_count == 0) {
      DYNAMIC_SECTION(backend.name) { SKIP("no " << backend.name << " device: " << backend.unusable_reason); }
      continue;
    }
    for (uint32_t device = 0; device < backend.device_count; ++device) DYNAMIC_SECTION(backend.name << ":" << device) {
        run_on_device(backend, device, body);
      }
  }
  if (!any) SKIP("no " << g_only_backend << " device: the registry has no backend of that name");
}

void skip_known_gap(const Target& target, const std::string& feature) {
  auto backend = kKnownGaps.find(target.backend);
  if (backend == kKnownGaps.end()) return;
  auto gap = backend->second.find(feature);
  if (gap != backend->second.end()) SKIP(target.backend << " lacks " << feature << ": " << gap->second);
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
