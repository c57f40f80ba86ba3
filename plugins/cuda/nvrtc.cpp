#include "nvrtc.hpp"

#include <dlfcn.h>

#include <cstdlib>
#include <memory>
#include <mutex>

namespace rk::cuda {
extern const char* const kPrelude;

namespace {

constexpr nvrtcResult kNvrtcSuccess = 0;

NvrtcApi g_api;
std::string g_load_failure;
std::once_flag g_load_once;

std::vector<std::string> library_candidates() {
  std::vector<std::string> names = {"libnvrtc.so.13", "libnvrtc.so.12", "libnvrtc.so"};
  std::vector<std::string> dirs;
  if (const char* home = std::getenv("CUDA_HOME"); home && *home) dirs.push_back(std::string(home) + "/lib64/");
  dirs.push_back("/usr/local/cuda/lib64/");
  std::vector<std::string> all = names;
  for (const auto& dir : dirs)
    for (const auto& name : names) all.push_back(dir + name);
  return all;
}

template <class Fn>
bool resolve(void* library, const char* symbol, Fn& slot) {
  slot = reinterpret_cast<Fn>(dlsym(library, symbol));
  return slot != nullptr;
}

std::string resolve_all(void* library, NvrtcApi& api) {
#define RK_REQUIRED(name) \
  if (!resolve(library, #name, api.name)) return #name
  RK_REQUIRED(nvrtcVersion);
  RK_REQUIRED(nvrtcGetErrorString);
  RK_REQUIRED(nvrtcGetNumSupportedArchs);
  RK_REQUIRED(nvrtcGetSupportedArchs);
  RK_REQUIRED(nvrtcCreateProgram);
  RK_REQUIRED(nvrtcDestroyProgram);
  RK_REQUIRED(nvrtcCompileProgram);
  RK_REQUIRED(nvrtcGetProgramLogSize);
  RK_REQUIRED(nvrtcGetProgramLog);
  RK_REQUIRED(nvrtcGetPTXSize);
  RK_REQUIRED(nvrtcGetPTX);
#undef RK_REQUIRED
  resolve(library, "nvrtcGetCUBINSize", api.nvrtcGetCUBINSize);
  resolve(library, "nvrtcGetCUBIN", api.nvrtcGetCUBIN);
  return "";
}

void load_once() {
  std::string tried;
  for (const auto& candidate : library_candidates()) {
    void* library = dlopen(candidate.c_str(), RTLD_NOW | RTLD_LOCAL);  // never closed
    if (library == nullptr) {
      tried += (tried.empty() ? "" : ", ") + candidate;
      continue;
    }
    NvrtcApi api;
    std::string missing = resolve_all(library, api);
    if (missing.empty()) {
      g_api = api;
      return;
    }
    tried += (tried.empty() ? "" : ", ") + candidate + " (lacks " + missing + ")";
  }
  g_load_failure = "NVRTC not found (tried " + tried + "); install the CUDA toolkit's NVRTC or set CUDA_HOME";
}

std::string nvrtc_error(nvrtcResult code) {
  const char* text = g_api.nvrtcGetErrorString ? g_api.nvrtcGetErrorString(code) : nullptr;
  return std::string(text ? text : "NVRTC error") + " (" + std::to_string(code) + ")";
}

std::vector<int> supported_archs() {
  int count = 0;
  if (g_api.nvrtcGetNumSupportedArchs(&count) != kNvrtcSuccess || count <= 0) return {};
  std::vector<int> archs(static_cast<size_t>(count));
  if (g_api.nvrtcGetSupportedArchs(archs.data()) != kNvrtcSuccess) return {};
  return archs;
}

std::string program_log(nvrtcProgram program) {
  size_t size = 0;
  if (g_api.nvrtcGetProgramLogSize(program, &size) != kNvrtcSuccess || size <= 1) return "";
  std::string log(size, '\0');
  if (g_api.nvrtcGetProgramLog(program, log.data()) != kNvrtcSuccess) return "";
  while (!log.empty() && (log.back() == '\0' || log.back() == '\n')) log.pop_back();
  return log;
}

// The compiled image: CUBIN where asked for and available, else PTX (NUL included, as
// cuModuleLoadData wants a NUL-terminated PTX string).
bool program_image(nvrtcProgram program, bool want_cubin, NvrtcResult& out) {
  size_t size = 0;
  if (want_cubin && g_api.nvrtcGetCUBINSize && g_api.nvrtcGetCUBIN &&
      g_api.nvrtcGetCUBINSize(program, &size) == kNvrtcSuccess && size > 0) {
    out.image.assign(size, '\0');
    out.cubin = true;
    return g_api.nvrtcGetCUBIN(program, out.image.data()) == kNvrtcSuccess;
  }
  if (g_api.nvrtcGetPTXSize(program, &size) != kNvrtcSuccess || size == 0) return false;
  out.image.assign(size, '\0');
  out.cubin = false;
  return g_api.nvrtcGetPTX(program, out.image.data()) == kNvrtcSuccess;
}

}  // namespace

const NvrtcApi* load_nvrtc(std::string& reason) {
  std::call_once(g_load_once, load_once);
  reason = g_load_failure;
  return g_load_failure.empty() ? &g_api : nullptr;
}

std::string nvrtc_version() {
  std::string reason;
  int major = 0, minor = 0;
  if (load_nvrtc(reason) == nullptr || g_api.nvrtcVersion(&major, &minor) != kNvrtcSuccess) return "none";
  return std::to_string(major) + "." + std::to_string(minor);
}

std::string pick_target(int major, int minor, std::string& reason) {
  if (load_nvrtc(reason) == nullptr) return "";
  int wanted = major * 10 + minor;
  int best = 0;
  for (int arch : supported_archs()) {
    if (arch == wanted) return "sm_" + std::to_string(arch);
    if (arch < wanted && arch > best) best = arch;
  }
  if (best > 0) return "compute_" + std::to_string(best);
  reason = "NVRTC " + nvrtc_version() + " cannot target compute capability " + std::to_string(major) + "." +
           std::to_string(minor) + " or any older architecture it still supports";
  return "";
}

std::vector<std::string> default_options(const std::string& target) {
  // -default-device: helpers a user writes without RK_INLINE are device code too (kernels
  // have nothing to run on the host). No -I: NVRTC needs no headers for the dialect.
  return {"--gpu-architecture=" + target, "-std=c++17", "-default-device"};
}

rk_result nvrtc_compile(const std::string& source, const std::vector<std::string>& options, const char* name,
                        NvrtcResult& out, std::string& error) {
  if (load_nvrtc(error) == nullptr) return RK_ERROR_BACKEND_UNAVAILABLE;
  nvrtcProgram program = nullptr;
  nvrtcResult status =
      g_api.nvrtcCreateProgram(&program, source.c_str(), name ? name : "kernel.cu", 0, nullptr, nullptr);
  if (status != kNvrtcSuccess) {
    error = "nvrtcCreateProgram: " + nvrtc_error(status);
    return RK_ERROR_COMPILE_FAILED;
  }
  std::unique_ptr<nvrtcProgram, void (*)(nvrtcProgram*)> guard(&program,
                                                               [](nvrtcProgram* p) { g_api.nvrtcDestroyProgram(p); });
  std::vector<const char*> argv;
  for (const auto& option : options) argv.push_back(option.c_str());
  status = g_api.nvrtcCompileProgram(program, static_cast<int>(argv.size()), argv.data());
  out.log = program_log(program);
  if (status != kNvrtcSuccess) {
    error = "nvrtcCompileProgram: " + nvrtc_error(status) + ":\n" + out.log;
    return RK_ERROR_COMPILE_FAILED;
  }
  bool want_cubin = false;
  for (const auto& option : options) want_cubin |= option.find("=sm_") != std::string::npos;
  if (!program_image(program, want_cubin, out)) {
    error = "NVRTC compiled the program but returned no image";
    return RK_ERROR_COMPILE_FAILED;
  }
  return RK_SUCCESS;
}

std::string dialect_source(const std::string& user) {
  // The module name stays out of the text (and so the cache key): one source under two
  // names is one program.
  return std::string(kPrelude) + "\n#line 1 \"source\"\n" + user + "\n";
}

}  // namespace rk::cuda
