#!/usr/bin/env bash
# The demo pipeline across two processes started by Open MPI's mpirun (docs/distributed.md).
# The demo is not an MPI program: mpirun only starts it and hands each process its rank, the
# group size and a per-job key (OMPI_COMM_WORLD_RANK/SIZE, OMPI_MCA_orte_precondition_transports);
# RINGKERNEL_PEERS=host:port+ puts rank i on port+i. The base port is one this script found
# free on loopback a moment before.
#
#   examples/pipeline/run-under-mpirun.sh build/bin/rk-demo-pipeline [--events N] [--quiet]
set -euo pipefail
demo=${1:?usage: $0 path/to/rk-demo-pipeline [demo options]}
shift
base=$(python3 - <<'PY'
import socket
for port in range(20000 + (__import__("os").getpid() % 20000), 65000, 2):
    try:
        sockets = [socket.socket() for _ in range(2)]
        for i, s in enumerate(sockets):
            s.bind(("127.0.0.1", port + i))
        for s in sockets:
            s.close()
        print(port)
        break
    except OSError:
        for s in sockets:
            s.close()
PY
)
as_root=()
[ "$(id -u)" -eq 0 ] && as_root=(--allow-run-as-root)
exec mpirun "${as_root[@]}" -np 2 --oversubscribe -x RINGKERNEL_PEERS="127.0.0.1:$base+" \
  -x RINGKERNEL_CACHE_DIR -x RINGKERNEL_LOG_LEVEL "$demo" --group "$@"
