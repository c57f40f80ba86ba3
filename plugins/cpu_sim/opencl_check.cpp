// The OpenCL C check: clang -fsyntax-only over the OpenCL prelude + the user's source, for
// a device with the OpenCL C features of PoCL's CPU device (the strictest device the opencl
// backend runs ring kernels on: no generic address space, no program-scope variables).
#include "opencl_check.hpp"

#include <cstdlib>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>

#include "common/process.hpp"
#include "cpu_sim.hpp"

namespace rk::opencl {
extern const char* const kPrelude;  // plugins/opencl/prelude/rk_prelude_opencl.h, embedded at build time
}

namespace rk::cpu_sim {
namespace fs = std::filesystem;
namespace {

constexpr const char* kClangs[] = {"clang-14", "clang-15", "clang-16", "clang-17", "clang-18"};

// PoCL 3.1's optional OpenCL C 3.0 features and extensions (clinfo); all others are off.
// Turning off __opencl_c_generic_address_space alone does nothing in clang 14: the features
// that need it must go too, which "-all" does.
constexpr const char* kDeviceFeatures =
    "-cl-ext=-all,+__opencl_c_int64,+__opencl_c_fp64,+__opencl_c_atomic_order_acq_rel,"
    "+__opencl_c_atomic_order_seq_cst,+__opencl_c_atomic_scope_device,+__opencl_c_images,"
    "+__opencl_c_read_write_images,+__opencl_c_3d_image_writes,+cl_khr_byte_addressable_store,"
    "+cl_khr_global_int32_base_atomics,+cl_khr_global_int32_extended_atomics,+cl_khr_local_int32_base_atomics,"
    "+cl_khr_local_int32_extended_atomics,+cl_khr_int64_base_atomics,+cl_khr_int64_extended_atomics,"
    "+cl_khr_3d_image_writes,+cl_khr_fp64";

// Dialect names that not every backend defines yet (docs/dialect.md): declared, so the check
// is about the language and not about which backend implements what.
constexpr const char* kDeclaredNames = "__local void* rk_dynamic_shared(void);\n";

// Words OpenCL C reserves that C++ does not: the usual reason a source that builds on
// cpu_sim fails the check. docs/dialect.md lists the same words.
struct ReservedWord {
  const char* word;
  const char* what;
};
constexpr ReservedWord kReservedWords[] = {
    {"global", "an address-space qualifier"}, {"local", "an address-space qualifier"},
    {"constant", "an address-space qualifier"}, {"private", "an address-space qualifier"},
    {"generic", "an address-space qualifier"}, {"kernel", "a function qualifier"},
    {"read_only", "an access qualifier"}, {"write_only", "an access qualifier"},
    {"read_write", "an access qualifier"}, {"pipe", "a type qualifier"},
    {"restrict", "a type qualifier"}, {"half", "a type"},
    {"bool", "a type"}, {"image1d_t", "an image type"},
    {"image1d_array_t", "an image type"}, {"image1d_buffer_t", "an image type"},
    {"image2d_t", "an image type"}, {"image2d_array_t", "an image type"},
    {"image2d_depth_t", "an image type"}, {"image2d_array_depth_t", "an image type"},
    {"image3d_t", "an image type"},
};

bool skip_requested() {
  const char* value = std::getenv(kSkipOpenclCheckVariable);
  return value != nullptr && *value != '\0' && std::string(value) != "0";
}

std::string find_clang() {
  if (const char* chosen = std::getenv("RINGKERNEL_CLANG"); chosen && *chosen)
    return plugin_common::find_executable(chosen);
  for (const char* name : kClangs)
    if (std::string found = plugin_common::find_executable(name); !found.empty()) return found;
  return "";
}

// Which clang this is without running it: the file it resolves to, its size and its time,
// so a cache hit costs no process and an upgraded clang still changes the key.
std::string clang_identity(const std::string& clang) {
  std::error_code ec;
  fs::path resolved = fs::canonical(clang, ec);
  if (ec) return clang;
  auto size = fs::file_size(resolved, ec);
  auto time = fs::last_write_time(resolved, ec).time_since_epoch().count();
  return resolved.string() + " " + std::to_string(size) + " " + std::to_string(time);
}

// -D and -U words of the request's options (-DX and -D X): the source may need them.
std::vector<std::string> macro_options(const char* options) {
  std::vector<std::string> words, macros;
  std::istringstream in(options ? options : "");
  for (std::string word; in >> word;) words.push_back(word);
  for (size_t i = 0; i < words.size(); ++i) {
    if (words[i].rfind("-D", 0) != 0 && words[i].rfind("-U", 0) != 0) continue;
    macros.push_back(words[i]);
    if (words[i].size() == 2 && i + 1 < words.size()) macros.push_back(words[++i]);
  }
  return macros;
}

std::string check_source(const std::string& user) {
  return std::string(rk::opencl::kPrelude) + "\n" + kDeclaredNames + "#line 1 \"kernel_source\"\n" + user + "\n";
}

// Maps "file:line" as clang names it (after #line directives) to the physical line's index.
std::map<std::string, size_t> logical_lines(const std::string& text) {
  static const std::regex directive(R"re(^\s*#\s*line\s+(\d+)(?:\s+"([^"]*)")?)re");
  std::map<std::string, size_t> lines;
  std::string file = "<prelude>";
  size_t next = 1, index = 0;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line); ++index) {
    std::smatch m;
    if (std::regex_search(line, m, directive)) {
      next = std::stoul(m[1].str());
      if (m[2].matched) file = m[2].str();
      continue;
    }
    lines[file + ":" + std::to_string(next++)] = index;
  }
  return lines;
}

std::string physical_line(const std::string& text, size_t index) {
  std::istringstream in(text);
  std::string line;
  for (size_t i = 0; std::getline(in, line) && i < index; ++i) {
  }
  return line;
}

// "note: ..." lines for reserved words used as names on the lines clang complains about.
std::string reserved_word_hints(const std::string& source, const std::string& clang_output) {
  static const std::regex error_line(R"((\S+):(\d+):\d+: error: )");
  static const std::regex identifier(R"([A-Za-z_]\w*)");
  std::map<std::string, size_t> lines = logical_lines(source);
  std::string code = code_only(source);
  std::set<std::string> named;
  std::string hints;
  for (auto it = std::sregex_iterator(clang_output.begin(), clang_output.end(), error_line);
       it != std::sregex_iterator(); ++it) {
    auto at = lines.find((*it)[1].str() + ":" + (*it)[2].str());
    if (at == lines.end()) continue;
    std::string text = physical_line(code, at->second);
    const std::sregex_iterator end;
    for (auto word = std::sregex_iterator(text.begin(), text.end(), identifier); word != end; ++word) {
      for (const ReservedWord& reserved : kReservedWords) {
        if (word->str() != reserved.word || !named.insert(reserved.word).second) continue;
        hints += std::string("note: `") + reserved.word + "` is " + reserved.what +
                 " in OpenCL C and cannot name anything there: rename it (docs/dialect.md, \"Portable subset\")\n";
      }
    }
  }
  return hints;
}

// clang's first error line, or its first line when it printed no error line.
std::string first_error(const std::string& output) {
  std::istringstream in(output);
  std::string first;
  for (std::string line; std::getline(in, line);) {
    if (line.find(": error: ") != std::string::npos || line.rfind("error: ", 0) == 0) return line;
    if (first.empty()) first = line;
  }
  return first;
}

}  // namespace

