#!/usr/bin/env bash
# Builds the libFuzzer harnesses (fuzz/) with clang and runs each on its checked-in corpus.
#   scripts/fuzz.sh            every harness, a fixed number of runs from a fixed seed (CI:
#                              deterministic, so a pass here is a pass there)
#   scripts/fuzz.sh --seconds N [harness...]
#                              longer runs; new inputs go to build-fuzz/new-corpus/<harness>
# A crash leaves crash-* files in build-fuzz/ and fails the script; add the input to the
# harness's corpus folder once fixed, so it stays a regression test (docs/testing.md).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=0
if [ "${1:-}" = "--seconds" ]; then seconds=$2; shift 2; fi
harnesses=("$@")
[ ${#harnesses[@]} -gt 0 ] || harnesses=(host_queue kernel_options plugin_table image_cache snapshot group_wire)

clangxx=$(command -v clang++-14 || command -v clang++ || true)
if [ -z "$clangxx" ]; then
  echo "fuzz: skipped: no clang++ (Debian: apt-get install clang-14 libclang-rt-14-dev)"
  exit 0
fi
# Quiet unless it fails: then the end of the build's own output says why.
mkdir -p build-fuzz
if ! { cmake -S fuzz -B build-fuzz -G Ninja -DCMAKE_CXX_COMPILER="$clangxx" -DCMAKE_BUILD_TYPE=RelWithDebInfo &&
       cmake --build build-fuzz -j2; } > build-fuzz/build.log 2>&1; then
  tail -40 build-fuzz/build.log
  echo "fuzz: building the harnesses FAILED (log: build-fuzz/build.log)"
  exit 1
fi
for h in "${harnesses[@]}"; do
  new=build-fuzz/new-corpus/$h
  mkdir -p "$new"
  if [ "$seconds" -gt 0 ]; then limit=(-max_total_time="$seconds"); else limit=(-runs=20000 -seed=1); fi
  # An input that blocks is a failure within 20 s, not after libFuzzer's default 20 minutes.
  limit+=(-timeout=20)
  echo "fuzz: $h ${limit[*]}"
  if ! (cd build-fuzz && "./fuzz_$h" "${limit[@]}" "../$new" "../fuzz/corpus/$h" > "fuzz_$h.log" 2>&1); then
    tail -40 "build-fuzz/fuzz_$h.log"
    echo "fuzz: $h FAILED (log: build-fuzz/fuzz_$h.log)"
    exit 1
  fi
  grep -E '^Done|DONE' "build-fuzz/fuzz_$h.log" | tail -1
done
echo "fuzz: every harness passed"
