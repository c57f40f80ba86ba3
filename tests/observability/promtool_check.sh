#!/usr/bin/env bash
# The demo's final metrics (--metrics-out), split across cpu_sim and OpenCL where OpenCL
# runs, checked by Prometheus's own linter. Skipped (exit 4) without promtool.
#   promtool_check.sh DEMO_BINARY OUT_FILE
set -euo pipefail
demo=$1 out=$2
if ! command -v promtool >/dev/null; then
  echo "skipped: promtool is not installed (Debian: apt-get install prometheus)"
  exit 4
fi
split=()
if "$demo" --events 2000 --quiet --split cpu_sim,opencl --metrics-out "$out" >/dev/null 2>&1; then
  split=(--split cpu_sim,opencl)
else
  "$demo" --events 2000 --quiet --metrics-out "$out" >/dev/null
fi
echo "demo ${split[*]:-on cpu_sim}: $(grep -c '' "$out") lines of metrics"
promtool check metrics < "$out"
echo "promtool: the exposition is valid"
