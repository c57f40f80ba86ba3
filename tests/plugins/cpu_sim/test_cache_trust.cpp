// The kernel cache runs only what this user put there (plugins/common/image_cache.hpp,
// "Trust"): folders are made 0700, and a folder or an image that another user owns or may
// write, or an image that is a symlink, is refused with one warning; the kernel is then
// compiled without the cache and still works.
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>

#include "plugin_fixture.hpp"

using namespace cpu_sim_test;
namespace fs = std::filesystem;

namespace {

const char* const kStore = "RK_KERNEL void store(rk_global uint32_t* out, uint32_t v) { out[0] = v; }\n";
const char* const kStorePlusOne = "RK_KERNEL void store(rk_global uint32_t* out, uint32_t v) { out[0] = v + 1u; }\n";
constexpr uid_t kSomeoneElse = 65534;  // nobody

unsigned mode_of(const fs::path& path) {
  struct stat st {};
  REQUIRE(lstat(path.c_str(), &st) == 0);
  return st.st_mode & 0777u;
}

std::vector<fs::path> images_in(const fs::path& folder) {
  std::vector<fs::path> images;
  for (const auto& entry : fs::directory_iterator(folder))
    if (entry.path().extension() == ".so") images.push_back(entry.path());
  std::sort(images.begin(), images.end());
  return images;
}

// Compiles, checks it worked without the cache, and returns the log.
std::string compile_refused(const std::string& source) {
  Compiled c = compile(source);
  INFO(c.log << last_error());
  REQUIRE(c.result == RK_SUCCESS);
  CHECK(c.log.find("cpu_sim: compiled without the cache (") == 0);
  CHECK(function(c.module, "store") != nullptr);
  table().module_destroy(c.module);
  return c.log;
}

size_t warnings_naming(const std::string& text) {
  auto messages = logged_messages();
  return static_cast<size_t>(std::count_if(messages.begin(), messages.end(), [&](const std::string& m) {
    return m.find("kernel cache not used") != std::string::npos && m.find(text) != std::string::npos;
  }));
}

fs::path compile_into_fresh_cache(const std::string& label) {
  fs::path cpu_sim = fs::path(use_fresh_cache_dir(label)) / "cpu_sim";
  Compiled c = compile(kStore);
  REQUIRE(c.result == RK_SUCCESS);
  table().module_destroy(c.module);
  REQUIRE(images_in(cpu_sim).size() == 1);
  return images_in(cpu_sim)[0];
}

void require_root() {
  if (geteuid() != 0) SKIP("changing a file's owner needs root");
}

}  // namespace

TEST_CASE("cache folders are created 0700 and images are private", "[cpu_sim][cache][trust]") {
  fs::path root = fs::path(use_fresh_cache_dir("trust-modes")) / "nested" / "root";
  setenv("RINGKERNEL_CACHE_DIR", root.c_str(), 1);
  Compiled c = compile(kStore);
  REQUIRE(c.result == RK_SUCCESS);
  table().module_destroy(c.module);
  CHECK(mode_of(root.parent_path()) == 0700u);
  CHECK(mode_of(root) == 0700u);
  CHECK(mode_of(root / "cpu_sim") == 0700u);
  for (const fs::path& image : images_in(root / "cpu_sim")) CHECK((mode_of(image) & 022u) == 0u);
}

TEST_CASE("a cache folder writable by others is refused, with one warning", "[cpu_sim][cache][trust]") {
  fs::path root = use_fresh_cache_dir("trust-folder-mode");
  fs::permissions(root, fs::perms::all, fs::perm_options::replace);  // 0777, as a shared /tmp folder
  compile_refused(kStore);
  compile_refused(kStore);
  CHECK(warnings_naming(root.string() + " is writable by group or others") == 1);
  CHECK(images_in(root / "cpu_sim").empty());  // nothing written there either
}

TEST_CASE("a backend folder writable by its group is refused", "[cpu_sim][cache][trust]") {
  fs::path image = compile_into_fresh_cache("trust-backend-folder-mode");
  fs::permissions(image.parent_path(), fs::perms::group_write, fs::perm_options::add);
  std::string log = compile_refused(kStore);
  CHECK(log.find("is writable by group or others") != std::string::npos);
}

TEST_CASE("a cache folder owned by another user is refused", "[cpu_sim][cache][trust]") {
  require_root();
  fs::path image = compile_into_fresh_cache("trust-folder-owner");
  REQUIRE(chown(image.parent_path().c_str(), kSomeoneElse, kSomeoneElse) == 0);
  std::string log = compile_refused(kStore);
  CHECK(log.find("is owned by uid 65534, not by this user") != std::string::npos);
}

TEST_CASE("a cached image writable by others is refused", "[cpu_sim][cache][trust]") {
  fs::path image = compile_into_fresh_cache("trust-image-mode");
  fs::permissions(image, fs::perms::others_write, fs::perm_options::add);
  std::string log = compile_refused(kStore);
  CHECK(log.find("cached image " + image.string() + " is writable by group or others") != std::string::npos);
  CHECK(warnings_naming(image.string()) == 1);
}

TEST_CASE("a cached image owned by another user is refused", "[cpu_sim][cache][trust]") {
  require_root();
  fs::path image = compile_into_fresh_cache("trust-image-owner");
  REQUIRE(chown(image.c_str(), kSomeoneElse, kSomeoneElse) == 0);
  std::string log = compile_refused(kStore);
  CHECK(log.find("cached image " + image.string() + " is owned by uid 65534") != std::string::npos);
}

TEST_CASE("a cached image that is a symlink is not followed", "[cpu_sim][cache][trust]") {
  fs::path planted = compile_into_fresh_cache("trust-image-symlink");  // the image for kStore
  Compiled other = compile(kStorePlusOne);
  REQUIRE(other.result == RK_SUCCESS);
  table().module_destroy(other.module);
  fs::path wanted;  // the name kStorePlusOne's image has
  for (const fs::path& image : images_in(planted.parent_path()))
    if (image != planted) wanted = image;
  REQUIRE(!wanted.empty());
  fs::remove(wanted);
  fs::create_symlink(planted, wanted);  // another kernel's code under the predictable name
  std::string log = compile_refused(kStorePlusOne);
  CHECK(log.find("cached image " + wanted.string() + " is a symbolic link") != std::string::npos);
  CHECK(fs::is_symlink(wanted));  // left as it was: the cache is not ours to repair
}
