// cpu_sim compile: prelude + source + an entry trampoline per RK_KERNEL, compiled by the
// host C++ compiler into a shared object (cached by content), then dlopen'ed. A fresh build
// of a dialect source is first checked as OpenCL C (opencl_check.hpp).
//
// Observable cache signal: the build log (rk_text_out, and so rk_module_build_log) of a
// module that came from the cache starts with "cpu_sim: cache hit: <path>"; a fresh build
// starts with "cpu_sim: cache miss, compiled <path>". Both are also logged at debug level.
#include <dlfcn.h>

#include <algorithm>
#include <cstdlib>
#include <optional>
#include <regex>

#include "common/image_cache.hpp"
#include "cpu_sim.hpp"
#include "kernel_cache.hpp"
#include "opencl_check.hpp"

namespace rk::cpu_sim {
extern const char* const kPreludeThreadInfo;
extern const char* const kPrelude;

namespace fs = std::filesystem;
namespace {

std::string user_source(const rk_compile_request* request) {
  return std::string(request->source, request->source_size);
}

// Dialect sources get the prelude in front and one RK_CPU_EXPORT_KERNEL per entry point
// behind; native sources are C++ that defines rk_cpu_entry_<name> itself.
std::string full_source(const rk_compile_request* request) {
  std::string user = user_source(request);
  if (request->kind == RK_SOURCE_NATIVE) return user;
  // Diagnostics point into the user's source; the module name stays out of it so it does
  // not split the cache.
  std::string source =
      std::string(kPreludeThreadInfo) + "\n" + kPrelude + "\n#line 1 \"kernel_source\"\n" + user + "\n";
  static const std::regex kernel_pattern(R"(RK_KERNEL\s+void\s+(\w+)\s*\()");
  std::string code = code_only(user);
  for (auto it = std::sregex_iterator(code.begin(), code.end(), kernel_pattern); it != std::sregex_iterator(); ++it)
    source += "RK_CPU_EXPORT_KERNEL(" + (*it)[1].str() + ")\n";
  return source;
}

// A kernel that never synchronizes, shares block memory or waits can run its threads one
// after another on one OS thread: same results, no context switch per thread. Anything
// that might wait for another thread of its block gets real, simultaneous threads.
bool needs_lockstep(const rk_compile_request* request) {
  static const std::regex pattern(
      R"(rk_sync_threads|RK_SHARED_ARRAY|rk_dynamic_shared|rk_scratch|rk_park_u32|rk_pause|rk_yield)");
  return request->kind == RK_SOURCE_NATIVE || std::regex_search(user_source(request), pattern);
}

std::string module_label(const rk_compile_request* request) {
  return request->name ? std::string(" '") + request->name + "'" : std::string();
}

// What one attempt to get a loaded module produced, for the build log and our own log.
struct Attempt {
  bool was_hit = false;
  std::string status;  // "cache hit: <path>" or "cache miss, compiled <path>"
  std::string compiler_output;
};

// What a fresh build says about the OpenCL C check.
std::string check_note(const rk_compile_request* request, const OpenclCheck& check) {
  if (request->kind != RK_SOURCE_DIALECT) return "";
  if (check.argv.empty()) return "; not checked as OpenCL C: " + check.skipped_because;
  return "; checked as OpenCL C with " + check.argv[0];
}

// Makes sure `target` exists: a cache hit, or a fresh build. The OpenCL C check runs only
// for a fresh build, before the host compiler: a source that fails it is never cached.
rk_result ensure_compiled(const rk_compile_request* request, const KernelBuild& build, const OpenclCheck& check,
                          const fs::path& target, Attempt& attempt) {
  std::error_code ec;
  attempt.was_hit = fs::exists(target, ec);
  if (attempt.was_hit) {
    attempt.status = "cache hit: " + target.string();
    return RK_SUCCESS;
  }
  if (!check.argv.empty())
    if (rk_result r = run_opencl_check(check, user_source(request), target.parent_path()); r != RK_SUCCESS) return r;
  rk_result r = compile_into_cache(build, target, attempt.compiler_output);
  attempt.status = "cache miss, compiled " + target.string() + check_note(request, check);
  return r;
}

rk_result load_module(const fs::path& target, const rk_compile_request* request, rk_backend_module* module) {
  void* library = dlopen(target.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (library == nullptr)
    return fail(RK_ERROR_COMPILE_FAILED, std::string("cpu_sim: cannot load the compiled kernel: ") + dlerror());
  auto* created = new rk_backend_module_s();
  created->library = library;
  created->path = target.string();
  created->needs_lockstep = needs_lockstep(request);
  *module = created;
  return RK_SUCCESS;
}

// A folder of our own for one build when the cache cannot be trusted: mkdtemp makes it
// 0700; it is removed once the module is loaded (the mapping outlives the file).
struct PrivateFolder {
  fs::path path;
  PrivateFolder() {
    std::string name = (fs::temp_directory_path() / "rk-cpu-sim-XXXXXX").string();
    if (mkdtemp(name.data()) != nullptr) path = name;
  }
  PrivateFolder(const PrivateFolder&) = delete;
  PrivateFolder& operator=(const PrivateFolder&) = delete;
  ~PrivateFolder() {
    std::error_code ec;
    if (!path.empty()) fs::remove_all(path, ec);
  }
};

}  // namespace

std::string code_only(const std::string& text) {
  std::string out = text;
  auto blank_until = [&out](size_t& i, size_t end) {
    for (; i < end; ++i)
      if (out[i] != '\n') out[i] = ' ';
  };
  for (size_t i = 0; i < out.size(); ++i) {
    if (out[i] == '"' || out[i] == '\'') {
      size_t end = i + 1;
      while (end < out.size() && out[end] != out[i]) end += out[end] == '\\' ? 2 : 1;
      ++i;
      blank_until(i, std::min(end, out.size()));  // i stops on the closing quote
    } else if (out.compare(i, 2, "//") == 0) {
      blank_until(i, std::min(out.find('\n', i), out.size()));
    } else if (out.compare(i, 2, "/*") == 0) {
      blank_until(i, std::min(out.find("*/", i + 2), out.size() - 2) + 2);
      --i;
    }
  }
  return out;
}

rk_result module_compile(rk_backend_context, const rk_compile_request* request, rk_backend_module* module,
                         rk_text_out* log_out) {
  if (request == nullptr || module == nullptr || request->source == nullptr)
    return fail(RK_ERROR_INVALID_ARGUMENT, "compile request, its source and the module out-pointer must be set");
  if (request->kind != RK_SOURCE_DIALECT && request->kind != RK_SOURCE_NATIVE)
    return fail(RK_ERROR_UNSUPPORTED, "cpu_sim compiles dialect or native C++ source, not binaries");
  KernelBuild build = plan_build(full_source(request), request->options);
  OpenclCheck check = plan_opencl_check(request);
  build.opencl_check = check.identity;
  fs::path target = cache_directory() / (cache_key(build) + ".so");
  // A cache folder or image that someone else could have written is never loaded: the
  // kernel is built in a private folder instead (image_cache.hpp, "Trust").
  std::string refused = plugin_common::open_cache_folder(target.parent_path());
  if (refused.empty()) refused = plugin_common::untrusted_image(target);
  std::optional<PrivateFolder> uncached;
  if (!refused.empty()) {
    uncached.emplace();
    if (uncached->path.empty()) return fail(RK_ERROR_INTERNAL, "cpu_sim: cannot create a private build folder");
    target = uncached->path / target.filename();
  }
  std::error_code ec;
  Attempt attempt;
  rk_result r = ensure_compiled(request, build, check, target, attempt);
  if (!refused.empty()) attempt.status = "compiled without the cache (" + refused + "): " + target.string();
  if (r == RK_SUCCESS) r = load_module(target, request, module);
  if (r != RK_SUCCESS && attempt.was_hit) {  // an unloadable cache entry (cut short by a full disk?): rebuild once
    fs::remove(target, ec);
    r = ensure_compiled(request, build, check, target, attempt);
    if (r == RK_SUCCESS) r = load_module(target, request, module);
  }
  // On failure the log is last_error: the compiler's output, or the loader's complaint. The
  // core shows it to the user as the compile error.
  std::string build_log =
      r == RK_SUCCESS ? "cpu_sim: " + attempt.status + "\n" + attempt.compiler_output : last_error();
  log(r == RK_SUCCESS ? RK_LOG_LEVEL_DEBUG : RK_LOG_LEVEL_WARN,
      "module" + module_label(request) + ": " + (r == RK_SUCCESS ? attempt.status : build_log));
  write_text(log_out, build_log);
  return r;
}

rk_result module_destroy(rk_backend_module module) {
  if (module == nullptr) return RK_SUCCESS;
  dlclose(module->library);
  delete module;
  return RK_SUCCESS;
}

rk_result function_get(rk_backend_module module, const char* name, rk_backend_function* function) {
  if (module == nullptr || name == nullptr || function == nullptr)
    return fail(RK_ERROR_INVALID_ARGUMENT, "module, name and function must be set");
  std::lock_guard lock(module->mutex);
  for (const auto& known : module->functions) {
    if (known->name != name) continue;
    *function = known.get();
    return RK_SUCCESS;
  }
  auto entry = reinterpret_cast<rk_cpu_entry_fn>(dlsym(module->library, ("rk_cpu_entry_" + std::string(name)).c_str()));
  if (entry == nullptr)
    return fail(RK_ERROR_NOT_FOUND, std::string("cpu_sim: no kernel named '") + name +
                                        "' in the module (an entry point is declared `RK_KERNEL void " + name +
                                        "(...)` on one line)");
  auto params =
      reinterpret_cast<rk_cpu_params_fn>(dlsym(module->library, ("rk_cpu_params_" + std::string(name)).c_str()));
  // Functions live as long as their module (the ABI has no function_destroy).
  module->functions.push_back(
      std::make_unique<rk_backend_function_s>(rk_backend_function_s{entry, params, name, module->needs_lockstep}));
  *function = module->functions.back().get();
  return RK_SUCCESS;
}

}  // namespace rk::cpu_sim
