#include "api/environment.hpp"

#include <cerrno>
#include <cstdlib>
#include <string>

#include "api/error.hpp"

namespace rk::core {

uint64_t number_from_environment(const char* name, uint64_t fallback, uint64_t max) {
  const char* text = std::getenv(name);
  if (text == nullptr || *text == '\0') return fallback;
  char* end = nullptr;
  errno = 0;
  unsigned long long value = std::strtoull(text, &end, 10);
  if (*end != '\0' || *text == '-' || errno == ERANGE || value > max) {
    log_warn(std::string(name) + "='" + text + "' is not a number from 0 to " + std::to_string(max) + "; using " +
             std::to_string(fallback));
    return fallback;
  }
  return value;
}

}  // namespace rk::core
