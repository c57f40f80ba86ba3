// Kernel cache for these tests: the build tree unless the caller chose otherwise (set
// before the first compile).
#include <cstdlib>

namespace {

struct BuildTreeCache {
  BuildTreeCache() { setenv("RINGKERNEL_CACHE_DIR", RK_LEVEL_ZERO_TEST_KERNEL_CACHE, 0); }
};

const BuildTreeCache g_build_tree_cache;

}  // namespace
