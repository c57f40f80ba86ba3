// level_zero compile: the OpenCL C form of the dialect (the opencl plugin's prelude and
// assembly, opencl/dialect_source.hpp) to SPIR-V with clang + llvm-spirv (spirv_compiler),
// SPIR-V cached by content, then zeModuleCreate with the driver's build log on failure.
//
// Observable cache signal: the build log of a module whose SPIR-V came from the cache starts
// with "level_zero: cache hit: <path>"; a fresh build with "level_zero: cache miss, compiled
// <path>"; a program bound to its context's clock with "level_zero: compiled, not cached".
#include <filesystem>

#include "common/image_cache.hpp"
#include "level_zero.hpp"
#include "opencl/dialect_source.hpp"
#include "spirv_compiler.hpp"

namespace rk::level_zero {
namespace fs = std::filesystem;
namespace {

struct Plan {
  std::string source;  // OpenCL C, exactly what clang compiles
  std::vector<std::string> options;
  bool context_bound = false;  // embeds the context's clock address: never written to disk
};

Plan plan_build(rk_backend_context context, const rk_compile_request* request) {
  Plan plan;
  std::string user(request->source, request->source_size);
  if (request->kind == RK_SOURCE_NATIVE) {
    plan.source = std::move(user);
  } else {
    plan.context_bound = context->clock && opencl::reads_clock(user);
    plan.source = opencl::dialect_source(user, plan.context_bound ? context->clock->word() : nullptr);
  }
  plan.options = clang_options(request->options);
  return plan;
}

std::string build_log(ze_module_build_log_handle_t handle) {
  if (handle == nullptr) return "";
  size_t size = 0;
  std::string text;
  if (ze().zeModuleBuildLogGetString(handle, &size, nullptr) == ZE_RESULT_SUCCESS && size > 0) {
    text.resize(size);
    if (ze().zeModuleBuildLogGetString(handle, &size, text.data()) != ZE_RESULT_SUCCESS) text.clear();
  }
  ze().zeModuleBuildLogDestroy(handle);
  while (!text.empty() && (text.back() == '\0' || text.back() == '\n')) text.pop_back();
  return text;
}

// SPIR-V or (RK_SOURCE_BINARY without the SPIR-V magic) a device-native binary.
rk_result create_module(rk_backend_context context, const std::string& bytes, const char* name, ze_module_handle_t& module,
                        std::string& log_text) {
  ze_module_desc_t desc;
  desc.format = is_spirv(bytes.data(), bytes.size()) ? ZE_MODULE_FORMAT_IL_SPIRV : ZE_MODULE_FORMAT_NATIVE;
  desc.inputSize = bytes.size();
  desc.pInputModule = reinterpret_cast<const uint8_t*>(bytes.data());
  desc.pBuildFlags = "";
  ze_module_build_log_handle_t log_handle = nullptr;
  ze_result_t status = ze().zeModuleCreate(context->context, context->device->handle, &desc, &module, &log_handle);
  std::string driver_log = build_log(log_handle);
  if (status == ZE_RESULT_SUCCESS) {
    if (!driver_log.empty()) log_text += (log_text.empty() ? "" : "\n") + driver_log;
    return RK_SUCCESS;
  }
  module = nullptr;
  log_text = driver_log.empty() ? "zeModuleCreate: " + ze_error_name(status) : driver_log;
  return fail(RK_ERROR_COMPILE_FAILED, std::string("level_zero: zeModuleCreate of '") + (name ? name : "kernel") +
                                           "' failed (" + ze_error_name(status) + "):\n" + log_text);
}

rk_result compile_fresh(const SpirvTools& tools, const Plan& plan, const char* name, std::string& spirv,
                        std::string& log_text) {
  SpirvBuild built;
  std::string error;
  rk_result r = compile_to_spirv(tools, plan.source, plan.options, name, built, error);
  log_text = built.log;
  if (r != RK_SUCCESS) return fail(r, error);
  spirv = std::move(built.spirv);
  return RK_SUCCESS;
}

// The SPIR-V for `plan`: from the disk cache, or compiled (and stored unless context-bound).
rk_result spirv_for(const Plan& plan, const char* name, std::string& spirv, std::string& log_text, fs::path& cached) {
  std::string reason;
  const SpirvTools* tools = find_spirv_tools(reason);
  if (tools == nullptr) return fail(RK_ERROR_BACKEND_UNAVAILABLE, reason);
  if (plan.context_bound) {
    rk_result r = compile_fresh(*tools, plan, name, spirv, log_text);
    if (r == RK_SUCCESS)
      log_text = "level_zero: compiled, not cached (the program embeds this context's clock address)" +
                 (log_text.empty() ? "" : "\n" + log_text);
    return r;
  }
  fs::path path = plugin_common::cache_directory("level_zero") / (plugin_common::cache_key(plan.source, plan.options, tools->identity) + ".spv");
  if (plugin_common::read_image(path, spirv) && is_spirv(spirv.data(), spirv.size())) {
    log_text = "level_zero: cache hit: " + path.string();
    cached = path;
    return RK_SUCCESS;
  }
  std::string tool_log;
  if (rk_result r = compile_fresh(*tools, plan, name, spirv, tool_log); r != RK_SUCCESS) {
    log_text = tool_log;
    return r;
  }
  std::string stored = plugin_common::store_image(path, spirv);
  log_text = stored.empty() ? "level_zero: cache miss, compiled " + path.string() : "level_zero: compiled, not cached: " + stored;
  if (!tool_log.empty()) log_text += "\n" + tool_log;
  return RK_SUCCESS;
}

rk_result compile_source(rk_backend_context context, const rk_compile_request* request, ze_module_handle_t& module,
                         std::string& log_text) {
  Plan plan = plan_build(context, request);
  std::string spirv;
  fs::path cached;
  if (rk_result r = spirv_for(plan, request->name, spirv, log_text, cached); r != RK_SUCCESS) return r;
  rk_result r = create_module(context, spirv, request->name, module, log_text);
  if (r == RK_SUCCESS || cached.empty()) return r;
  // The driver refused cached SPIR-V (a damaged file): drop it and compile once more.
  std::error_code ec;
  fs::remove(cached, ec);
  log(RK_LOG_LEVEL_WARN, "level_zero: dropped an unusable cached module " + cached.string() + ": " + last_error());
  log_text.clear();
  cached.clear();
  if (r = spirv_for(plan, request->name, spirv, log_text, cached); r != RK_SUCCESS) return r;
  return create_module(context, spirv, request->name, module, log_text);
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
  ze_module_handle_t handle = nullptr;
  std::string log_text;
  // SPIR-V passes straight to the driver whatever kind it was given as.
  bool binary = request->kind == RK_SOURCE_BINARY || is_spirv(request->source, request->source_size);
  rk_result r = binary ? create_module(context, std::string(request->source, request->source_size), request->name,
                                       handle, log_text)
                       : compile_source(context, request, handle, log_text);
  if (r != RK_SUCCESS && log_text.empty()) log_text = last_error();
  log(r == RK_SUCCESS ? RK_LOG_LEVEL_DEBUG : RK_LOG_LEVEL_WARN, "module" + module_label(request) + ": " + log_text);
  write_text(log_out, log_text);
  if (r != RK_SUCCESS) return r;
  *module = new rk_backend_module_s();
  (*module)->context = context;
  (*module)->module = handle;
  return RK_SUCCESS;
}

rk_result module_destroy(rk_backend_module module) {
  if (module == nullptr) return RK_SUCCESS;
  for (auto& function : module->functions) ze().zeKernelDestroy(function->kernel);
  ze().zeModuleDestroy(module->module);
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
  ze_kernel_desc_t desc;
  desc.pKernelName = name;
  ze_kernel_handle_t kernel = nullptr;
  ze_result_t status = ze().zeKernelCreate(module->module, &desc, &kernel);
  if (status == ZE_RESULT_ERROR_INVALID_KERNEL_NAME)
    return fail(RK_ERROR_NOT_FOUND, std::string("level_zero: no kernel named '") + name + "' in the module");
  if (status != ZE_RESULT_SUCCESS) return fail_ze(RK_ERROR_INTERNAL, std::string("zeKernelCreate('") + name + "')", status);
  // Ring kernels follow pointers stored in memory (env -> queues, routes -> peers): every
  // USM allocation must be resident, not only those passed as arguments.
  status = ze().zeKernelSetIndirectAccess(kernel, ZE_KERNEL_INDIRECT_ACCESS_FLAG_HOST |
                                                      ZE_KERNEL_INDIRECT_ACCESS_FLAG_DEVICE |
                                                      ZE_KERNEL_INDIRECT_ACCESS_FLAG_SHARED);
  if (status != ZE_RESULT_SUCCESS) {  // a ring kernel would fault on its first queue access
    ze().zeKernelDestroy(kernel);
    return fail_ze(RK_ERROR_INTERNAL, std::string("zeKernelSetIndirectAccess('") + name + "')", status);
  }
  auto created = std::make_unique<rk_backend_function_s>();
  created->module = module;
  created->kernel = kernel;
  created->name = name;
  ze_kernel_properties_t properties;
  if (ze().zeKernelGetProperties(kernel, &properties) == ZE_RESULT_SUCCESS) created->arg_count = properties.numKernelArgs;
  // Functions live as long as their module (the ABI has no function_destroy).
  module->functions.push_back(std::move(created));
  *function = module->functions.back().get();
  return RK_SUCCESS;
}

}  // namespace rk::level_zero
