// compile: prelude + dialect source, the backend's runtime compiler for the device's target,
// images cached by content, loaded with the driver's module API.
//
// Observable cache signal: the build log (rk_text_out, and so rk_module_build_log) of a
// module whose image came from the cache starts with "<backend>: cache hit: <path>"; a fresh
// build starts with "<backend>: cache miss, compiled <path>". Both also go to the debug log.
#include <sstream>

#include "gpu_common/gpu.hpp"
#include "common/image_cache.hpp"

namespace rk::gpu {
namespace fs = std::filesystem;
using plugin_common::cache_directory;
using plugin_common::cache_key;
using plugin_common::read_image;
using plugin_common::store_image;
namespace {

struct Plan {
  std::string source;
  BuildTarget target;
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
  plan.source = request->kind == RK_SOURCE_DIALECT ? kBackend.compiler->dialect_source(user) : user;
  if (rk_result r = kBackend.compiler->target_for(*context->device, plan.target); r != RK_SUCCESS) return r;
  for (auto& word : split_options(request->options)) plan.target.options.push_back(std::move(word));
  return RK_SUCCESS;
}

// The driver wants PTX NUL-terminated; a std::string's data() always is.
rk_result load_image(const std::string& image, Module& module) {
  Status status = api().module_load_data(&module, image.c_str());
  return succeeded(status) ? RK_SUCCESS : fail_status(RK_ERROR_COMPILE_FAILED, "loading the module image", status);
}

// A cached image the driver refuses (a truncated file, another driver) is removed and the
// source compiled again.
bool try_cache(const fs::path& path, Module& module, std::string& log_text) {
  std::string image;
  if (!read_image(path, image)) return false;
  if (load_image(image, module) != RK_SUCCESS) {
    std::error_code ec;
    fs::remove(path, ec);
    log(RK_LOG_LEVEL_WARN, prefixed("dropped an unusable cached image " + path.string() + ": " + last_error()));
    return false;
  }
  log_text = prefixed("cache hit: " + path.string());
  return true;
}

rk_result compile_and_store(const Plan& plan, const fs::path& path, const char* name, Module& module,
                            std::string& log_text) {
  CompiledImage built;
  std::string error;
  rk_result r = kBackend.compiler->compile(plan.source, plan.target.options, name, built, error);
  if (r != RK_SUCCESS) {
    log_text = built.log.empty() ? error : built.log;
    return fail(r, prefixed(std::string("compiling '") + (name ? name : "kernel") + "' for " + plan.target.target +
                            " failed: " + error));
  }
  if (r = load_image(built.image, module); r != RK_SUCCESS) return r;
  std::string stored = store_image(path, built.image);
  log_text = prefixed(stored.empty() ? "cache miss, compiled " + path.string() : "compiled, not cached: " + stored);
  if (!built.log.empty()) log_text += "\n" + built.log;
  return RK_SUCCESS;
}

rk_result compile_source(rk_backend_context context, const rk_compile_request* request, Module& module,
                         std::string& log_text) {
  Plan plan;
  if (rk_result r = plan_build(context, request, plan); r != RK_SUCCESS) return r;
  std::string key = cache_key(plan.source, plan.target.options, kBackend.compiler->identity());
  fs::path path = cache_directory(kBackend.name) / (key + plan.target.extension);
  if (try_cache(path, module, log_text)) return RK_SUCCESS;
  return compile_and_store(plan, path, request->name, module, log_text);
}

std::string module_label(const rk_compile_request* request) {
  return request->name ? std::string(" '") + request->name + "'" : std::string();
}

rk_result wrap_module(rk_backend_context context, Module loaded, rk_backend_module* module) {
  auto created = std::make_unique<rk_backend_module_s>();
  created->context = context;
  created->module = loaded;
  if (kBackend.after_module_load != nullptr) {
    if (rk_result r = kBackend.after_module_load(created.get()); r != RK_SUCCESS) {
      api().module_unload(loaded);
      return r;
    }
  }
  *module = created.release();
  return RK_SUCCESS;
}

}  // namespace

rk_result module_compile(rk_backend_context context, const rk_compile_request* request, rk_backend_module* module,
                         rk_text_out* log_out) {
  if (context == nullptr || request == nullptr || module == nullptr || request->source == nullptr)
    return fail(RK_ERROR_INVALID_ARGUMENT, "context, compile request, its source and the module out-pointer must be set");
  if (request->kind < RK_SOURCE_DIALECT || request->kind > RK_SOURCE_BINARY)
    return fail(RK_ERROR_INVALID_ARGUMENT, "unknown source kind");
  if (rk_result r = bind(context); r != RK_SUCCESS) return r;
  Module loaded = nullptr;
  std::string log_text;
  rk_result r = request->kind == RK_SOURCE_BINARY
                    ? load_image(std::string(request->source, request->source_size), loaded)
                    : compile_source(context, request, loaded, log_text);
  if (r == RK_SUCCESS) r = wrap_module(context, loaded, module);
  if (r != RK_SUCCESS && log_text.empty()) log_text = last_error();
  log(r == RK_SUCCESS ? RK_LOG_LEVEL_DEBUG : RK_LOG_LEVEL_WARN, "module" + module_label(request) + ": " + log_text);
  write_text(log_out, log_text);
  return r;
}

rk_result module_destroy(rk_backend_module module) {
  if (module == nullptr) return RK_SUCCESS;
  if (rk_result r = bind(module->context); r != RK_SUCCESS) return r;
  Module unloaded = module->module;  // its functions go with it
  release_when_idle(module->context, [unloaded] { api().module_unload(unloaded); });
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
  Function handle = nullptr;
  Status status = api().module_get_function(&handle, module->module, name);
  if (status == kBackend.status.not_found)
    return fail(RK_ERROR_NOT_FOUND, prefixed(std::string("no kernel named '") + name + "' in the module"));
  if (!succeeded(status)) return fail_status(RK_ERROR_INTERNAL, std::string("getting function '") + name + "'", status);
  auto created = std::make_unique<rk_backend_function_s>();
  created->module = module;
  created->function = handle;
  created->name = name;
  api().function_attribute(&created->max_threads, kBackend.constants.function_max_threads, handle);
  // Functions live as long as their module (the ABI has no function_destroy).
  module->functions.push_back(std::move(created));
  *function = module->functions.back().get();
  return RK_SUCCESS;
}

}  // namespace rk::gpu
