"""Closing while another thread is inside a call: the waiting call returns with the reason,
and close frees nothing under it."""
import threading

import pytest

import ringkernel as rk
from conftest import ECHO, Ping, Pong, unique


def blocked_receive(kernel, errors):
    try:
        kernel.receive(Pong, timeout=None)  # nothing will come
    except rk.RingKernelError as error:
        errors.append(error)


@pytest.mark.parametrize("what", ["kernel", "runtime"])
def test_close_while_a_receive_waits(what):
    runtime = rk.Runtime("cpu_sim")
    kernel = runtime.launch(unique("waited"), ECHO, state_bytes=8)
    errors = []
    waiter = threading.Thread(target=blocked_receive, args=(kernel, errors))
    waiter.start()
    while kernel.status()["state"] != "Active":
        pass
    (kernel if what == "kernel" else runtime).close()
    waiter.join(timeout=60)
    assert not waiter.is_alive()
    assert len(errors) == 1 and isinstance(errors[0], (rk.TerminatedError, rk.InvalidStateError)), errors
    assert kernel.closed
    runtime.close()


def test_many_threads_share_a_kernel(cpu_runtime):
    with cpu_runtime.launch(unique("shared"), ECHO, state_bytes=8, input_capacity=1024, output_capacity=1024) as kernel:
        results = []
        lock = threading.Lock()

        def ask(base):
            for i in range(200):
                value = kernel.request(Ping, Pong, value=base + i, timeout=60).value["value"]
                with lock:
                    results.append(int(value) - base - i)

        threads = [threading.Thread(target=ask, args=(t * 1000,)) for t in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        assert results == [1] * 800
