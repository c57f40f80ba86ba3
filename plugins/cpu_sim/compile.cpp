// cpu_sim compile: prelude + source (+ an entry trampoline per RK_KERNEL) compiled by the
// host C++ compiler into a shared object, cached by content under RINGKERNEL_CACHE_DIR.
#include <dlfcn.h>
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <thread>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include "cpu_sim.hpp"

extern char** environ;

namespace rk::cpu_sim {
extern const char* const kPreludeThreadInfo;
extern const char* const kPrelude;

namespace fs = std::filesystem;
namespace {

struct ProcessResult {
  int exit_code = -1;
  std::string output;
};

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// Runs argv without a shell; stdout and stderr go to a file we read back.
ProcessResult run(const std::vector<std::string>& argv, const fs::path& output_file) {
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, output_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  pid_t pid = 0;
  ProcessResult result;
  int spawned = posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (spawned != 0) {
    result.output = "cannot run '" + argv[0] + "': " + std::strerror(spawned);
    return result;
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  result.output = read_file(output_file);
  std::error_code ec;
  fs::remove(output_file, ec);
  return result;
}

std::string compiler() {
  const char* env = std::getenv("RINGKERNEL_CPU_CXX");
  if (env && *env) return env;
  return fs::exists(RINGKERNEL_CPU_SIM_CXX) ? RINGKERNEL_CPU_SIM_CXX : "c++";
}

fs::path cache_dir() {
  const char* env = std::getenv("RINGKERNEL_CACHE_DIR");
  fs::path base;
  if (env && *env) base = env;
  else if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg && *xdg) base = fs::path(xdg) / "ringkernel";
  else if (const char* home = std::getenv("HOME"); home && *home) base = fs::path(home) / ".cache" / "ringkernel";
  else base = fs::temp_directory_path() / "ringkernel-cache";
  return base / "cpu_sim";
}

std::vector<std::string> split_flags(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string word; in >> word;) out.push_back(word);
  return out;
}

std::vector<std::string> compile_flags(const char* user_options) {
  std::vector<std::string> flags = {"-std=c++20", "-O2", "-g", "-fPIC", "-shared", "-fvisibility=hidden", "-w"};
  for (std::string& f : split_flags(RINGKERNEL_CPU_SIM_SANITIZER_FLAGS)) flags.push_back(std::move(f));
  if (user_options)
    for (std::string& f : split_flags(user_options)) flags.push_back(std::move(f));
  return flags;
}

// The compiler's identity is part of the cache key; asked once per process.
const std::string& compiler_identity(const std::string& cxx) {
  static std::mutex mutex;
  static std::map<std::string, std::string> known;
  std::lock_guard lock(mutex);
  auto it = known.find(cxx);
  if (it != known.end()) return it->second;
  fs::path out = fs::temp_directory_path() / ("rk-cpu-sim-version-" + std::to_string(getpid()));
  return known[cxx] = run({cxx, "--version"}, out).output;
}

// 128-bit key: two FNV-1a passes with different offset bases.
std::string content_key(const std::vector<std::string>& parts) {
  uint64_t a = 14695981039346656037ull, b = 0x6c62272e07bb0142ull;
  for (const std::string& part : parts) {
    for (unsigned char c : part) {
      a = (a ^ c) * 1099511628211ull;
      b = (b ^ c) * 0x100000001b3ull + 0x9e3779b97f4a7c15ull;
    }
    a = (a ^ 0xff) * 1099511628211ull;  // separator, so "ab"+"c" differs from "a"+"bc"
  }
  char text[33];
  std::snprintf(text, sizeof(text), "%016llx%016llx", (unsigned long long)a, (unsigned long long)b);
  return text;
}

std::string full_source(const rk_compile_request* request) {
  std::string user(request->source, request->source_size);
  if (request->kind == RK_SOURCE_NATIVE) return user;
  std::string source = std::string(kPreludeThreadInfo) + "\n" + kPrelude + "\n#line 1 \"kernel\"\n" + user + "\n";
  static const std::regex kernel_pattern(R"(RK_KERNEL\s+void\s+(\w+)\s*\()");
  for (auto it = std::sregex_iterator(user.begin(), user.end(), kernel_pattern); it != std::sregex_iterator(); ++it)
    source += "RK_CPU_EXPORT_KERNEL(" + (*it)[1].str() + ")\n";
  return source;
}

// Compiles into the cache (temp name, then rename: concurrent compilers never see half a file).
rk_result build(const std::string& cxx, const std::vector<std::string>& flags, const std::string& source,
                const fs::path& target, std::string& log) {
  std::string unique = std::to_string(getpid()) + "-" + std::to_string(std::hash<std::thread::id>{}(std::this_thread::get_id()));
  fs::path src = target.parent_path() / ("tmp-" + unique + ".cpp");
  fs::path obj = target.parent_path() / ("tmp-" + unique + ".so");
  std::ofstream(src, std::ios::binary) << source;
  std::vector<std::string> argv = {cxx};
  argv.insert(argv.end(), flags.begin(), flags.end());
  argv.insert(argv.end(), {"-o", obj.string(), src.string()});
  ProcessResult result = run(argv, target.parent_path() / ("tmp-" + unique + ".log"));
  std::error_code ec;
  fs::remove(src, ec);
  log = result.output;
  if (result.exit_code != 0) {
    fs::remove(obj, ec);
    return fail(RK_ERROR_COMPILE_FAILED, "cpu_sim: the host compiler failed (exit " + std::to_string(result.exit_code) +
                                             "):\n" + result.output);
  }
  fs::rename(obj, target, ec);
  if (ec) return fail(RK_ERROR_INTERNAL, "cpu_sim: cannot move the compiled kernel into the cache: " + ec.message());
  return RK_SUCCESS;
}

// A kernel that never synchronizes or shares memory within a block can run its threads
// one after another on one OS thread: same results, no context switch per thread.
bool needs_lockstep(const rk_compile_request* request) {
  static const std::regex pattern(R"(rk_sync_threads|RK_SHARED_ARRAY|rk_dynamic_shared|rk_scratch)");
  std::string user(request->source, request->source_size);
  return std::regex_search(user, pattern);
}

}  // namespace

