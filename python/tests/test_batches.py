"""NumPy batches: 100k messages in place through reserve/commit, received into arrays."""
import threading

import numpy as np

from conftest import ECHO, Ping, Pong, unique


def test_hundred_thousand_messages_through_numpy_batches(runtime):
    count = 100_000
    with runtime.launch(unique("batch"), ECHO, state_bytes=8, input_capacity=4096, output_capacity=4096) as kernel:
        pings = Ping.zeros(count)
        pings["value"] = np.arange(count, dtype=np.uint64)
        replies = Pong.zeros(count)
        received = 0
        failure = []

        def receive_all():  # another thread: the GIL is released while each side waits
            nonlocal received
            try:
                while received < count:
                    rows = kernel.receive_batch(Pong, out=replies[received:], timeout=30)
                    assert len(rows) > 0, "no reply within 30 s"
                    received += len(rows)
            except BaseException as error:  # noqa: BLE001 - reported by the main thread
                failure.append(error)

        receiver = threading.Thread(target=receive_all)
        receiver.start()
        for start in range(0, count, 10_000):
            assert kernel.send_batch(Ping, pings[start:start + 10_000]) == 10_000
        receiver.join(timeout=120)
        assert not receiver.is_alive()
        assert not failure, failure
        assert received == count
        assert np.array_equal(replies["value"], pings["value"] + 1)
        assert np.array_equal(replies["seen"], np.arange(count, dtype=np.uint64))


def test_empty_batches(echo):
    assert echo.send_batch(Ping, Ping.zeros(0)) == 0
    assert len(echo.receive_batch(Pong, 4, timeout=0)) == 0
    assert len(echo.receive_batch(Pong, 4, timeout=0.01)) == 0
