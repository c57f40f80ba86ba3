#include "hiprtc.hpp"

#include <algorithm>
#include <memory>
#include <mutex>

#include "gpu_common/resolve.hpp"

namespace rk::hip {
extern const char* const kPrelude;

namespace {

using hiprtcResult = int;
using hiprtcProgram = struct _hiprtcProgram*;
constexpr hiprtcResult kHiprtcSuccess = 0;
constexpr const char* kArchOption = "--offload-arch=";

struct HiprtcApi {
  hiprtcResult (*hiprtcVersion)(int* major, int* minor) = nullptr;
  const char* (*hiprtcGetErrorString)(hiprtcResult result) = nullptr;
  hiprtcResult (*hiprtcCreateProgram)(hiprtcProgram* program, const char* source, const char* name, int headers,
                                      const char** contents, const char** include_names) = nullptr;
  hiprtcResult (*hiprtcDestroyProgram)(hiprtcProgram* program) = nullptr;
  hiprtcResult (*hiprtcCompileProgram)(hiprtcProgram program, int option_count, const char** options) = nullptr;
  hiprtcResult (*hiprtcGetProgramLogSize)(hiprtcProgram program, size_t* size) = nullptr;
  hiprtcResult (*hiprtcGetProgramLog)(hiprtcProgram program, char* log) = nullptr;
  hiprtcResult (*hiprtcGetCodeSize)(hiprtcProgram program, size_t* size) = nullptr;
  hiprtcResult (*hiprtcGetCode)(hiprtcProgram program, char* code) = nullptr;
};

// amd_comgr's ISA listing: the targets its LLVM knows ("amdgcn-amd-amdhsa--gfx90a").
struct ComgrApi {
  int (*amd_comgr_get_version)(size_t* major, size_t* minor) = nullptr;
  int (*amd_comgr_get_isa_count)(size_t* count) = nullptr;
  int (*amd_comgr_get_isa_name)(size_t index, const char** name) = nullptr;
};

HiprtcApi g_api;
std::string g_load_failure;
std::once_flag g_load_once;

ComgrApi g_comgr;
std::string g_comgr_failure;
std::once_flag g_comgr_once;

std::string resolve_all(void* library, HiprtcApi& api) {
#define RK_REQUIRED(name) \
  if (!gpu::resolve(library, #name, api.name)) return #name
  RK_REQUIRED(hiprtcVersion);
  RK_REQUIRED(hiprtcGetErrorString);
  RK_REQUIRED(hiprtcCreateProgram);
  RK_REQUIRED(hiprtcDestroyProgram);
  RK_REQUIRED(hiprtcCompileProgram);
  RK_REQUIRED(hiprtcGetProgramLogSize);
  RK_REQUIRED(hiprtcGetProgramLog);
  RK_REQUIRED(hiprtcGetCodeSize);
  RK_REQUIRED(hiprtcGetCode);
#undef RK_REQUIRED
  return "";
}

// Never dlclose'd, like every vendor library here.
void* open_first(const std::vector<const char*>& names, std::string& tried) {
  for (const char* name : names) {
    if (void* library = dlopen(name, RTLD_NOW | RTLD_LOCAL)) return library;
    tried += (tried.empty() ? "" : ", ") + std::string(name);
  }
  return nullptr;
}

void load_once() {
  std::string tried;
  for (const char* candidate : {"libhiprtc.so.7", "libhiprtc.so.6", "libhiprtc.so", "libamdhip64.so.7",
                                "libamdhip64.so.6", "libamdhip64.so.5", "libamdhip64.so"}) {
    void* library = open_first({candidate}, tried);
    if (library == nullptr) continue;
    HiprtcApi api;
    std::string missing = resolve_all(library, api);
    if (missing.empty()) {
      g_api = api;
      return;
    }
    tried += (tried.empty() ? "" : ", ") + std::string(candidate) + " (lacks " + missing + ")";
  }
  g_load_failure = "hiprtc not found (tried " + tried + "); install libamdhip64 (ROCm 5) or libhiprtc (ROCm 6+)";
}

void load_comgr_once() {
  std::string tried;
  void* library = open_first({"libamd_comgr.so.3", "libamd_comgr.so.2", "libamd_comgr.so"}, tried);
  ComgrApi api;
  if (library == nullptr) {
    g_comgr_failure = "amd_comgr not found (tried " + tried + ")";
  } else if (!gpu::resolve(library, "amd_comgr_get_version", api.amd_comgr_get_version) ||
             !gpu::resolve(library, "amd_comgr_get_isa_count", api.amd_comgr_get_isa_count) ||
             !gpu::resolve(library, "amd_comgr_get_isa_name", api.amd_comgr_get_isa_name)) {
    g_comgr_failure = "amd_comgr lacks its ISA listing";
  } else {
    g_comgr = api;
  }
}

// "gfx90a:sramecc+:xnack-" -> "gfx90a": comgr lists processors, features are separate.
std::string processor_of(const std::string& arch) { return arch.substr(0, arch.find(':')); }

std::string arch_of(const std::vector<std::string>& options) {
  for (const auto& option : options)
    if (option.rfind(kArchOption, 0) == 0) return option.substr(std::string(kArchOption).size());
  return "";
}

std::string hiprtc_error(hiprtcResult code) {
  const char* text = g_api.hiprtcGetErrorString ? g_api.hiprtcGetErrorString(code) : nullptr;
  return std::string(text ? text : "hiprtc error") + " (" + std::to_string(code) + ")";
}

std::string program_log(hiprtcProgram program) {
  size_t size = 0;
  if (g_api.hiprtcGetProgramLogSize(program, &size) != kHiprtcSuccess || size <= 1) return "";
  std::string log(size, '\0');
  if (g_api.hiprtcGetProgramLog(program, log.data()) != kHiprtcSuccess) return "";
  while (!log.empty() && (log.back() == '\0' || log.back() == '\n')) log.pop_back();
  return log;
}

bool program_code(hiprtcProgram program, std::string& image) {
  size_t size = 0;
  if (g_api.hiprtcGetCodeSize(program, &size) != kHiprtcSuccess || size == 0) return false;
  image.assign(size, '\0');
  return g_api.hiprtcGetCode(program, image.data()) == kHiprtcSuccess;
}

}  // namespace

bool load_hiprtc(std::string& reason) {
  std::call_once(g_load_once, load_once);
  reason = g_load_failure;
  return g_load_failure.empty();
}

std::vector<std::string> supported_targets(std::string& reason) {
  std::call_once(g_comgr_once, load_comgr_once);
  reason = g_comgr_failure;
  std::vector<std::string> targets;
  size_t count = 0;
  if (!g_comgr_failure.empty() || g_comgr.amd_comgr_get_isa_count(&count) != 0) return targets;
  for (size_t i = 0; i < count; ++i) {
    const char* name = nullptr;
    if (g_comgr.amd_comgr_get_isa_name(i, &name) != 0 || name == nullptr) continue;
    std::string isa = name;  // "amdgcn-amd-amdhsa--gfx90a"
    targets.push_back(processor_of(isa.substr(isa.rfind('-') + 1)));
  }
  return targets;
}

std::string hiprtc_identity() {
  std::string reason;
  int major = 0, minor = 0;
  std::string text = "hiprtc ";
  text += load_hiprtc(reason) && g_api.hiprtcVersion(&major, &minor) == kHiprtcSuccess
              ? std::to_string(major) + "." + std::to_string(minor)
              : "none";
  size_t comgr_major = 0, comgr_minor = 0;
  std::call_once(g_comgr_once, load_comgr_once);
  if (g_comgr_failure.empty() && g_comgr.amd_comgr_get_version(&comgr_major, &comgr_minor) == 0)
    text += ", comgr " + std::to_string(comgr_major) + "." + std::to_string(comgr_minor);
  return text;
}

std::string check_target(const std::string& arch) {
  if (arch.empty()) return "no --offload-arch given";
  std::string reason;
  std::vector<std::string> targets = supported_targets(reason);
  // Without comgr's list there is nothing to check against (hiprtc itself then needs comgr
  // and reports its absence as a compile error).
  if (targets.empty()) return "";
  if (std::find(targets.begin(), targets.end(), processor_of(arch)) != targets.end()) return "";
  std::string known;
  for (const auto& target : targets) known += (known.empty() ? "" : " ") + target;
  return hiprtc_identity() + " cannot target " + processor_of(arch) + ": comgr's ISA list is " + known;
}

std::vector<std::string> default_options(const std::string& arch) {
  // No -I: hiprtc needs no headers for the dialect. -O3 as hipcc's default for device code.
  return {std::string(kArchOption) + arch, "-std=c++17", "-O3"};
}

rk_result hiprtc_compile(const std::string& source, const std::vector<std::string>& options, const char* name,
                         HiprtcResult& out, std::string& error) {
  if (!load_hiprtc(error)) return RK_ERROR_BACKEND_UNAVAILABLE;
  if (error = check_target(arch_of(options)); !error.empty()) return RK_ERROR_UNSUPPORTED;
  hiprtcProgram program = nullptr;
  hiprtcResult status =
      g_api.hiprtcCreateProgram(&program, source.c_str(), name ? name : "kernel.hip", 0, nullptr, nullptr);
  if (status != kHiprtcSuccess) {
    error = "hiprtcCreateProgram: " + hiprtc_error(status);
    return RK_ERROR_COMPILE_FAILED;
  }
  std::unique_ptr<hiprtcProgram, void (*)(hiprtcProgram*)> guard(&program,
                                                                 [](hiprtcProgram* p) { g_api.hiprtcDestroyProgram(p); });
  std::vector<const char*> argv;
  for (const auto& option : options) argv.push_back(option.c_str());
  status = g_api.hiprtcCompileProgram(program, static_cast<int>(argv.size()), argv.data());
  out.log = program_log(program);
  if (status != kHiprtcSuccess) {
    error = "hiprtcCompileProgram: " + hiprtc_error(status) + ":\n" + out.log;
    return RK_ERROR_COMPILE_FAILED;
  }
  if (!program_code(program, out.image)) {
    error = "hiprtc compiled the program but returned no code object";
    return RK_ERROR_COMPILE_FAILED;
  }
  return RK_SUCCESS;
}

std::string dialect_source(const std::string& user) {
  // The module name stays out of the text (and so the cache key): one source under two
  // names is one program.
  return std::string(kPrelude) + "\n#line 1 \"source\"\n" + user + "\n";
}

}  // namespace rk::hip
