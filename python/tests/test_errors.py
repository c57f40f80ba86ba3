"""Bad input from Python raises the documented exception with the reason, and loses nothing."""
import numpy as np
import pytest

import ringkernel as rk
from conftest import ECHO, Ping, Pong, unique


def test_unknown_backend_says_so():
    with pytest.raises(rk.RingKernelError) as caught:
        rk.Runtime("no_such_backend")
    assert "no_such_backend" in str(caught.value)
    assert caught.value.name.startswith("RK_ERROR_")


def test_payload_of_the_wrong_size(echo):
    wrong = rk.MessageType(1, [("value", "<u4")])
    with pytest.raises(rk.PayloadLayoutError):
        Ping.pack(b"\x00" * 4)
    with pytest.raises(rk.PayloadLayoutError):
        echo.send_batch(Ping, np.zeros(3, dtype=wrong.dtype))
    with pytest.raises(rk.PayloadLayoutError):  # a reply is checked against its type too
        echo.request(Ping, wrong, value=1)
    with pytest.raises(rk.PayloadLayoutError):
        Ping.pack(nope=1)


def test_oversize_payload(echo):
    big = rk.MessageType(1, [("blob", "u1", (echo.max_payload_size + 8,))])
    with pytest.raises(rk.PayloadLayoutError):  # caught before the C call, with the sizes
        echo.send(big)
    with pytest.raises(rk.MessageTooLargeError) as caught:  # raw bytes reach the library's check
        echo.send(1, b"\x00" * (echo.max_payload_size + 1), timeout=0)
    assert "max_payload_size" in caught.value.detail
    assert isinstance(caught.value, ValueError)


def test_invalid_transition(echo):
    with pytest.raises(rk.InvalidStateError) as caught:
        echo.activate()  # already Active
    assert caught.value.code == 10
    assert caught.value.detail


def test_unaccepted_type(runtime):
    with runtime.launch(unique("typed"), ECHO, state_bytes=8, accepted_types=[1]) as kernel:
        with pytest.raises(rk.UnknownMessageTypeError):
            kernel.send(7, b"\x00" * 8, timeout=0)


def test_receive_timeouts(echo):
    with pytest.raises(rk.QueueEmptyError):
        echo.receive(Pong, timeout=0)
    with pytest.raises(rk.Timeout) as caught:
        echo.receive(Pong, timeout=0.01)
    assert isinstance(caught.value, TimeoutError)


def test_compile_error_carries_the_log(cpu_runtime):
    with pytest.raises(rk.CompileError) as caught:
        cpu_runtime.launch(unique("broken"), "RK_INLINE int32_t rk_handler(oops")
    assert "user_source" in caught.value.detail


def test_closed_kernel_and_runtime(cpu_runtime):
    kernel = cpu_runtime.launch(unique("closed"), ECHO, state_bytes=8)
    kernel.close()
    kernel.close()  # idempotent
    with pytest.raises(rk.InvalidStateError):
        kernel.send(Ping, value=1)
    runtime = rk.Runtime("cpu_sim")
    orphan = runtime.launch(unique("orphan"), ECHO, state_bytes=8)
    runtime.close()
    assert orphan.closed  # its runtime freed it
    with pytest.raises(rk.InvalidStateError):
        orphan.request(Ping, Pong, value=1)


def test_batch_receive_of_another_type_hands_the_message_back(cpu_runtime):
    with cpu_runtime.launch(unique("mixed"), ECHO, state_bytes=8) as kernel:
        for i in range(3):
            kernel.send(Ping, value=i)
        other = rk.MessageType(9, Pong.dtype)
        got = None
        with pytest.raises(rk.UnknownMessageTypeError) as caught:
            got = kernel.receive_batch(other, 3, timeout=10)
        assert got is None
        header, payload, rows = caught.value.message
        assert header[0] == Pong.type_id and rows == 0
        assert Pong.unpack(payload)["value"] == 1  # the first reply, not lost
        rest = kernel.receive_batch(Pong, 2, timeout=10)
        assert list(rest["value"]) == [2, 3]
