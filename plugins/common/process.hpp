// Runs a compiler (cpu_sim: the host C++ compiler and clang's OpenCL C check; level_zero:
// clang, llvm-spirv) without a shell, so no source name or flag is ever reparsed.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace rk::plugin_common {

struct ProcessResult {
  int exit_code = -1;  // 128 + signal when killed; -1 when it never started
  std::string output;  // stdout and stderr, interleaved as written
};

// Runs argv[0] (searched in PATH) with argv; output goes through `scratch_file`, which is
// removed afterwards.
ProcessResult run_process(const std::vector<std::string>& argv, const std::filesystem::path& scratch_file);

// `name` as given when it holds a '/' (if executable), else the first executable of that
// name in PATH; "" when there is none.
std::string find_executable(const std::string& name);

// A suffix no other scratch file of this machine has at the same time: pid plus a
// per-process counter (thread ids can repeat).
std::string unique_suffix();

}  // namespace rk::plugin_common
