#!/usr/bin/env bash
# The demo pipeline across two processes on this machine, without MPI (docs/distributed.md):
# rank 1 (aggregate, alert) listens on a loopback port the system picks and writes it to a
# file; rank 0 (parse) is then told where rank 1 is. A fresh job key for each run.
#
#   examples/pipeline/run-two-processes.sh build/bin/rk-demo-pipeline [--events N] [--quiet]
set -uo pipefail
demo=${1:?usage: $0 path/to/rk-demo-pipeline [demo options]}
shift
dir=$(mktemp -d)
rank1=
cleanup() {
  [ -n "$rank1" ] && kill "$rank1" 2>/dev/null
  rm -rf "$dir"
}
trap cleanup EXIT
RINGKERNEL_JOB_KEY=$(od -An -tx1 -N16 /dev/urandom | tr -d ' \n')
export RINGKERNEL_JOB_KEY

RINGKERNEL_RANK=1 RINGKERNEL_PEERS=127.0.0.1:0,127.0.0.1:0 RINGKERNEL_GROUP_ADDRESS_FILE="$dir/rank1.address" \
  "$demo" --group "$@" >"$dir/rank1.log" 2>&1 &
rank1=$!
for _ in $(seq 1200); do  # up to 2 minutes for rank 1 to listen (only stops a hung run)
  [ -s "$dir/rank1.address" ] && break
  if ! kill -0 "$rank1" 2>/dev/null; then
    echo "rank 1 stopped before it listened:" >&2
    cat "$dir/rank1.log" >&2
    exit 1
  fi
  sleep 0.1
done
[ -s "$dir/rank1.address" ] || { echo "rank 1 never listened" >&2; exit 1; }

RINGKERNEL_RANK=0 RINGKERNEL_PEERS="127.0.0.1:0,$(cat "$dir/rank1.address")" "$demo" --group "$@"
status0=$?
wait "$rank1"
status1=$?
rank1=
cat "$dir/rank1.log"
echo "rank 0 exited $status0, rank 1 exited $status1"
[ "$status0" -eq 0 ] && [ "$status1" -eq 0 ]
