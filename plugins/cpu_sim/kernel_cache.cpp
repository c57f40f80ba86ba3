// cpu_sim's kernel cache: host compiler selection, content keys, atomic publication.
#include "kernel_cache.hpp"

#include <cstdlib>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>

#include "cpu_sim.hpp"
#include "common/image_cache.hpp"
#include "common/process.hpp"

namespace rk::cpu_sim {

using plugin_common::ProcessResult;
using plugin_common::run_process;
using plugin_common::unique_suffix;
namespace fs = std::filesystem;
namespace {

std::string choose_compiler() {
  if (const char* env = std::getenv("RINGKERNEL_CPU_CXX"); env && *env) return env;
  std::error_code ec;
  return fs::exists(RINGKERNEL_CPU_SIM_CXX, ec) ? RINGKERNEL_CPU_SIM_CXX : "c++";
}

std::vector<std::string> split_words(const std::string& text) {
  std::vector<std::string> words;
  std::istringstream in(text);
  for (std::string word; in >> word;) words.push_back(word);
  return words;
}

// `--version` output is part of the key, so upgrading the compiler invalidates the cache.
// Asked once per compiler per process.
const std::string& compiler_identity(const std::string& compiler) {
  static std::mutex mutex;
  static std::map<std::string, std::string> known;
  std::lock_guard lock(mutex);
  auto it = known.find(compiler);
  if (it != known.end()) return it->second;
  fs::path scratch = fs::temp_directory_path() / ("rk-cpu-sim-version-" + unique_suffix());
  return known[compiler] = run_process({compiler, "--version"}, scratch).output;
}

}  // namespace

KernelBuild plan_build(std::string source, const char* user_options) {
  KernelBuild build;
  build.compiler = choose_compiler();
  build.flags = {"-std=c++20", "-O2", "-g", "-fPIC", "-shared", "-fvisibility=hidden"};
  for (std::string& f : split_words(RINGKERNEL_CPU_SIM_SANITIZER_FLAGS)) build.flags.push_back(std::move(f));
  if (user_options != nullptr)
    for (std::string& f : split_words(user_options)) build.flags.push_back(std::move(f));
  build.source = std::move(source);
  return build;
}

fs::path cache_directory() { return plugin_common::cache_directory("cpu_sim"); }

std::string cache_key(const KernelBuild& build) {
  return plugin_common::cache_key(build.source, build.flags,
                                  build.compiler + "\n" + compiler_identity(build.compiler) +
                                      "\nOpenCL C check: " + build.opencl_check);
}

rk_result compile_into_cache(const KernelBuild& build, const fs::path& target, std::string& compiler_output) {
  std::string temp = "tmp-" + unique_suffix();
  fs::path source_file = target.parent_path() / (temp + ".cpp");
  fs::path object_file = target.parent_path() / (temp + ".so");
  if (!(std::ofstream(source_file, std::ios::binary) << build.source))
    return fail(RK_ERROR_INTERNAL, "cpu_sim: cannot write " + source_file.string());
  std::vector<std::string> argv = {build.compiler};
  argv.insert(argv.end(), build.flags.begin(), build.flags.end());
  argv.insert(argv.end(), {"-o", object_file.string(), source_file.string()});
  ProcessResult result = run_process(argv, target.parent_path() / (temp + ".log"));
  compiler_output = result.output;
  std::error_code ec;
  fs::remove(source_file, ec);
  if (result.exit_code != 0) {
    fs::remove(object_file, ec);
    return fail(RK_ERROR_COMPILE_FAILED, "cpu_sim: " + build.compiler + " failed (exit " +
                                             std::to_string(result.exit_code) + "):\n" + result.output);
  }
  // The compiler made it 0777 & ~umask; a group-writable image would be refused next time.
  fs::permissions(object_file, fs::perms::owner_all, fs::perm_options::replace, ec);
  fs::rename(object_file, target, ec);
  if (ec) {
    std::string reason = ec.message();
    fs::remove(object_file, ec);
    return fail(RK_ERROR_INTERNAL, "cpu_sim: cannot move the compiled kernel into the cache: " + reason);
  }
  return RK_SUCCESS;
}

}  // namespace rk::cpu_sim
