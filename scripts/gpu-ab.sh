#!/usr/bin/env bash
# A/B of two build trees on one GPU machine: rk-bench suites on the `cuda` backend, the two
# trees alternated round by round, so both see the same machine in the same minutes (leases
# differ by 10-25 % on rows that do not involve our code). Every JSON goes into one tar
# file, since the device tool brings back only a few files per call.
#
#   scripts/gpu-ab.sh BASE_BUILD NEW_BUILD OUT_DIR [ROUNDS] [SUITES]
#
# BASE_BUILD needs only ringcore, the cuda (and cpu_sim) plugins and rk-bench, built in an
# ignored folder from a worktree of the base commit (docs/testing.md). Defaults: 3 rounds
# of "roundtrip async". OUT_DIR/ab.tar holds SUITE-base-N.json and SUITE-new-N.json.
set -u
base=$(cd "${1:?usage: gpu-ab.sh BASE_BUILD NEW_BUILD OUT_DIR [ROUNDS] [SUITES]}" && pwd)
new=$(cd "${2:?usage: gpu-ab.sh BASE_BUILD NEW_BUILD OUT_DIR [ROUNDS] [SUITES]}" && pwd)
out=${3:?usage: gpu-ab.sh BASE_BUILD NEW_BUILD OUT_DIR [ROUNDS] [SUITES]}
rounds=${4:-3}
suites=${5:-roundtrip async}
mkdir -p "$out"
out=$(cd "$out" && pwd)
work=$(mktemp -d /tmp/rk-gpu-ab.XXXXXX)
mkdir -p "$work/ab"
# The devlibs of either tree (libfmt and friends, docs/testing.md); the trees' own libraries
# come from their RUNPATH.
export LD_LIBRARY_PATH="$new/devlibs:$base/devlibs:/usr/local/cuda/lib64${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
export RINGKERNEL_BACKEND=${RINGKERNEL_BACKEND:-cuda}
for round in $(seq "$rounds"); do
  for side in base new; do
    tree=$base
    [ "$side" = new ] && tree=$new
    export RINGKERNEL_CACHE_DIR="$work/cache-$side"  # each tree compiles its own kernels
    for suite in $suites; do
      timeout 120 "$tree/bin/rk-bench" --suite "$suite" --json "$work/ab/$suite-$side-$round.json" >/dev/null 2>&1 ||
        echo "$suite $side round $round: rc=$?"
    done
  done
done
tar -C "$work" -cf "$out/ab.tar" ab
echo "wrote $out/ab.tar ($(ls "$work/ab" | wc -l) JSON files)"
