#include "spirv_compiler.hpp"

#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <mutex>
#include <sstream>

#include "common/process.hpp"  // run_process (posix_spawn, no shell), find_executable

namespace rk::level_zero {
namespace fs = std::filesystem;
using rk::plugin_common::find_executable;
using rk::plugin_common::run_process;

namespace {

constexpr const char* kVersions[] = {"-18", "-17", "-16", "-15", "-14", ""};
// SPIR-V 1.2: the version every Level Zero driver must accept (llvm-spirv 14 writes 1.4 by
// default, with entry-point interfaces that spirv-val rejects).
constexpr const char* kSpirvVersionFlag = "--spirv-max-version=1.2";

std::string env_or_empty(const char* name) {
  const char* value = std::getenv(name);
  return value && *value ? value : "";
}

fs::path scratch_directory() {
  return fs::temp_directory_path() / ("ringkernel-level_zero-" + rk::plugin_common::unique_suffix());
}

std::string version_of(const std::string& tool) {
  auto result = run_process({tool, "--version"}, scratch_directory().string() + ".version");
  return result.output;
}

std::string missing_tools_reason(const std::string& clang_env, const std::string& spirv_env) {
  std::string reason = "level_zero: cannot compile OpenCL C to SPIR-V:";
  if (!clang_env.empty()) reason += " RINGKERNEL_CLANG=" + clang_env + " is not executable;";
  if (!spirv_env.empty()) reason += " RINGKERNEL_LLVM_SPIRV=" + spirv_env + " is not executable;";
  for (const char* version : kVersions) {
    std::string clang = find_executable(std::string("clang") + version);
    std::string spirv = find_executable(std::string("llvm-spirv") + version);
    if (!clang.empty() && spirv.empty()) reason += " found " + clang + " but no llvm-spirv" + version + ";";
  }
  return reason + " need clang and llvm-spirv of one LLVM version (clang-N + llvm-spirv-N, N = 18..14, or clang + "
                  "llvm-spirv in PATH; or set RINGKERNEL_CLANG and RINGKERNEL_LLVM_SPIRV). Debian: apt-get install "
                  "clang-14 llvm-spirv-14";
}

SpirvTools g_tools;
std::string g_missing;
std::once_flag g_find_once;

std::string read_whole_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

bool write_whole_file(const fs::path& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary);
  return static_cast<bool>(out << bytes) && static_cast<bool>(out.flush());
}

std::string tool_name(const std::string& path) { return fs::path(path).filename().string(); }

// Runs one tool; a non-zero exit is RK_ERROR_COMPILE_FAILED with its output as the log.
rk_result run_tool(const std::vector<std::string>& argv, const fs::path& scratch, const char* name, SpirvBuild& out,
                   std::string& error) {
  auto result = run_process(argv, scratch / "output.txt");
  while (!result.output.empty() && result.output.back() == '\n') result.output.pop_back();
  if (!result.output.empty()) out.log += (out.log.empty() ? "" : "\n") + result.output;
  if (result.exit_code == 0) return RK_SUCCESS;
  error = "level_zero: " + tool_name(argv[0]) + " failed to compile '" + (name ? name : "kernel") + "' (exit " +
          std::to_string(result.exit_code) + "):\n" + (result.output.empty() ? "(no output)" : result.output);
  return RK_ERROR_COMPILE_FAILED;
}

}  // namespace

bool search_spirv_tools(SpirvTools& tools, std::string& reason) {
  std::string clang_env = env_or_empty("RINGKERNEL_CLANG"), spirv_env = env_or_empty("RINGKERNEL_LLVM_SPIRV");
  for (const char* version : kVersions) {
    std::string clang = find_executable(clang_env.empty() ? std::string("clang") + version : clang_env);
    std::string spirv = find_executable(spirv_env.empty() ? std::string("llvm-spirv") + version : spirv_env);
    if (clang.empty() || spirv.empty()) continue;
    tools = {clang, spirv,
             clang + "\n" + version_of(clang) + "\n" + spirv + "\n" + version_of(spirv) + "\n" + kSpirvVersionFlag};
    reason.clear();
    return true;
  }
  reason = missing_tools_reason(clang_env, spirv_env);
  return false;
}

const SpirvTools* find_spirv_tools(std::string& reason) {
  std::call_once(g_find_once, [] { search_spirv_tools(g_tools, g_missing); });
  reason = g_missing;
  return g_missing.empty() ? &g_tools : nullptr;
}

bool is_spirv(const char* bytes, size_t size) {
  if (bytes == nullptr || size < 4) return false;
  uint32_t word = 0;
  std::memcpy(&word, bytes, 4);
  return word == 0x07230203u || word == 0x03022307u;
}

// No vectorizers: they turn loops (a pulled message's byte copy into a scalar, say) into
// llvm.vector.reduce.* intrinsics that llvm-spirv 14 cannot translate, and the device's own
// compiler vectorizes the SPIR-V anyway.
std::vector<std::string> clang_options(const char* extra) {
  std::vector<std::string> options = {"-cl-std=CL3.0", "-target", "spir64", "-O2", "-fno-vectorize", "-fno-slp-vectorize"};
  if (extra == nullptr) return options;
  std::istringstream words(extra);
  for (std::string word; words >> word;) options.push_back(word);
  return options;
}

rk_result compile_to_spirv(const SpirvTools& tools, const std::string& source, const std::vector<std::string>& options,
                           const char* name, SpirvBuild& out, std::string& error) {
  fs::path scratch = scratch_directory();
  std::error_code ec;
  fs::create_directories(scratch, ec);
  if (ec || !write_whole_file(scratch / "source.cl", source)) {
    error = "level_zero: cannot write the program to " + scratch.string();
    fs::remove_all(scratch, ec);
    return RK_ERROR_INTERNAL;
  }
  std::vector<std::string> clang = {tools.clang};
  clang.insert(clang.end(), options.begin(), options.end());
  clang.insert(clang.end(), {"-emit-llvm", "-c", "-x", "cl", (scratch / "source.cl").string(), "-o",
                             (scratch / "program.bc").string()});
  rk_result r = run_tool(clang, scratch, name, out, error);
  if (r == RK_SUCCESS)
    r = run_tool({tools.llvm_spirv, kSpirvVersionFlag, (scratch / "program.bc").string(), "-o",
                  (scratch / "program.spv").string()},
                 scratch, name, out, error);
  if (r == RK_SUCCESS) out.spirv = read_whole_file(scratch / "program.spv");
  if (r == RK_SUCCESS && !is_spirv(out.spirv.data(), out.spirv.size())) {
    error = "level_zero: llvm-spirv wrote no SPIR-V module";
    r = RK_ERROR_COMPILE_FAILED;
  }
  fs::remove_all(scratch, ec);
  return r;
}

}  // namespace rk::level_zero
