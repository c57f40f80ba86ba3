// The shared image cache (OpenCL, CUDA, HIP and Level Zero binaries go through it): images
// are published privately, and read back only from a trusted folder, never through a
// symlink, never when another user owns or may write them.
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch_test_macros.hpp>
#include <filesystem>
#include <string>

#include "common/image_cache.hpp"

namespace fs = std::filesystem;
using rk::plugin_common::read_image;
using rk::plugin_common::store_image;

namespace {

constexpr uid_t kSomeoneElse = 65534;  // nobody

// scratch/<label>/root, fresh and private; images go into root/opencl as a plugin puts them.
fs::path fresh_root(const std::string& label) {
  fs::path dir = fs::path(RK_IMAGE_CACHE_SCRATCH) / label;
  fs::remove_all(dir);
  fs::create_directories(dir);
  fs::permissions(dir, fs::perms::owner_all, fs::perm_options::replace);
  return dir / "root";
}

unsigned mode_of(const fs::path& path) {
  struct stat st {};
  REQUIRE(lstat(path.c_str(), &st) == 0);
  return st.st_mode & 0777u;
}

// A stored image that reads back, so each refusal below is the refusal and nothing else.
fs::path stored(const fs::path& root) {
  fs::path image = root / "opencl" / "key.bin";
  REQUIRE(store_image(image, "binary") == "");
  std::string bytes;
  REQUIRE(read_image(image, bytes));
  CHECK(bytes == "binary");
  return image;
}

}  // namespace

TEST_CASE("stored images and the folders made for them are private", "[image_cache][trust]") {
  fs::path image = stored(fresh_root("modes"));
  CHECK(mode_of(image.parent_path().parent_path()) == 0700u);
  CHECK(mode_of(image.parent_path()) == 0700u);
  CHECK(mode_of(image) == 0600u);
}

TEST_CASE("an image in a folder others may write is neither read nor stored", "[image_cache][trust]") {
  fs::path image = stored(fresh_root("folder-mode"));
  fs::permissions(image.parent_path().parent_path(), fs::perms::others_write, fs::perm_options::add);
  std::string bytes;
  CHECK_FALSE(read_image(image, bytes));
  CHECK(store_image(image, "other").find("is writable by group or others") != std::string::npos);
}

TEST_CASE("an image others may write is not read", "[image_cache][trust]") {
  fs::path image = stored(fresh_root("image-mode"));
  fs::permissions(image, fs::perms::group_write, fs::perm_options::add);
  std::string bytes;
  CHECK_FALSE(read_image(image, bytes));
}

TEST_CASE("an image that is a symlink is not followed", "[image_cache][trust]") {
  fs::path image = stored(fresh_root("symlink"));
  fs::path link = image.parent_path() / "planted.bin";
  fs::create_symlink(image, link);
  std::string bytes;
  CHECK_FALSE(read_image(link, bytes));
}

TEST_CASE("a FIFO in an image's place is refused, not waited on", "[image_cache][trust]") {
  // Without O_NONBLOCK, open() would wait for a writer for ever (fuzz_image_cache found it).
  fs::path image = stored(fresh_root("fifo"));
  fs::remove(image);
  REQUIRE(mkfifo(image.c_str(), 0600) == 0);
  std::string bytes;
  CHECK_FALSE(read_image(image, bytes));
}

TEST_CASE("an image or folder owned by another user is not read", "[image_cache][trust]") {
  if (geteuid() != 0) SKIP("changing a file's owner needs root");
  fs::path image = stored(fresh_root("owner"));
  std::string bytes;
  REQUIRE(chown(image.c_str(), kSomeoneElse, kSomeoneElse) == 0);
  CHECK_FALSE(read_image(image, bytes));
  REQUIRE(chown(image.c_str(), 0, 0) == 0);
  REQUIRE(read_image(image, bytes));
  REQUIRE(chown(image.parent_path().c_str(), kSomeoneElse, kSomeoneElse) == 0);
  CHECK_FALSE(read_image(image, bytes));
  CHECK(store_image(image, "other").find("is owned by uid 65534") != std::string::npos);
}
