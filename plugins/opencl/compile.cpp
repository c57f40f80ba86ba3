// opencl compile: prelude + dialect source, clBuildProgram with -cl-std for the device,
// the build log back to the caller, and program binaries cached by content.
//
// Observable cache signal: the build log (rk_text_out, and so rk_module_build_log) of a
// module that came from the cache starts with "opencl: cache hit: <path>"; a fresh build
// starts with "opencl: cache miss, built <path>", and a program bound to its context's clock
// (below) with "opencl: built, not cached". All are also logged at debug level.
#include "dialect_source.hpp"
#include "host_clock.hpp"
#include "opencl.hpp"
#include "program_cache.hpp"

namespace rk::opencl {
namespace fs = std::filesystem;
namespace {

// A source that reads the clock gets the context's clock-word address compiled in (see
// host_clock.hpp). Its binary is good for this context only, so it is not written to the
// disk cache (the driver's own cache, PoCL's kcache, still serves repeats in this process).
ProgramBuild plan_build(rk_backend_context context, const rk_compile_request* request) {
  ProgramBuild build;
  std::string user(request->source, request->source_size);
  if (request->kind == RK_SOURCE_NATIVE) {
    build.source = std::move(user);
  } else {
    build.context_bound = context->clock && reads_clock(user);
    build.source = dialect_source(user, build.context_bound ? context->clock->word() : nullptr);
  }
  build.options = "-cl-std=" + context->device->language;
  if (request->kind != RK_SOURCE_NATIVE && context->device->host_futex) build.options += " -DRK_OPENCL_HOST_FUTEX";
  if (request->options != nullptr && request->options[0] != '\0') build.options += std::string(" ") + request->options;
  return build;
}

std::string build_log(cl_program program, cl_device_id device) {
  size_t bytes = 0;
  if (cl().clGetProgramBuildInfo(program, device, CL_PROGRAM_BUILD_LOG, 0, nullptr, &bytes) != CL_SUCCESS || bytes == 0)
    return "";
  std::string log(bytes, '\0');
  if (cl().clGetProgramBuildInfo(program, device, CL_PROGRAM_BUILD_LOG, bytes, log.data(), nullptr) != CL_SUCCESS) return "";
  while (!log.empty() && (log.back() == '\0' || log.back() == '\n')) log.pop_back();
  return log;
}

// The device binary of a built single-device program, or "" if the driver gives none.
std::string program_binary(cl_program program) {
  size_t size = 0;
  if (cl().clGetProgramInfo(program, CL_PROGRAM_BINARY_SIZES, sizeof(size), &size, nullptr) != CL_SUCCESS || size == 0)
    return "";
  std::string bytes(size, '\0');
  auto* data = reinterpret_cast<unsigned char*>(bytes.data());
  if (cl().clGetProgramInfo(program, CL_PROGRAM_BINARIES, sizeof(data), &data, nullptr) != CL_SUCCESS) return "";
  return bytes;
}

// Builds `program` (from source or binary). On failure the log holds the compiler's words.
rk_result build(rk_backend_context context, cl_program program, const std::string& options, const char* name,
                std::string& log) {
  cl_device_id device = context->device->id;
  cl_int status = cl().clBuildProgram(program, 1, &device, options.c_str(), nullptr, nullptr);
  log = build_log(program, device);
  if (status == CL_SUCCESS) return RK_SUCCESS;
  if (log.empty()) log = "clBuildProgram: " + cl_error_name(status);
  return fail(RK_ERROR_COMPILE_FAILED, std::string("opencl: building '") + (name ? name : "kernel") + "' with " + options +
                                           " failed (" + cl_error_name(status) + "):\n" + log);
}

rk_result build_from_source(rk_backend_context context, const ProgramBuild& plan, const char* name, cl_program& program,
                            std::string& log) {
  const char* text = plan.source.c_str();
  size_t length = plan.source.size();
  cl_int status = CL_SUCCESS;
  program = cl().clCreateProgramWithSource(context->context, 1, &text, &length, &status);
  if (program == nullptr) return fail(RK_ERROR_COMPILE_FAILED, "opencl: clCreateProgramWithSource: " + cl_error_name(status));
  rk_result r = build(context, program, plan.options, name, log);
  if (r != RK_SUCCESS) {
    cl().clReleaseProgram(program);
    program = nullptr;
  }
  return r;
}

rk_result build_from_binary(rk_backend_context context, const std::string& bytes, const std::string& options,
                            const char* name, cl_program& program, std::string& log) {
  const auto* data = reinterpret_cast<const unsigned char*>(bytes.data());
  size_t size = bytes.size();
  cl_int binary_status = CL_SUCCESS, status = CL_SUCCESS;
  program = cl().clCreateProgramWithBinary(context->context, 1, &context->device->id, &size, &data, &binary_status, &status);
  if (program == nullptr || binary_status != CL_SUCCESS) {
    if (program) cl().clReleaseProgram(program);
    program = nullptr;
    return fail(RK_ERROR_COMPILE_FAILED, "opencl: the driver refused the binary: " +
                                             cl_error_name(status != CL_SUCCESS ? status : binary_status));
  }
  rk_result r = build(context, program, options, name, log);
  if (r != RK_SUCCESS) {
    cl().clReleaseProgram(program);
    program = nullptr;
  }
  return r;
}

// A cached binary the driver refuses (another driver build, a truncated file) is removed
// and the source is built again.
rk_result try_cache(rk_backend_context context, const ProgramBuild& plan, const fs::path& path, const char* name,
                    cl_program& program, std::string& log) {
  std::string bytes;
  if (!read_image(path, bytes)) return RK_ERROR_NOT_FOUND;
  std::string driver_log;
  if (build_from_binary(context, bytes, plan.options, name, program, driver_log) != RK_SUCCESS) {
    std::error_code ec;
    fs::remove(path, ec);
    opencl::log(RK_LOG_LEVEL_WARN, "opencl: dropped an unusable cached binary " + path.string() + ": " + last_error());
    return RK_ERROR_NOT_FOUND;
  }
  log = "opencl: cache hit: " + path.string() + (driver_log.empty() ? "" : "\n" + driver_log);
  return RK_SUCCESS;
}

rk_result build_and_store(rk_backend_context context, const ProgramBuild& plan, const fs::path& path, const char* name,
                          cl_program& program, std::string& log) {
  std::string compiler_log;
  rk_result r = build_from_source(context, plan, name, program, compiler_log);
  if (r != RK_SUCCESS) {
    log = compiler_log;
    return r;
  }
  std::string binary = program_binary(program);
  std::string stored = binary.empty() ? "the driver returned no binary" : store_image(path, binary);
  log = stored.empty() ? "opencl: cache miss, built " + path.string() : "opencl: built, not cached: " + stored;
  if (!compiler_log.empty()) log += "\n" + compiler_log;
  return RK_SUCCESS;
}

rk_result compile_binary(rk_backend_context context, const rk_compile_request* request, cl_program& program,
                         std::string& log) {
  std::string bytes(request->source, request->source_size);
  std::string options = "-cl-std=" + context->device->language;
  if (request->options != nullptr && request->options[0] != '\0') options += std::string(" ") + request->options;
  return build_from_binary(context, bytes, options, request->name, program, log);
}

rk_result compile_uncached(rk_backend_context context, const ProgramBuild& plan, const char* name, cl_program& program,
                           std::string& log) {
  std::string compiler_log;
  rk_result r = build_from_source(context, plan, name, program, compiler_log);
  log = r != RK_SUCCESS ? compiler_log
                        : "opencl: built, not cached (the program embeds this context's clock address)" +
                              (compiler_log.empty() ? "" : "\n" + compiler_log);
  return r;
}

rk_result compile_source(rk_backend_context context, const rk_compile_request* request, cl_program& program,
                         std::string& log) {
  ProgramBuild plan = plan_build(context, request);
  if (plan.context_bound) return compile_uncached(context, plan, request->name, program, log);
  fs::path path = cache_directory("opencl") / (cache_key(plan, *context->device) + ".bin");
  if (try_cache(context, plan, path, request->name, program, log) == RK_SUCCESS) return RK_SUCCESS;
  return build_and_store(context, plan, path, request->name, program, log);
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
  cl_program program = nullptr;
  std::string log_text;
  rk_result r = request->kind == RK_SOURCE_BINARY ? compile_binary(context, request, program, log_text)
                                                  : compile_source(context, request, program, log_text);
  log(r == RK_SUCCESS ? RK_LOG_LEVEL_DEBUG : RK_LOG_LEVEL_WARN, "module" + module_label(request) + ": " + log_text);
  write_text(log_out, log_text);
  if (r != RK_SUCCESS) return r;
  *module = new rk_backend_module_s();
  (*module)->context = context;
  (*module)->program = program;
  return RK_SUCCESS;
}

rk_result module_destroy(rk_backend_module module) {
  if (module == nullptr) return RK_SUCCESS;
  for (auto& function : module->functions) cl().clReleaseKernel(function->kernel);
  cl().clReleaseProgram(module->program);
  delete module;
  return RK_SUCCESS;
}

namespace {

size_t kernel_work_group_limit(cl_kernel kernel, const Device& device) {
  size_t limit = device.info.max_block_size;
  size_t kernel_limit = 0;
  if (cl().clGetKernelWorkGroupInfo(kernel, device.id, CL_KERNEL_WORK_GROUP_SIZE, sizeof(kernel_limit), &kernel_limit,
                                    nullptr) == CL_SUCCESS &&
      kernel_limit > 0 && kernel_limit < limit)
    limit = kernel_limit;
  return limit;
}

}  // namespace

rk_result function_get(rk_backend_module module, const char* name, rk_backend_function* function) {
  if (module == nullptr || name == nullptr || function == nullptr)
    return fail(RK_ERROR_INVALID_ARGUMENT, "module, name and function must be set");
  std::lock_guard lock(module->mutex);
  for (const auto& known : module->functions) {
    if (known->name != name) continue;
    *function = known.get();
    return RK_SUCCESS;
  }
  cl_int status = CL_SUCCESS;
  cl_kernel kernel = cl().clCreateKernel(module->program, name, &status);
  if (kernel == nullptr) {
    if (status == CL_INVALID_KERNEL_NAME)
      return fail(RK_ERROR_NOT_FOUND, std::string("opencl: no kernel named '") + name + "' in the module");
    return fail(RK_ERROR_INTERNAL, std::string("opencl: clCreateKernel('") + name + "'): " + cl_error_name(status));
  }
  auto created = std::make_unique<rk_backend_function_s>();
  created->module = module;
  created->kernel = kernel;
  created->name = name;
  cl().clGetKernelInfo(kernel, CL_KERNEL_NUM_ARGS, sizeof(created->arg_count), &created->arg_count, nullptr);
  created->max_work_group = kernel_work_group_limit(kernel, *module->context->device);
  // Functions live as long as their module (the ABI has no function_destroy).
  module->functions.push_back(std::move(created));
  *function = module->functions.back().get();
  return RK_SUCCESS;
}

}  // namespace rk::opencl
