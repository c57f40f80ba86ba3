#!/usr/bin/env bash
# The whole test suite: configure, build and run every test (default preset), the Python
# package's tests, the fuzz harnesses on their corpus, then the tests again under
# ThreadSanitizer.
set -euo pipefail
cd "$(dirname "$0")/.."
# PoCL (the OpenCL backend's CPU device in CI) caches its builds here, not in $HOME.
export POCL_CACHE_DIR="${POCL_CACHE_DIR:-$PWD/build/pocl-cache}"

cmake --preset default
cmake --build --preset default
ctest --preset default

# The Python package, installed into a fresh virtual environment and tested with pytest.
bash scripts/python-test.sh

# The libFuzzer harnesses (fuzz/, docs/testing.md): a fixed number of runs from a fixed
# seed over the checked-in corpus, so a pass is reproducible.
bash scripts/fuzz.sh

if [ "${RINGKERNEL_SKIP_TSAN:-0}" != "1" ]; then
  cmake --preset tsan -DRINGKERNEL_BUILD_EXAMPLES=OFF -DRINGKERNEL_BUILD_TOOLS=OFF
  cmake --build --preset tsan
  ctest --preset tsan
fi
