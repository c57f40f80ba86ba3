// The compiled-image cache every plugin uses: where images live, the content key that
// names them, atomic publication (temporary file, then rename), and whom it trusts.
//
// Trust: a cached image is code this process will run, so the cache is used only when
// nobody else can have put it there. Folders are created 0700; the backend's folder and
// the cache root above it must be owned by this user and writable by nobody else; an image
// must be a regular file (never a symlink) with the same owner and mode rules. Anything
// else is refused: the plugin warns once per folder or image (through the core's log) and
// compiles without the cache.
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

// Creates `folder` (and any missing parent) 0700, then checks it and its parent, the cache
// root. "" when the cache may be used there, else why not (warned once).
std::string open_cache_folder(const std::filesystem::path& folder);

// Why the image at `path` may not be loaded ("" when it may): a symlink, not a regular file,
// another owner, or writable by group or others. Not followed if it is a symlink; a missing
// file is "" (nothing to refuse). Warned once.
std::string untrusted_image(const std::filesystem::path& path);

// The file's bytes, or false when it cannot be read, is empty, or is refused (its folder
// or itself is not trusted; opened with O_NOFOLLOW and checked on the open descriptor).
bool read_image(const std::filesystem::path& path, std::string& bytes);

// Writes through a temporary name (mode 0600) and rename(). Returns "" or why it failed,
// an untrusted folder included (never fatal: the cache only saves time).
std::string store_image(const std::filesystem::path& path, const std::string& bytes);

}  // namespace rk::plugin_common
