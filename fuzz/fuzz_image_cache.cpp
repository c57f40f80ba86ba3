// libFuzzer harness: a kernel image cache entry as a full disk, a crash mid-write or a
// careless user may leave it (any bytes: empty, truncated, longer than one read; a symlink,
// a folder or a FIFO in its place; loose mode bits, another owner, a loose folder), read
// through the plugins' own calls: read_image (OpenCL, CUDA, HIP, Level Zero, which then
// checks is_spirv) and untrusted_image (cpu_sim, before it dlopens), and overwritten
// through store_image. A read gives exactly the file's bytes or refuses, as the trust rules
// say; it never hangs or crashes; nothing outside a private temp folder is touched.
// What is inside an image (the driver's or dlopen's business) is not fuzzed.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "fuzz_input.hpp"

#include "common/image_cache.hpp"
#include "level_zero/spirv_compiler.hpp"

namespace fs = std::filesystem;
using namespace rk::plugin_common;

namespace {

#define CHECK(condition)             \
  do {                               \
    if (!(condition)) __builtin_trap(); \
  } while (0)

enum class Entry { file, symlink, folder, fifo, missing, count };
constexpr uid_t kSomeoneElse = 65534;  // nobody
const char* const kExtensions[] = {".bin", ".ptx", ".spv", ".hsaco"};

// $TMPDIR/rk-fuzz-cache-XXXXXX (0700, made once) as RINGKERNEL_CACHE_DIR; the harness's
// backend folder inside it, and what each run may leave there.
struct Scratch {
  fs::path root, folder;
  Scratch() {
    std::string pattern = (fs::temp_directory_path() / "rk-fuzz-cache-XXXXXX").string();
    CHECK(mkdtemp(pattern.data()) != nullptr);
    root = pattern;
    setenv("RINGKERNEL_CACHE_DIR", root.c_str(), 1);
    folder = cache_directory("fuzz");
    CHECK(folder.parent_path() == root);  // every path below is inside root
    CHECK(open_cache_folder(folder).empty());
  }
  ~Scratch() {
    std::error_code ec;
    fs::remove_all(root, ec);
  }
};

Scratch& scratch() {
  static Scratch instance;
  return instance;
}

bool write_file(const fs::path& path, const std::string& bytes, mode_t mode, bool other_owner) {
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  CHECK(fd >= 0);
  CHECK(write(fd, bytes.data(), bytes.size()) == static_cast<ssize_t>(bytes.size()));
  CHECK(fchmod(fd, mode) == 0);
  bool chowned = other_owner && geteuid() == 0 && fchown(fd, kSomeoneElse, kSomeoneElse) == 0;
  close(fd);
  return chowned;
}

// The rules image_cache.hpp states, from what is on disk: a regular file, not a symlink,
// ours, writable by nobody else, in a trusted folder.
bool trusted_regular(const fs::path& path) {
  struct stat st {};
  return lstat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && st.st_uid == geteuid() &&
         (st.st_mode & (S_IWGRP | S_IWOTH)) == 0;
}

bool readable(const fs::path& path) {  // mode 0000 stops a non-root reader first
  int fd = open(path.c_str(), O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC);
  if (fd >= 0) close(fd);
  return fd >= 0;
}

// Only the image (and a symlink's target) may be left in the folder: no temporary files.
void check_folder_holds_only(const fs::path& folder, const fs::path& image, const fs::path& target) {
  for (const auto& entry : fs::directory_iterator(folder)) CHECK(entry.path() == image || entry.path() == target);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const Scratch& where = scratch();
  FuzzInput in{data, size};
  const uint8_t how = in.take<uint8_t>();
  const auto kind = static_cast<Entry>(how % static_cast<int>(Entry::count));
  const bool other_owner = how & 0x08, loose_folder = how & 0x10, store_first = how & 0x20;
  const mode_t mode = in.take<uint16_t>() & 0777;
  const unsigned repeat = 1 + in.take<uint8_t>() % 24;  // past the 64 KiB read buffer
  const uint8_t naming = in.take<uint8_t>();
  std::string bytes;
  std::string chunk(reinterpret_cast<const char*>(in.data), in.size);
  for (unsigned i = 0; i < repeat; ++i) bytes += chunk;

  // The name a plugin would look up for one of a few sources.
  const fs::path image = where.folder / (cache_key("kernel " + std::to_string(naming % 4), {"-O2"}, "fuzz") +
                                         kExtensions[(naming >> 2) % 4]);
  const fs::path target = where.folder / "target";
  bool chowned = false;
  if (kind == Entry::file) chowned = write_file(image, bytes, mode, other_owner);
  if (kind == Entry::symlink) {
    chowned = write_file(target, bytes, mode, other_owner);
    CHECK(symlink("target", image.c_str()) == 0);
  }
  if (kind == Entry::folder) CHECK(mkdir(image.c_str(), 0700) == 0);
  if (kind == Entry::fifo) CHECK(mkfifo(image.c_str(), 0600) == 0);
  if (loose_folder) CHECK(chmod(where.folder.c_str(), 0770) == 0);

  if (store_first) {
    // Publication replaces whatever is there, except a folder; never into a loose folder.
    bool stored = store_image(image, bytes).empty();
    CHECK(stored == (!loose_folder && kind != Entry::folder));
    chowned = false;
  }
  const bool trusted = !loose_folder && trusted_regular(image);
  std::string read = "stale";
  // A FIFO in the image's place once blocked open() for ever. libFuzzer's timer cuts such a
  // wait short (EINTR) instead of reporting it, so this bound, far above any real read, does.
  const auto start = std::chrono::steady_clock::now();
  const bool got = read_image(image, read);
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(3));
  CHECK(got == (trusted && !bytes.empty() && readable(image)));
  if (got) {
    CHECK(read == bytes);
    (void)rk::level_zero::is_spirv(read.data(), read.size());  // Level Zero's check of what it read
  }
  struct stat st {};
  const bool present = lstat(image.c_str(), &st) == 0;
  CHECK(untrusted_image(image).empty() == (!present || trusted_regular(image)));
  CHECK(!chowned || !got);  // another user's image is never read

  check_folder_holds_only(where.folder, image, target);
  CHECK(chmod(where.folder.c_str(), 0700) == 0);
  std::error_code ec;
  fs::remove_all(image, ec);
  fs::remove(target, ec);
  return 0;
}
