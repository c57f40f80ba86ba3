#!/usr/bin/env bash
# RINGKERNEL_DUMP_SIGNAL: SIGUSR1 to a running demo writes every kernel's dump to stderr.
# The demo lingers after its run (--metrics-linger), so the signal always finds it alive.
#   dump_signal.sh DEMO_BINARY WORK_DIR
set -euo pipefail
demo=$1 work=$2
rm -rf "$work" && mkdir -p "$work"
pid=""
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
RINGKERNEL_DUMP_SIGNAL=USR1 "$demo" --events 20000 --quiet --metrics-port 0 --metrics-linger 60 \
  >"$work/out.log" 2>"$work/err.log" &
pid=$!
for ((i = 0; i < 300; ++i)); do grep -q "results match" "$work/out.log" && break; sleep 0.2; done
grep -q "results match" "$work/out.log" || { cat "$work/out.log" "$work/err.log"; exit 1; }
kill -USR1 "$pid"
for ((i = 0; i < 100; ++i)); do grep -q "kernel 'alert'" "$work/err.log" && break; sleep 0.2; done
cat "$work/err.log"
grep -q "=== ringkernel dump ===" "$work/err.log"
grep -q "kernel 'parse' (id [0-9]*): Terminated" "$work/err.log"
grep -q "kernel 'alert'" "$work/err.log"
echo "the signal wrote the dump"
