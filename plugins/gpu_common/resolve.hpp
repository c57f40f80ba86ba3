// dlsym into a typed slot of a driver table. The slot's declared type is the contract: the
// vendor headers are never included, so each table states the signatures it relies on.
#pragma once

#include <dlfcn.h>

namespace rk::gpu {

template <class Fn>
bool resolve(void* library, const char* symbol, Fn& slot) {
  slot = reinterpret_cast<Fn>(dlsym(library, symbol));
  return slot != nullptr;
}

}  // namespace rk::gpu
