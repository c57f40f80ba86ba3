#!/usr/bin/env bash
# A real Prometheus server scrapes the demo's /metrics on 127.0.0.1, and what it stored must
# equal the demo's own counts. Both processes are started here, loopback only, bounded in
# time, and killed with their files removed at the end. Skipped (exit 4) without Prometheus.
#   prometheus_scrape.sh DEMO_BINARY WORK_DIR
set -euo pipefail
demo=$1 work=$2
for tool in prometheus promtool; do
  if ! command -v $tool >/dev/null; then
    echo "skipped: $tool is not installed (Debian: apt-get install prometheus)"
    exit 4
  fi
done
rm -rf "$work" && mkdir -p "$work"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# wait_for SECONDS COMMAND...: polls until the command succeeds.
wait_for() {
  local limit=$1
  shift
  for ((i = 0; i < limit * 5; ++i)); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 0.2
  done
  return 1
}

events=50000
"$demo" --events $events --quiet --metrics-port 0 --metrics-linger 90 >"$work/demo.log" 2>&1 &
pids+=($!)
wait_for 60 grep -q "results match the host reference" "$work/demo.log" || { cat "$work/demo.log"; exit 1; }
port=$(sed -n 's|^metrics on http://127.0.0.1:\([0-9]*\)/metrics$|\1|p' "$work/demo.log")
aggregated=$(sed -n 's|^ *readings aggregated *\([0-9]*\) .*|\1|p' "$work/demo.log")
echo "demo serves metrics on port $port; it aggregated $aggregated readings"

cat >"$work/prometheus.yml" <<YAML
global:
  scrape_interval: 1s
scrape_configs:
  - job_name: ringkernel-demo
    static_configs:
      - targets: ['127.0.0.1:$port']
YAML
# A free port for Prometheus itself: try a few, it exits at once when one is taken.
for try in 1 2 3 4 5; do
  web=$((20000 + RANDOM % 40000))
  prometheus --config.file="$work/prometheus.yml" --storage.tsdb.path="$work/tsdb" \
    --web.listen-address="127.0.0.1:$web" >"$work/prometheus.log" 2>&1 &
  pid=$!
  sleep 1
  if kill -0 "$pid" 2>/dev/null; then pids+=("$pid"); break; fi
  web=""
done
[ -n "$web" ] || { cat "$work/prometheus.log"; exit 1; }

query() { promtool query instant "http://127.0.0.1:$web" "$1" 2>/dev/null; }
scraped() { query "rk_kernel_messages_processed_total{kernel=\"$1\"}" | grep -q "=> $2 @"; }
if ! wait_for 60 scraped parse $events; then
  echo "Prometheus never stored parse = $events; it has:"
  query 'rk_kernel_messages_processed_total'
  tail -5 "$work/prometheus.log"
  exit 1
fi
scraped aggregate "$aggregated" || { query 'rk_kernel_messages_processed_total'; exit 1; }
query 'rk_kernel_messages_processed_total'
echo "Prometheus scraped the demo: parse $events, aggregate $aggregated, as the demo counted"
