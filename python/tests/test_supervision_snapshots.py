"""Supervision, snapshots and migration from Python: a stalled handler is restarted with its queued messages kept,
events reach a Python callable on the bridge thread, and Faulted refuses sends with the
reason. Nothing waits on time: the stuck handler returns only when a restart parks it."""
import threading
import time

import pytest

import ringkernel as rk
from conftest import Ping, Pong, unique

# Type 1 is the echo; type 5 returns only when the loop is asked to stop (a restart's park);
# type 7 fails.
SUPERVISED = r"""
typedef struct sv_state { uint64_t handled; } sv_state;
typedef struct ping { uint64_t value; } ping;
typedef struct pong { uint64_t value; uint64_t seen; } pong;
RK_INLINE int32_t rk_handler(rk_ctx* ctx, rk_global const rk_msg_header* msg, rk_global const uint8_t* payload) {
  if (msg->type_id == 1u) {
    rk_global sv_state* state = (rk_global sv_state*)rk_state(ctx);
    pong out;
    out.value = ((rk_global const ping*)payload)->value + 1u;
    out.seen = state->handled;
    state->handled += 1u;
    return rk_reply(ctx, 2u, &out, (uint32_t)sizeof(out));
  }
  if (msg->type_id == 5u) {
    int64_t give_up = rk_clock_ns() + 60000000000;
    while (rk_load_acquire_u32((rk_global uint32_t*)&ctx->control->should_terminate) == 0u &&
           rk_clock_ns() < give_up) rk_pause();
    return RK_SUCCESS;
  }
  return RK_ERROR_HANDLER_FAILED;
}
"""

Stuck = rk.MessageType(5, [("unused", "<u8")], name="Stuck")
Fail = rk.MessageType(7, [("unused", "<u8")], name="Fail")


def test_a_stalled_kernel_is_restarted_with_its_messages(runtime):
    events = []
    restarted = threading.Event()

    def on_event(event):  # the bridge thread
        events.append(event)
        if event["kind"] == "restarted":
            restarted.set()

    with runtime.launch(unique("py_supervised"), SUPERVISED, state_bytes=8) as kernel:
        kernel.supervise("restart", stall=0.02, restart_timeout=30.0, on_event=on_event)
        assert kernel.request(Ping, Pong, value=1).value["seen"] == 0
        kernel.send(Stuck)
        for i in range(10):
            kernel.send(Ping, value=100 + i)
        assert restarted.wait(30)
        replies = [kernel.receive(Pong, timeout=30) for _ in range(10)]
        assert [int(r.value["value"]) for r in replies] == [101 + i for i in range(10)]  # all, in order
        assert [int(r.value["seen"]) for r in replies] == [1 + i for i in range(10)]     # the state kept
        assert any(e["kind"] == "stalled" and e["stalled_ns"] >= 20_000_000 for e in events)
        status = kernel.status()
        assert status["restarts"] >= 1 and status["stalls"] >= 1
        assert kernel.state == "Active"


def test_the_breaker_leaves_it_faulted_and_restart_brings_it_back():
    with rk.Runtime("cpu_sim") as runtime:
        kernel = runtime.launch(unique("py_breaker"), SUPERVISED, state_bytes=8)
        kernel.supervise("restart", error_limit=5, error_window=3600.0, max_restarts=1, restart_window=3600.0)
        give_up = time.monotonic() + 60  # only stops a hung test
        with pytest.raises(rk.KernelFaultedError) as caught:
            while time.monotonic() < give_up:  # until the supervisor gives up
                try:
                    kernel.send(Fail, timeout=0)
                except rk.QueueFullError:
                    time.sleep(0.001)
        assert "circuit breaker" in kernel.fault_reason
        assert kernel.fault_reason in caught.value.detail
        assert kernel.state == "Faulted"
        assert kernel.status()["restarts"] == 1
        kernel.restart()
        assert kernel.state == "Active" and kernel.fault_reason == ""
        assert kernel.request(Ping, Pong, value=41).value["value"] == 42
        kernel.close()


def test_bad_policy_is_refused(echo):
    with pytest.raises(ValueError):
        echo.supervise("sometimes", stall=0.1)
    with pytest.raises(rk.InvalidArgumentError) as caught:
        echo.supervise("report")  # neither stall nor error_limit: nothing to watch
    assert "stall_ns" in caught.value.detail


def test_a_snapshot_launches_again_and_a_kernel_migrates():
    with rk.Runtime("cpu_sim") as first, rk.Runtime("cpu_sim") as second:
        kernel = first.launch(unique("py_snap"), SUPERVISED, state_bytes=8)
        assert kernel.request(Ping, Pong, value=1).value["seen"] == 0
        kernel.deactivate()
        kernel.send(Ping, value=7)
        image = kernel.snapshot()
        kernel.reactivate()
        with pytest.raises(rk.InvalidStateError):  # an Active kernel is refused
            kernel.snapshot()
        again = second.launch(unique("py_snap_again"), SUPERVISED, state_bytes=8, snapshot=image)
        assert again.receive(Pong, timeout=30).value["seen"] == 1  # the queued Ping, the count kept
        with pytest.raises(rk.InvalidArgumentError) as caught:
            second.launch(unique("py_snap_broken"), SUPERVISED, state_bytes=8, snapshot=image[:-3])
        assert "truncated" in caught.value.detail
        moved = kernel.migrate(second)
        assert kernel.state == "Terminated" and moved.state == "Active"
        assert moved.receive(Pong, timeout=30).value["seen"] == 1  # the original's own reply to the Ping
        assert moved.request(Ping, Pong, value=2).value["seen"] == 2


def test_the_relaunch_copy_mode_is_asked_for_and_reported():
    """Ring blocks in device memory, copied around each launch (docs/runtime.md)."""
    with rk.Runtime("cpu_sim", bridge_mode="relaunch-copy") as copied, rk.Runtime("cpu_sim") as shared:
        assert copied.bridge_mode == "relaunch-copy"
        assert shared.bridge_mode in ("persistent", "relaunch")
        kernel = copied.launch(unique("py_copied"), SUPERVISED, state_bytes=8)
        for i in range(20):
            assert kernel.request(Ping, Pong, value=i).value["seen"] == i
        with pytest.raises(rk.UnsupportedError) as caught:
            kernel.migrate(shared)
        assert "relaunch-copy" in caught.value.detail
    with pytest.raises(ValueError):
        rk.Runtime("cpu_sim", bridge_mode="sometimes")
