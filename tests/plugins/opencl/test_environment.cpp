// Cache folders for these tests, set before the first OpenCL call: PoCL compiles into
// POCL_CACHE_DIR (default ~/.cache/pocl) and the plugin into RINGKERNEL_CACHE_DIR. Both go
// to the build tree unless the caller chose otherwise. (catch_discover_tests cannot pass
// an ENVIRONMENT of more than one variable, so the executables do it themselves.)
#include <cstdlib>

namespace {

struct BuildTreeCaches {
  BuildTreeCaches() {
    setenv("POCL_CACHE_DIR", RK_OPENCL_TEST_POCL_CACHE, 0);
    setenv("RINGKERNEL_CACHE_DIR", RK_OPENCL_TEST_KERNEL_CACHE, 0);
  }
};

const BuildTreeCaches g_build_tree_caches;

}  // namespace
