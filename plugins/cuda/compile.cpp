// cuda compile: prelude + dialect source, NVRTC for the device's architecture (nvrtc.cpp),
// images cached by content, cuModuleLoadData.
//
// Observable cache signal: the build log (rk_text_out, and so rk_module_build_log) of a
// module whose image came from the cache starts with "cuda: cache hit: <path>"; a fresh
// build starts with "cuda: cache miss, compiled <path>". Both also go to the debug log.
#include <sstream>

#include "cuda.hpp"
#include "kernel_cache.hpp"
#include "nvrtc.hpp"

namespace rk::cuda {
namespace fs = std::filesystem;
namespace {

struct Plan {
  std::string source;
  std::vector<std::string> options;
  std::string target;  // "sm_90" (CUBIN) or "compute_90" (PTX)
};

std::vector<std::string> split_options(const char* options) {
  std::vector<std::string> words;
  if (options == nullptr) return words;
  std::istringstream in(options);
  for (std::string word; in >> word;) words.push_back(word);
  return words;
}

rk_result plan_build(rk_backend_context context, const rk_compile_request* request, Plan& plan) {
  std::string user(request->source, request->source_size);
  plan.source = request->kind == RK_SOURCE_DIALECT ? dialect_source(user) : user;
  std::string reason;
  plan.target = pick_target(context->device->major, context->device->minor, reason);
  if (plan.target.empty()) return fail(RK_ERROR_BACKEND_UNAVAILABLE, "cuda: " + reason);
  plan.options = default_options(plan.target);
  for (auto& word : split_options(request->options)) plan.options.push_back(std::move(word));
  return RK_SUCCESS;
}

// cuModuleLoadData wants PTX NUL-terminated; a std::string's data() always is.
rk_result load_image(const std::string& image, CUmodule& module) {
  CUresult status = cu().cuModuleLoadData(&module, image.c_str());
  return status == CUDA_SUCCESS ? RK_SUCCESS : fail_cu(RK_ERROR_COMPILE_FAILED, "cuModuleLoadData", status);
}

// A cached image the driver refuses (a truncated file, another driver) is removed and the
// source compiled again.
bool try_cache(const fs::path& path, CUmodule& module, std::string& log_text) {
  std::string image;
  if (!read_image(path, image)) return false;
  if (load_image(image, module) != RK_SUCCESS) {
    std::error_code ec;
    fs::remove(path, ec);
    log(RK_LOG_LEVEL_WARN, "cuda: dropped an unusable cached image " + path.string() + ": " + last_error());
    return false;
  }
  log_text = "cuda: cache hit: " + path.string();
  return true;
}

rk_result compile_and_store(const Plan& plan, const fs::path& path, const char* name, CUmodule& module,
                            std::string& log_text) {
  NvrtcResult built;
  std::string error;
  rk_result r = nvrtc_compile(plan.source, plan.options, name, built, error);
  if (r != RK_SUCCESS) {
    log_text = built.log.empty() ? error : built.log;
    return fail(r, std::string("cuda: compiling '") + (name ? name : "kernel") + "' for " + plan.target +
                       " failed: " + error);
  }
  if (r = load_image(built.image, module); r != RK_SUCCESS) return r;
  std::string stored = store_image(path, built.image);
  log_text = stored.empty() ? "cuda: cache miss, compiled " + path.string() : "cuda: compiled, not cached: " + stored;
  if (!built.log.empty()) log_text += "\n" + built.log;
  return RK_SUCCESS;
}

rk_result compile_source(rk_backend_context context, const rk_compile_request* request, CUmodule& module,
                         std::string& log_text) {
  Plan plan;
  if (rk_result r = plan_build(context, request, plan); r != RK_SUCCESS) return r;
  std::string extension = plan.target.rfind("sm_", 0) == 0 ? ".cubin" : ".ptx";
  fs::path path = cache_directory() / (cache_key(plan.source, plan.options) + extension);
  if (try_cache(path, module, log_text)) return RK_SUCCESS;
  return compile_and_store(plan, path, request->name, module, log_text);
}

std::string module_label(const rk_compile_request* request) {
  return request->name ? std::string(" '") + request->name + "'" : std::string();
}

}  // namespace

rk_result module_compile(rk_backend_context context, const rk_compile_request* request, rk_backend_module* module,
                         rk_text_out* log_out) {
  if (context == nullptr || request == nullptr || module == nullptr || request->source == nullptr)
    return fail(RK_ERROR_INVALID_ARGUMENT, "context, compile request, its source and the module out-pointer must be set");
  if (request->kind < RK_SOURCE_DIALECT || request->kind > RK_SOURCE_BINARY)
    return fail(RK_ERROR_INVALID_ARGUMENT, "unknown source kind");
  if (rk_result r = bind(context); r != RK_SUCCESS) return r;
  CUmodule loaded = nullptr;
  std::string log_text;
  rk_result r = request->kind == RK_SOURCE_BINARY
                    ? load_image(std::string(request->source, request->source_size), loaded)
                    : compile_source(context, request, loaded, log_text);
  if (r != RK_SUCCESS && log_text.empty()) log_text = last_error();
  log(r == RK_SUCCESS ? RK_LOG_LEVEL_DEBUG : RK_LOG_LEVEL_WARN, "module" + module_label(request) + ": " + log_text);
  write_text(log_out, log_text);
  if (r != RK_SUCCESS) return r;
  *module = new rk_backend_module_s();
  (*module)->context = context;
  (*module)->module = loaded;
  return RK_SUCCESS;
}

rk_result module_destroy(rk_backend_module module) {
  if (module == nullptr) return RK_SUCCESS;
  if (rk_result r = bind(module->context); r != RK_SUCCESS) return r;
  cu().cuModuleUnload(module->module);  // its functions go with it
  delete module;
  return RK_SUCCESS;
}

rk_result function_get(rk_backend_module module, const char* name, rk_backend_function* function) {
  if (module == nullptr || name == nullptr || function == nullptr)
    return fail(RK_ERROR_INVALID_ARGUMENT, "module, name and function must be set");
  if (rk_result r = bind(module->context); r != RK_SUCCESS) return r;
  std::lock_guard lock(module->mutex);
  for (const auto& known : module->functions) {
    if (known->name != name) continue;
    *function = known.get();
    return RK_SUCCESS;
  }
  CUfunction handle = nullptr;
  CUresult status = cu().cuModuleGetFunction(&handle, module->module, name);
  if (status == CUDA_ERROR_NOT_FOUND)
    return fail(RK_ERROR_NOT_FOUND, std::string("cuda: no kernel named '") + name + "' in the module");
  if (status != CUDA_SUCCESS) return fail_cu(RK_ERROR_INTERNAL, std::string("cuModuleGetFunction('") + name + "')", status);
  auto created = std::make_unique<rk_backend_function_s>();
  created->module = module;
  created->function = handle;
  created->name = name;
  cu().cuFuncGetAttribute(&created->max_threads, CU_FUNC_ATTRIBUTE_MAX_THREADS_PER_BLOCK, handle);
  // Functions live as long as their module (the ABI has no function_destroy).
  module->functions.push_back(std::move(created));
  *function = module->functions.back().get();
  return RK_SUCCESS;
}

}  // namespace rk::cuda
