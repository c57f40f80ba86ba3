#!/usr/bin/env bash
# The demo's --trace output, as a person would open it: valid for a viewer (rk-trace-check),
# nothing lost, a flow from the host into parse for every event, and for every alert the
# demo received a chain of flows host -> parse -> aggregate -> alert -> host.
#   demo_trace.sh DEMO_BINARY CHECK_BINARY OUT_DIR
set -euo pipefail
demo=$1 check=$2 out=$3
events=5000
mkdir -p "$out"
"$demo" --events "$events" --quiet --trace "$out/pipeline.json" | tee "$out/demo.txt"
grep -q "results match the host reference" "$out/demo.txt"
grep -q " 0 dropped, written to $out/pipeline.json" "$out/demo.txt"
alerts=$(awk '$1 == "alerts" && $2 == "received" { print $3 }' "$out/demo.txt")
"$check" "$out/pipeline.json" parse,aggregate,alert | tee "$out/check.txt"
grep -qx "flows into parse: $events" "$out/check.txt"
grep -qx "chains host -> parse -> aggregate -> alert -> host: $alerts" "$out/check.txt"
echo "the trace follows every event into parse and each of the $alerts alerts back to the host"
