// The compiled-kernel cache: which compiler and flags build a kernel object, where the
// objects live, and the content key that names them.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "rk_plugin.h"

namespace rk::cpu_sim {

// Everything that decides the bytes of a compiled kernel object.
struct KernelBuild {
  std::string compiler;            // RINGKERNEL_CPU_CXX, else the build's compiler, else c++
  std::vector<std::string> flags;  // ours, the build's sanitizers, then the request's options
  std::string source;              // prelude + user source + entry trampolines
  // What checked the source as OpenCL C (opencl_check.hpp), "" when nothing did: a checked
  // and an unchecked build are different entries, so a source that fails the check is
  // never served from an entry built while the check was off.
  std::string opencl_check;
};

KernelBuild plan_build(std::string source, const char* user_options);

// RINGKERNEL_CACHE_DIR, else $XDG_CACHE_HOME/ringkernel, else ~/.cache/ringkernel; plus /cpu_sim.
std::filesystem::path cache_directory();

// SHA-256 over the source, compiler path and --version text, flags, the OpenCL C check
// and plugin ABI version.
std::string cache_key(const KernelBuild& build);

// Compiles into `target` through a temporary name and rename(), so a concurrent reader
// (another thread or process) sees either no file or a whole one. `compiler_output` gets
// what the compiler printed. Fails with RK_ERROR_COMPILE_FAILED and the output in last_error.
rk_result compile_into_cache(const KernelBuild& build, const std::filesystem::path& target,
                             std::string& compiler_output);

}  // namespace rk::cpu_sim
