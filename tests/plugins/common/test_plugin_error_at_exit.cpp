// A plugin may be called while the process exits: a static runtime's destructor frees its
// buffers through the plugin, and a driver torn down by its own atexit handler fails there
// (CUDA did, on an H100). The plugin's last error must take that message even though this
// thread's thread_local objects are already gone; it was a double free. The check runs in
// a static destructor, after main returned: a failure aborts or exits 1, failing the test.
#include <cstdio>
#include <cstdlib>
#include <string>

#include <catch2/catch_test_macros.hpp>

#include "common/plugin_support.hpp"

namespace {

struct FailsAtExit {
  bool armed = false;
  ~FailsAtExit() {
    if (!armed) return;
    // Longer than what main left, so the string must grow: a destroyed one frees twice.
    const std::string late(4096, 'x');
    rk::plugin_common::fail(RK_ERROR_INTERNAL, late);
    if (late != rk::plugin_common::last_error()) {
      std::fputs("the plugin's last error lost a message written at exit\n", stderr);
      std::_Exit(1);
    }
  }
};

FailsAtExit g_at_exit;

}  // namespace

TEST_CASE("a plugin reports an error from a static destructor after main returned", "[plugin][exit]") {
  // A message on the heap in this thread's slot, destroyed before static objects.
  const std::string early(256, 'e');
  CHECK(rk::plugin_common::fail(RK_ERROR_NOT_FOUND, early) == RK_ERROR_NOT_FOUND);
  CHECK(early == rk::plugin_common::last_error());
  g_at_exit.armed = true;
}