OpenclCheck plan_opencl_check(const rk_compile_request* request) {
  OpenclCheck check;
  if (request->kind != RK_SOURCE_DIALECT) {
    check.skipped_because = "not a dialect source";
    return check;
  }
  if (skip_requested()) {
    check.skipped_because = std::string(kSkipOpenclCheckVariable) + " is set";
    return check;
  }
  std::string clang = find_clang();
  if (clang.empty()) {
    const char* chosen = std::getenv("RINGKERNEL_CLANG");
    check.skipped_because = chosen && *chosen ? std::string("RINGKERNEL_CLANG=") + chosen + " is not executable"
                                              : "no clang-14 ... clang-18 in PATH";
    return check;
  }
  check.argv = {clang, "-x", "cl", "-cl-std=CL3.0", "-Xclang", kDeviceFeatures, "-fsyntax-only", "-w",
                "-fno-color-diagnostics", "-ferror-limit=20"};
  for (std::string& macro : macro_options(request->options)) check.argv.push_back(std::move(macro));
  check.identity = clang_identity(clang);
  for (const std::string& word : check.argv) check.identity += " " + word;
  check.identity += std::string("\n") + rk::opencl::kPrelude + kDeclaredNames;
  return check;
}

rk_result run_opencl_check(const OpenclCheck& check, const std::string& user_source, const fs::path& scratch_dir) {
  std::string temp = "tmp-" + plugin_common::unique_suffix();
  fs::path source_file = scratch_dir / (temp + ".cl");
  std::string source = check_source(user_source);
  if (!(std::ofstream(source_file, std::ios::binary) << source))
    return fail(RK_ERROR_INTERNAL, "cpu_sim: cannot write " + source_file.string());
  std::vector<std::string> argv = check.argv;
  argv.push_back(source_file.string());
  plugin_common::ProcessResult result = plugin_common::run_process(argv, scratch_dir / (temp + ".check.log"));
  std::error_code ec;
  fs::remove(source_file, ec);
  if (result.exit_code == 0) return RK_SUCCESS;
  return fail(RK_ERROR_COMPILE_FAILED,
              std::string("cpu_sim: this source would not compile as OpenCL C (set ") + kSkipOpenclCheckVariable +
                  "=1 to skip): " + first_error(result.output) + "\n" + reserved_word_hints(source, result.output) +
                  "The check's whole output (" + argv[0] + " -x cl -cl-std=CL3.0 -fsyntax-only, exit " +
                  std::to_string(result.exit_code) + "; the OpenCL prelude in front, the OpenCL C features of " +
                  "PoCL's CPU device):\n" + result.output);
}

}  // namespace rk::cpu_sim
