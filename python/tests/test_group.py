"""Process groups from Python (docs/distributed.md): this test is rank 0, group_peer.py
(started here) rank 1, on loopback. Waits are bounded only to stop a hung test."""
import os
import secrets
import subprocess
import sys
import time
from pathlib import Path

import pytest

import ringkernel as rk
from ringkernel import group
from conftest import Ping, Pong


def _wait_for(path: Path, peer: subprocess.Popen) -> str:
    give_up = time.monotonic() + 120
    while time.monotonic() < give_up:
        if path.exists() and path.read_text().strip():
            return path.read_text().strip()
        assert peer.poll() is None, f"rank 1 stopped: {peer.stderr.read() if peer.stderr else ''}"
        time.sleep(0.01)
    raise AssertionError(f"rank 1 never wrote {path}")


def test_requests_to_a_kernel_of_another_process(tmp_path):
    key = secrets.token_hex(16)
    env = dict(os.environ, RINGKERNEL_RANK="1", RINGKERNEL_PEERS="127.0.0.1:0,127.0.0.1:0", RINGKERNEL_JOB_KEY=key,
               RINGKERNEL_GROUP_ADDRESS_FILE=str(tmp_path / "address"), RINGKERNEL_GROUP_LOOKUP_MS="60000")
    peer = subprocess.Popen([sys.executable, str(Path(__file__).with_name("group_peer.py")), str(tmp_path / "ready")],
                            env=env, stderr=subprocess.PIPE, text=True)
    try:
        address = _wait_for(tmp_path / "address", peer)
        try:
            group.join(["127.0.0.1:0", address], 0, job_key=key.encode(), connect_timeout=60)
        except rk.NotFoundError as error:  # no UCX transport in this build
            pytest.skip(f"no usable transport: {error}")
        _wait_for(tmp_path / "ready", peer)
        status = group.status()
        assert status["joined"] and status["rank"] == 0 and status["size"] == 2
        assert group.peer_state(1)[0] == "connected"
        for i in range(200):
            reply = group.request("1/echo", Ping, Pong, value=i, timeout=60)
            assert reply.value["value"] == i + 1
            assert reply.value["seen"] == i
        with pytest.raises(rk.InvalidArgumentError):
            group.send("echo", Ping, value=1)  # not "R/name"
        group.leave()
        assert not group.status()["joined"]
        assert peer.wait(timeout=120) == 0
    finally:
        if peer.poll() is None:
            peer.kill()
            peer.wait()
        if group.status()["joined"]:
            group.leave()
