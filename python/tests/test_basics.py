"""The synchronous API on cpu_sim and OpenCL: launch, send, receive, request, lifecycle,
status, telemetry, the registry."""
import numpy as np
import pytest

import ringkernel as rk
from conftest import ECHO, Ping, Pong, unique


def test_version_and_api():
    assert rk.__version__.count(".") == 2
    major, minor = rk.API_VERSION
    assert major == 1 and minor >= 2


def test_registry_lists_cpu_sim_with_its_reason():
    plugins = {p.name: p for p in rk.registry()}
    assert plugins["cpu_sim"].outcome == "loaded"
    assert plugins["cpu_sim"].reason == "ok"
    assert plugins["cpu_sim"].device_count >= 1
    assert plugins["cpu_sim"].devices[0]["name"].startswith("cpu_sim")
    for plugin in plugins.values():  # every one says what became of it, as rk-info does
        assert plugin.outcome in ("loaded", "rejected")
        assert plugin.reason
        if plugin.outcome == "rejected" or plugin.reason != "ok":
            assert plugin.detail


def test_request_reply(echo):
    reply = echo.request(Ping, Pong, value=41)
    assert reply.value["value"] == 42
    assert reply.value["seen"] == 0
    assert reply.header.type_id == Pong.type_id
    assert reply.header.source_kernel == echo.id
    assert reply.header.timestamp.node_id == echo.id


def test_send_then_receive_in_order(echo):
    ids = [echo.send(Ping, value=i) for i in range(100)]
    assert ids == sorted(ids)
    for i in range(100):
        out = echo.receive(Pong, timeout=10)
        assert out.value["value"] == i + 1
        assert out.value["seen"] == i


def test_payloads_as_records_dicts_bytes(echo):
    record = np.zeros((), dtype=Ping.dtype)
    record["value"] = 7
    assert echo.request(Ping, Pong, record).value["value"] == 8
    assert echo.request(Ping, Pong, {"value": 9}).value["value"] == 10
    assert echo.request(Ping, Pong, (11).to_bytes(8, "little")).value["value"] == 12
    raw = echo.request(1, None, (13).to_bytes(8, "little"))  # plain ids and bytes
    assert isinstance(raw.value, bytes) and int.from_bytes(raw.value[:8], "little") == 14


def test_lifecycle(runtime):
    with runtime.launch(unique("life"), ECHO, state_bytes=8, auto_activate=False) as kernel:
        assert kernel.state == "Launched"
        kernel.send(Ping, value=1)  # accepted, not handled yet
        with pytest.raises(rk.QueueEmptyError):
            kernel.receive(Pong, timeout=0)
        kernel.activate()
        assert kernel.receive(Pong, timeout=10).value["value"] == 2
        kernel.deactivate()
        assert kernel.state == "Deactivated"
        kernel.reactivate()
        assert kernel.request(Ping, Pong, value=5).value["seen"] == 1  # state kept
        kernel.terminate()
        assert kernel.state == "Terminated"
    assert kernel.closed


def test_status_telemetry_latency(echo):
    for i in range(20):
        echo.request(Ping, Pong, value=i)
    status = echo.status()
    assert status["state"] == "Active"
    telemetry = echo.telemetry()
    assert telemetry["messages_processed"] >= 19  # the count trails the reply by a moment
    latency = echo.latency()
    assert len(latency["handler"]) == 40
    assert latency["handler_p50_ns"] <= latency["handler_p99_ns"]


def test_runtime_describes_itself(runtime):
    assert runtime.backend in ("cpu_sim", "opencl")
    assert runtime.device["name"]
    assert "rk_kernel_messages_processed_total" in runtime.metrics_text() or runtime.metrics_text().startswith("#")
    assert isinstance(runtime.dump(), str)
    physical, logical, node = runtime.hlc_now()
    assert node == 0


def test_trace_from_python(cpu_runtime, tmp_path):
    with cpu_runtime.launch(unique("traced"), ECHO, state_bytes=8, trace=True) as kernel:
        for i in range(10):
            kernel.request(Ping, Pong, value=i)
        path = tmp_path / "trace.json"
        cpu_runtime.write_trace(path)
        import json
        events = json.loads(path.read_text())["traceEvents"]
        assert sum(1 for e in events if e.get("tid") == kernel.id and e["ph"] == "X") == 10


def test_an_elastic_kernel_leaves_when_idle_and_comes_back(runtime):
    import time
    with runtime.launch(unique("elastic"), ECHO, state_bytes=8, idle_exit=0.001) as kernel:
        for i in range(3):
            deadline = time.monotonic() + 30
            while kernel.status()["resident"] and time.monotonic() < deadline:
                time.sleep(0.001)
            assert not kernel.status()["resident"]
            assert kernel.request(Ping, Pong, value=i).value["seen"] == i  # back, state kept
        assert kernel.status()["relaunches"] >= 3
