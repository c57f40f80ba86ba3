// The OpenCL C check: a dialect source that builds on cpu_sim but not as OpenCL C fails
// here, with clang's line; RINGKERNEL_SKIP_OPENCL_CHECK turns it off; a cache entry never
// stands in for a check; without clang it is skipped. Tests that need clang SKIP without it.
#include <unistd.h>

#include <catch2/generators/catch_generators.hpp>
#include <cstdlib>
#include <optional>
#include <sstream>

#include "plugin_fixture.hpp"
#include "ring_source.hpp"

using namespace cpu_sim_test;

namespace {

// Sets (or, with nullopt, unsets) an environment variable for one scope.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, std::optional<std::string> value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    if (value) setenv(name, value->c_str(), 1);
    else unsetenv(name);
  }
  ~ScopedEnv() {
    if (old_) setenv(name_, old_->c_str(), 1);
    else unsetenv(name_);
  }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  const char* name_;
  std::optional<std::string> old_;
};

// The plugin's own search: RINGKERNEL_CLANG, else clang-14 ... clang-18 in PATH.
bool clang_found() {
  auto executable = [](const std::string& path) { return access(path.c_str(), X_OK) == 0; };
  if (const char* chosen = std::getenv("RINGKERNEL_CLANG"); chosen && *chosen) return executable(chosen);
  std::istringstream dirs(std::getenv("PATH") ? std::getenv("PATH") : "");
  for (std::string dir; std::getline(dirs, dir, ':');)
    for (const char* name : {"clang-14", "clang-15", "clang-16", "clang-17", "clang-18"})
      if (executable(dir + "/" + name)) return true;
  return false;
}

void require_clang() {
  if (!clang_found()) SKIP("no clang-14 ... clang-18 in PATH (nor RINGKERNEL_CLANG): cpu_sim skips its OpenCL C check");
}

// A variable named `word` on line 2.
std::string named(const std::string& word) {
  return "RK_KERNEL void store(rk_global uint32_t* out, uint32_t v) {\n"
         "  uint32_t " + word + " = v;\n"
         "  out[0] = " + word + ";\n"
         "}\n";
}

// A global pointer handed to an unqualified (private, on OpenCL) pointer parameter: fine in
// C++, an address-space error in OpenCL C. The call is on line 7.
const char* const kGlobalToPrivate = R"(RK_INLINE uint32_t sum(const uint8_t* bytes, uint32_t n) {
  uint32_t total = 0u;
  for (uint32_t i = 0u; i < n; ++i) total += bytes[i];
  return total;
}
RK_KERNEL void sums(rk_global uint32_t* out, rk_global const uint8_t* in) {
  out[0] = sum(in, 4u);
}
)";

// The portable way to take a pointer from any address space (tests/plugins/common).
const std::string kAnySpace = std::string(rk::test::kSumBytesAnySpace) + R"(}
)";

void check_fails_at(const Compiled& c, const std::string& where) {
  INFO("build log: " << c.log);
  CHECK(c.result == RK_ERROR_COMPILE_FAILED);
  CHECK(c.module == nullptr);
  CHECK(c.log.find("would not compile as OpenCL C") != std::string::npos);
  CHECK(c.log.find("RINGKERNEL_SKIP_OPENCL_CHECK=1") != std::string::npos);
  CHECK(c.log.find(where) != std::string::npos);
  CHECK(last_error() == c.log);
}

}  // namespace

TEST_CASE("an OpenCL C keyword as a name fails on cpu_sim with its line", "[cpu_sim][compile][opencl_check]") {
  require_clang();
  ScopedEnv check_on("RINGKERNEL_SKIP_OPENCL_CHECK", std::nullopt);
  std::string word = GENERATE("local", "global", "kernel", "constant", "private");
  use_fresh_cache_dir("keyword-" + word);
  Compiled c = compile(named(word));
  check_fails_at(c, "kernel_source:2:");
  CHECK(c.log.find("note: `" + word + "` is ") != std::string::npos);
}

TEST_CASE("a global pointer passed as a private one fails on cpu_sim", "[cpu_sim][compile][opencl_check]") {
  require_clang();
  ScopedEnv check_on("RINGKERNEL_SKIP_OPENCL_CHECK", std::nullopt);
  use_fresh_cache_dir("address-space");
  Compiled c = compile(kGlobalToPrivate);
  check_fails_at(c, "kernel_source:7:");
  CHECK(c.log.find("changes address space of pointer") != std::string::npos);
}

TEST_CASE("errors in a part under #line name that part", "[cpu_sim][compile][opencl_check]") {
  require_clang();
  ScopedEnv check_on("RINGKERNEL_SKIP_OPENCL_CHECK", std::nullopt);
  use_fresh_cache_dir("line-directive");
  // As the core assembles ring kernels: its headers, then the user's part under #line.
  Compiled c = compile("RK_INLINE uint32_t twice(uint32_t x) { return 2u * x; }\n#line 1 \"user_source\"\n" +
                       named("local"));
  check_fails_at(c, "user_source:2:");
  CHECK(c.log.find("note: `local` is ") != std::string::npos);
}

