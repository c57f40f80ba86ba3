#include "dialect_source.hpp"

#include <cinttypes>
#include <cstdint>
#include <cstdio>

namespace rk::opencl {
extern const char* const kPrelude;  // prelude/rk_prelude_opencl.h, embedded at build time

bool reads_clock(std::string_view user) {
  return user.find("rk_clock_ns") != std::string_view::npos || user.find("rk_park_u32") != std::string_view::npos;
}

std::string dialect_source(std::string_view user, const void* clock_word) {
  std::string source;
  if (clock_word != nullptr) {
    char line[96];
    std::snprintf(line, sizeof(line), "#define RK_OPENCL_CLOCK_WORD 0x%" PRIxPTR "ul\n",
                  reinterpret_cast<uintptr_t>(clock_word));
    source = line;
  }
  source += kPrelude;
  source += "\n#line 1 \"source\"\n";
  source += user;
  source += "\n";
  return source;
}

}  // namespace rk::opencl
