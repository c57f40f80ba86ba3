#include "common/image_cache.hpp"

#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <iterator>

#include "common/sha256.hpp"
#include "rk_plugin.h"

namespace rk::plugin_common {
namespace fs = std::filesystem;

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

bool read_image(const fs::path& path, std::string& bytes) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  bytes.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  return !bytes.empty();
}

std::string store_image(const fs::path& path, const std::string& bytes) {
  static std::atomic<uint64_t> counter{0};
  std::error_code ec;
  fs::create_directories(path.parent_path(), ec);
  if (ec) return "cannot create " + path.parent_path().string() + ": " + ec.message();
  fs::path temp = path.parent_path() / ("tmp-" + std::to_string(getpid()) + "-" + std::to_string(counter.fetch_add(1)));
  {
    std::ofstream out(temp, std::ios::binary);
    if (!(out << bytes) || !out.flush()) {
      fs::remove(temp, ec);
      return "cannot write " + temp.string();
    }
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
