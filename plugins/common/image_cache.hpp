// The compiled-image cache every plugin uses: where images live, the content key that
// names them, and atomic publication (temporary file, then rename).
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace rk::plugin_common {

// RINGKERNEL_CACHE_DIR, else $XDG_CACHE_HOME/ringkernel, else ~/.cache/ringkernel; plus
// /<backend>.
std::filesystem::path cache_directory(const std::string& backend);

// SHA-256 over the final source, the options (everything else that decides the image's
// bytes: flags, target, device) and the compiler's name and version, plus the plugin ABI.
std::string cache_key(const std::string& source, const std::vector<std::string>& options, const std::string& compiler);

// The file's bytes, or false when it cannot be read (or is empty).
bool read_image(const std::filesystem::path& path, std::string& bytes);

// Writes through a temporary name and rename(). Returns "" or why it failed (never fatal:
// the cache only saves time).
std::string store_image(const std::filesystem::path& path, const std::string& bytes);

}  // namespace rk::plugin_common