TEST_CASE("a portable source passes the check once, then comes from the cache", "[cpu_sim][compile][opencl_check]") {
  require_clang();
  ScopedEnv check_on("RINGKERNEL_SKIP_OPENCL_CHECK", std::nullopt);
  use_fresh_cache_dir("portable");
  Compiled first = compile(kAnySpace);
  INFO("build log: " << first.log << "\nlast error: " << last_error());
  REQUIRE(first.result == RK_SUCCESS);
  CHECK(first.log.find("cache miss") != std::string::npos);
  CHECK(first.log.find("checked as OpenCL C with ") != std::string::npos);
  Compiled second = compile(kAnySpace);  // a hit: no clang run, no check note
  REQUIRE(second.result == RK_SUCCESS);
  CHECK(second.log.find("cpu_sim: cache hit: ") == 0);
  CHECK(second.log.find("OpenCL C") == std::string::npos);
  table().module_destroy(first.module);
  table().module_destroy(second.module);
}

TEST_CASE("a payload helper stamped for every address space runs on cpu_sim", "[cpu_sim][launch][opencl_check]") {
  rk_backend_module m = compile_ok(kAnySpace);
  rk_backend_buffer out = alloc(3 * sizeof(uint32_t));
  rk_backend_buffer in = alloc(4);
  auto* bytes = static_cast<uint8_t*>(host_view(in));
  for (uint8_t i = 0; i < 4; ++i) bytes[i] = uint8_t(100 + i);
  rk_kernel_arg args[] = {buffer_arg(out), buffer_arg(in)};
  rk_launch_config config = grid_1d(1, 1);
  INFO(last_error());
  REQUIRE(table().launch(default_stream(), function(m, "sums"), &config, args, 2) == RK_SUCCESS);
  REQUIRE(table().stream_synchronize(default_stream()) == RK_SUCCESS);
  const auto* sums = static_cast<const uint32_t*>(host_view(out));
  CHECK(sums[0] == 406u);
  CHECK(sums[1] == 10u);
  CHECK(sums[2] == 100u);
  table().buffer_free(out);
  table().buffer_free(in);
  table().module_destroy(m);
}

TEST_CASE("the request's -D options reach the check", "[cpu_sim][compile][opencl_check]") {
  require_clang();
  ScopedEnv check_on("RINGKERNEL_SKIP_OPENCL_CHECK", std::nullopt);
  use_fresh_cache_dir("defines");
  Compiled c = compile("RK_KERNEL void store(rk_global uint32_t* out) { out[0] = RK_TEST_VALUE; }\n",
                       "-DRK_TEST_VALUE=7u");
  INFO("build log: " << c.log);
  REQUIRE(c.result == RK_SUCCESS);
  table().module_destroy(c.module);
}

TEST_CASE("RINGKERNEL_SKIP_OPENCL_CHECK=1 skips the check, and the cache keeps the two apart",
          "[cpu_sim][compile][opencl_check]") {
  require_clang();
  use_fresh_cache_dir("skip");
  {
    ScopedEnv skip("RINGKERNEL_SKIP_OPENCL_CHECK", "1");
    Compiled c = compile(named("local"));
    INFO("build log: " << c.log << "\nlast error: " << last_error());
    REQUIRE(c.result == RK_SUCCESS);
    CHECK(c.log.find("not checked as OpenCL C: RINGKERNEL_SKIP_OPENCL_CHECK is set") != std::string::npos);
    table().module_destroy(c.module);
  }
  // The object built unchecked is in the cache; with the check on it must not be served.
  ScopedEnv check_on("RINGKERNEL_SKIP_OPENCL_CHECK", std::nullopt);
  check_fails_at(compile(named("local")), "kernel_source:2:");
  SECTION("0 does not skip") {
    ScopedEnv zero("RINGKERNEL_SKIP_OPENCL_CHECK", "0");
    check_fails_at(compile(named("local")), "kernel_source:2:");
  }
}

TEST_CASE("without clang the check is skipped, at debug level", "[cpu_sim][compile][opencl_check]") {
  ScopedEnv check_on("RINGKERNEL_SKIP_OPENCL_CHECK", std::nullopt);
  ScopedEnv no_clang("RINGKERNEL_CLANG", "/nonexistent/clang-ringkernel");
  use_fresh_cache_dir("no-clang");
  Compiled c = compile(named("local"));
  INFO("build log: " << c.log << "\nlast error: " << last_error());
  REQUIRE(c.result == RK_SUCCESS);
  const std::string reason =
      "not checked as OpenCL C: RINGKERNEL_CLANG=/nonexistent/clang-ringkernel is not executable";
  CHECK(c.log.find(reason) != std::string::npos);
  bool logged = false;
  for (const std::string& message : logged_messages()) logged |= message.find(reason) != std::string::npos;
  CHECK(logged);
  table().module_destroy(c.module);
}

TEST_CASE("native sources are not checked", "[cpu_sim][compile][opencl_check]") {
  use_fresh_cache_dir("native-unchecked");
  const char* native = R"(
    extern "C" __attribute__((visibility("default"))) void rk_cpu_entry_native(const void*, void** args) {
      unsigned local = 42u;
      **static_cast<unsigned**>(args[0]) = local;
    })";
  Compiled c = compile(native, nullptr, RK_SOURCE_NATIVE);
  INFO(c.log << last_error());
  REQUIRE(c.result == RK_SUCCESS);
  CHECK(c.log.find("OpenCL C") == std::string::npos);
  table().module_destroy(c.module);
}
