#!/usr/bin/env bash
# Runs what needs a real GPU, as one bounded batch: the CUDA tests, the conformance suite
# and the backend-parameterised ring/bridge cases on `cuda`, the examples, and the rk-bench
# suites that give the CUDA figures in docs/benchmarks.md.
#
#   scripts/gpu-check.sh BUILD_DIR OUT_DIR [--quick]
#
# BUILD_DIR is a build tree made on a Debian machine (e.g. a Release build in build-dev)
# and copied to the GPU machine, which has the CUDA driver and toolkit but no package
# manager: the shared libraries our binaries need beyond libc/libstdc++ (libfmt; for the
# demo's metrics endpoint cpp-httplib and what it links) travel in BUILD_DIR/devlibs
# (docs/testing.md lists them). Every step has its own time limit, so one hung kernel costs that
# step, not the batch; each step's log lands in OUT_DIR as it finishes, and a summary line
# per step (passed/failed/timed out, seconds) in OUT_DIR/summary.txt.
# GPU_CHECK_ONLY="demo bench-k2k ..." runs only the steps named; GPU_CHECK_MAX_STEP_S caps
# every step's limit (for a second, shorter run inside the same device time).
# Without a GPU every CUDA case reports itself skipped with the reason, so the script can
# be tried anywhere first.
set -u
build=$(cd "${1:?usage: gpu-check.sh BUILD_DIR OUT_DIR [--quick]}" && pwd)
out=${2:?usage: gpu-check.sh BUILD_DIR OUT_DIR [--quick]}
quick=${3:-}
mkdir -p "$out"
out=$(cd "$out" && pwd)

export LD_LIBRARY_PATH="$build/devlibs:/usr/local/cuda/lib64${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
export RINGKERNEL_CACHE_DIR="${RINGKERNEL_CACHE_DIR:-$(mktemp -d /tmp/rk-gpu-cache.XXXXXX)}"
bin="$build/bin"
summary="$out/summary.txt"
: >"$summary"

# step NAME SECONDS COMMAND...: runs it with a limit, logs to OUT_DIR/NAME.log. A step
# that runs out of time first gets its threads' stacks written to the log (cuda-gdb, else
# gdb, where installed), so a hang says where it waits.
step() {
  local name=$1 limit=$2
  shift 2
  # GPU_CHECK_ONLY="name ...": run only these steps; GPU_CHECK_MAX_STEP_S: cap every limit.
  if [ -n "${GPU_CHECK_ONLY:-}" ] && [[ " $GPU_CHECK_ONLY " != *" $name "* ]]; then return 0; fi
  if [ -n "${GPU_CHECK_MAX_STEP_S:-}" ] && [ "$limit" -gt "$GPU_CHECK_MAX_STEP_S" ]; then limit=$GPU_CHECK_MAX_STEP_S; fi
  local start=$SECONDS rc
  echo "== $name: $*" | tee "$out/$name.log"
  "$@" >>"$out/$name.log" 2>&1 &
  local pid=$!
  while kill -0 "$pid" 2>/dev/null && [ $((SECONDS - start)) -lt "$limit" ]; do sleep 0.2; done
  if kill -0 "$pid" 2>/dev/null; then
    local debugger
    debugger=$(command -v cuda-gdb || command -v gdb || true)
    if [ -n "$debugger" ]; then
      echo "== stacks after ${limit}s:" >>"$out/$name.log"
      timeout 60 "$debugger" -batch -p "$pid" -ex "thread apply all bt 25" >>"$out/$name.log" 2>&1
    fi
    kill -TERM "$pid" 2>/dev/null
    sleep 2
    kill -KILL "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    rc=124
  else
    wait "$pid"
    rc=$?
  fi
  local verdict=passed
  if [ $rc -eq 124 ]; then verdict="TIMED OUT after ${limit}s"
  elif [ $rc -eq 4 ]; then verdict="skipped (rc 4)"
  elif [ $rc -ne 0 ]; then verdict="FAILED rc=$rc"; fi
  printf '%-22s %-24s %4ss\n' "$name" "$verdict" "$((SECONDS - start))" | tee -a "$summary"
  tail -n 25 "$out/$name.log"
}

{ nvidia-smi -L; nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm --format=csv; } \
  >"$out/device.txt" 2>&1 || echo "no nvidia-smi" >>"$out/device.txt"
cat "$out/device.txt"

step rk-info 30 "$bin/rk-info" --json
step cuda-nvrtc 60 "$bin/test_cuda_nvrtc"
step cuda-plugin 60 env RINGKERNEL_LOG_LEVEL=info "$bin/test_cuda_plugin" --reporter console::out=-
step conformance 120 env RINGKERNEL_BACKEND=cuda "$bin/test_conformance" --backend cuda
step ring-cuda 90 "$bin/test_ring_runtime" "[cuda]"
step bridge-cuda 60 "$bin/test_bridge" "[cuda]"
step demo 60 env RINGKERNEL_BACKEND=cuda "$bin/rk-demo-pipeline"
step shuffle 60 env RINGKERNEL_BACKEND=cuda "$bin/rk-example-shuffle"
step async-example 60 env RINGKERNEL_BACKEND=cuda "$bin/rk-example-async"
# The bridge modes other than the default, forced (docs/runtime.md): relaunch (each launch
# drains what is queued and leaves) and relaunch-copy (ring blocks in cuMemAlloc memory,
# copied around each launch; the [coherent] cases and migrations cannot run there).
step ring-cuda-relaunch 120 env RINGKERNEL_BRIDGE_MODE=relaunch "$bin/test_ring_runtime" "[cuda]"
step ring-cuda-copy 120 env RINGKERNEL_BRIDGE_MODE=relaunch-copy "$bin/test_ring_runtime" "[cuda]~[coherent]~[migrate]"
step demo-copy 90 env RINGKERNEL_BACKEND=cuda RINGKERNEL_BRIDGE_MODE=relaunch-copy "$bin/rk-demo-pipeline" --events 100000

bench_args=()
[ "$quick" = --quick ] && bench_args+=(--quick)
for suite in roundtrip launch cuda_graph echo k2k async elastic; do
  suite_args=("${bench_args[@]}")
  # echo's default, 9 runs of a million messages, is sized for cpu_sim; on a GPU at tens of
  # thousands of messages a second it would outlast the step.
  [ "$suite" = echo ] && [ "$quick" != --quick ] && suite_args+=(--messages 100000 --runs 5)
  step "bench-$suite" 90 env RINGKERNEL_BACKEND=cuda "$bin/rk-bench" --suite "$suite" \
    "${suite_args[@]}" --json "$out/bench-$suite.json"
done
cat "$summary"
