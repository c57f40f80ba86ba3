#!/usr/bin/env bash
# The whole test suite: configure, build and run every test (default preset), then the
# lock-free queue and ring-runtime tests again under ThreadSanitizer.
set -euo pipefail
cd "$(dirname "$0")/.."
# PoCL (the OpenCL backend's CPU device in CI) caches its builds here, not in $HOME.
export POCL_CACHE_DIR="${POCL_CACHE_DIR:-$PWD/build/pocl-cache}"

cmake --preset default
cmake --build --preset default
ctest --preset default

if [ "${RINGKERNEL_SKIP_TSAN:-0}" != "1" ]; then
  cmake --preset tsan -DRINGKERNEL_BUILD_EXAMPLES=OFF -DRINGKERNEL_BUILD_TOOLS=OFF
  cmake --build --preset tsan
  ctest --preset tsan
fi
