#include "common/image_cache.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <set>

#include "common/plugin_support.hpp"
#include "common/sha256.hpp"
#include "rk_plugin.h"

namespace rk::plugin_common {
namespace fs = std::filesystem;
namespace {

// Once per distinct refusal: a process that compiles many kernels warns about a bad cache
// folder once, not per kernel.
std::string warn_once(std::string why) {
  static std::mutex mutex;
  static std::set<std::string> warned;
  std::lock_guard lock(mutex);
  if (warned.insert(why).second) log(RK_LOG_LEVEL_WARN, "kernel cache not used: " + why);
  return why;
}

// Owner and mode rules shared by folders and images; `what` names the thing in the reason.
std::string untrusted_by_owner_or_mode(const struct stat& st, const std::string& what) {
  if (st.st_uid != geteuid())
    return what + " is owned by uid " + std::to_string(st.st_uid) + ", not by this user (uid " +
           std::to_string(geteuid()) + ")";
  if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0) return what + " is writable by group or others";
  return "";
}

std::string untrusted_folder(const fs::path& folder) {
  struct stat st {};
  // Followed on purpose: ~/.cache may be a link; what counts is who owns the folder it names.
  if (stat(folder.c_str(), &st) != 0) return "cannot inspect " + folder.string() + ": " + std::strerror(errno);
  if (!S_ISDIR(st.st_mode)) return folder.string() + " is not a folder";
  return untrusted_by_owner_or_mode(st, "cache folder " + folder.string());
}

// mkdir 0700 for every missing component; folders that exist are left as they are.
std::string create_private_folders(const fs::path& folder) {
  fs::path partial;
  for (const fs::path& part : folder) {
    partial /= part;
    struct stat st {};
    if (stat(partial.c_str(), &st) == 0) continue;
    if (mkdir(partial.c_str(), 0700) != 0 && errno != EEXIST)
      return "cannot create " + partial.string() + ": " + std::strerror(errno);
  }
  return "";
}

bool write_all(int fd, const std::string& bytes) {
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<size_t>(n);
  }
  return true;
}

}  // namespace

fs::path cache_directory(const std::string& backend) {
  fs::path base;
  if (const char* env = std::getenv("RINGKERNEL_CACHE_DIR"); env && *env)
    base = env;
  else if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg && *xdg)
    base = fs::path(xdg) / "ringkernel";
  else if (const char* home = std::getenv("HOME"); home && *home)
    base = fs::path(home) / ".cache" / "ringkernel";
  else
    base = fs::temp_directory_path() / "ringkernel-cache";
  return base / backend;
}

std::string cache_key(const std::string& source, const std::vector<std::string>& options, const std::string& compiler) {
  Sha256 hash;
  // Length-prefixed parts: moving bytes from one part to the next changes the key.
  auto add = [&hash](const std::string& part) {
    hash.update(std::to_string(part.size()) + ":");
    hash.update(part);
  };
  add(source);
  for (const auto& option : options) add(option);
  add(compiler);
  add(std::to_string(RK_PLUGIN_ABI_MAJOR) + "." + std::to_string(RK_PLUGIN_ABI_MINOR));
  return hash.hex_digest();
}

std::string open_cache_folder(const fs::path& folder) {
  if (std::string why = create_private_folders(folder); !why.empty()) return why;  // not a trust question
  // The root matters too: whoever may write it can swap the backend's folder for another.
  for (const fs::path& checked : {folder, folder.parent_path()})
    if (std::string why = untrusted_folder(checked); !why.empty()) return warn_once(why);
  return "";
}

std::string untrusted_image(const fs::path& path) {
  struct stat st {};
  if (lstat(path.c_str(), &st) != 0) return "";
  if (S_ISLNK(st.st_mode)) return warn_once("cached image " + path.string() + " is a symbolic link");
  if (!S_ISREG(st.st_mode)) return warn_once("cached image " + path.string() + " is not a regular file");
  std::string why = untrusted_by_owner_or_mode(st, "cached image " + path.string());
  return why.empty() ? why : warn_once(why);
}

bool read_image(const fs::path& path, std::string& bytes) {
  if (!open_cache_folder(path.parent_path()).empty()) return false;
  // O_NONBLOCK: a FIFO in the image's place would block open() until a writer came (for
  // ever); so it opens at once and fstat refuses it. Reads of a regular file ignore it.
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
  if (fd < 0) {
    if (errno == ELOOP) warn_once("cached image " + path.string() + " is a symbolic link");
    return false;
  }
  struct stat st {};
  bool trusted = fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
  if (trusted) {
    std::string why = untrusted_by_owner_or_mode(st, "cached image " + path.string());
    if (!why.empty()) warn_once(why);
    trusted = why.empty();
  }
  bytes.clear();
  char buffer[1 << 16];
  for (ssize_t n; trusted && (n = read(fd, buffer, sizeof(buffer))) != 0;) {
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) trusted = false;
    else bytes.append(buffer, static_cast<size_t>(n));
  }
  close(fd);
  return trusted && !bytes.empty();
}

std::string store_image(const fs::path& path, const std::string& bytes) {
  static std::atomic<uint64_t> counter{0};
  if (std::string why = open_cache_folder(path.parent_path()); !why.empty()) return why;
  fs::path temp = path.parent_path() / ("tmp-" + std::to_string(getpid()) + "-" + std::to_string(counter.fetch_add(1)));
  std::error_code ec;
  int fd = open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) return "cannot write " + temp.string() + ": " + std::strerror(errno);
  bool written = write_all(fd, bytes);
  if (close(fd) != 0) written = false;
  if (!written) {
    fs::remove(temp, ec);
    return "cannot write " + temp.string();
  }
  fs::rename(temp, path, ec);
  if (ec) {
    std::string reason = ec.message();
    fs::remove(temp, ec);
    return "cannot move the image into the cache: " + reason;
  }
  return "";
}

}  // namespace rk::plugin_common
