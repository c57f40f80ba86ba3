// Numbers from RINGKERNEL_* environment variables, read one way everywhere: unset or empty
// gives the default; anything that is not a whole number from 0 to `max` is warned about
// (naming the variable) and gives the default too.
#pragma once

#include <cstdint>

namespace rk::core {

uint64_t number_from_environment(const char* name, uint64_t fallback, uint64_t max = UINT64_MAX);

}  // namespace rk::core
