#!/usr/bin/env bash
# Installs everything ringkernel needs to build and test on Debian 12 (run as root).
# Catch2 v3 and scikit-build-core come from bookworm-backports; the rest from bookworm.
# prometheus brings promtool, which checks the metrics the demo writes (tests/observability);
# the python3-* packages build and test the Python package (docs/python.md); libucx-dev
# builds the ucx transport (docs/transports.md), ucx-utils brings ucx_info to inspect it
# (and ucx_perftest, which rk-bench --suite remote runs beside the runtime); openmpi-bin
# starts the demo across processes under mpirun (docs/distributed.md; nothing links MPI, so
# libopenmpi-dev is not needed).
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive

if ! grep -rqs 'bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/; then
  echo 'deb http://deb.debian.org/debian bookworm-backports main' > /etc/apt/sources.list.d/bookworm-backports.list
fi
apt-get update -qq
apt-get install -y -qq --no-install-recommends \
  build-essential cmake ninja-build pkg-config git ca-certificates \
  libboost-dev libspdlog-dev libfmt-dev nlohmann-json3-dev \
  libreaderwriterqueue-dev libconcurrentqueue-dev \
  ocl-icd-opencl-dev opencl-headers pocl-opencl-icd clinfo \
  libze-dev libze1 spirv-tools \
  libamdhip64-dev clang-14 llvm-spirv-14 libclang-rt-14-dev \
  prometheus libcpp-httplib-dev libucx-dev ucx-utils openmpi-bin \
  python3 python3-dev python3-venv pybind11-dev python3-pybind11 python3-numpy python3-pytest python3-pytest-asyncio
apt-get install -y -qq --no-install-recommends -t bookworm-backports catch2 python3-scikit-build-core