rk_result module_compile(rk_backend_context, const rk_compile_request* request, rk_backend_module* module,
                         rk_text_out* log_out) {
  if (request == nullptr || module == nullptr || request->source == nullptr)
    return fail(RK_ERROR_INVALID_ARGUMENT, "compile request, its source and the module out-pointer must be set");
  if (request->kind == RK_SOURCE_BINARY) return fail(RK_ERROR_UNSUPPORTED, "cpu_sim compiles source only, not binaries");
  std::string cxx = compiler();
  std::vector<std::string> flags = compile_flags(request->options);
  std::string source = full_source(request);
  std::vector<std::string> key_parts = {source, cxx, compiler_identity(cxx), std::to_string(RK_PLUGIN_ABI_MAJOR),
                                        std::to_string(RK_PLUGIN_ABI_MINOR)};
  key_parts.insert(key_parts.end(), flags.begin(), flags.end());
  fs::path dir = cache_dir();
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return fail(RK_ERROR_INTERNAL, "cpu_sim: cannot create cache folder " + dir.string() + ": " + ec.message());
  fs::path target = dir / (content_key(key_parts) + ".so");
  std::string build_log;
  if (fs::exists(target)) {
    build_log = "cpu_sim: cache hit " + target.string();
  } else {
    rk_result r = build(cxx, flags, source, target, build_log);
    write_text(log_out, build_log);
    if (r != RK_SUCCESS) return r;
    build_log = "cpu_sim: compiled " + target.string() + (build_log.empty() ? "" : "\n" + build_log);
  }
  log(RK_LOG_LEVEL_DEBUG, build_log);
  write_text(log_out, build_log);
  void* library = dlopen(target.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (library == nullptr) return fail(RK_ERROR_COMPILE_FAILED, std::string("cpu_sim: cannot load the compiled kernel: ") + dlerror());
  *module = new rk_backend_module_s{library, target.string(), needs_lockstep(request), {}};
  return RK_SUCCESS;
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
  std::string symbol = std::string("rk_cpu_entry_") + name;
  auto entry = reinterpret_cast<rk_cpu_entry_fn>(dlsym(module->library, symbol.c_str()));
  if (entry == nullptr)
    return fail(RK_ERROR_NOT_FOUND, std::string("cpu_sim: no kernel '") + name +
                                        "' in the module (declare it as `RK_KERNEL void " + name + "(...)`)");
  // Functions live as long as their module (the ABI has no function_destroy).
  module->functions.push_back(
      std::make_unique<rk_backend_function_s>(rk_backend_function_s{entry, name, module->needs_lockstep}));
  *function = module->functions.back().get();
  return RK_SUCCESS;
}

}  // namespace rk::cpu_sim
