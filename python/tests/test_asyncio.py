"""asyncio: request_async resolved by the bridge thread into the loop, outputs() as an
async iterator, timeouts and cancellation."""
import asyncio

import pytest

import ringkernel as rk
from conftest import ECHO, Ping, Pong, unique

SINK = r"""
RK_INLINE int32_t rk_handler(rk_ctx* ctx, rk_global const rk_msg_header* msg, rk_global const uint8_t* payload) {
  (void)ctx; (void)msg; (void)payload;
  return RK_SUCCESS;
}
"""


@pytest.mark.asyncio
async def test_a_thousand_concurrent_requests(runtime):
    with runtime.launch(unique("async"), ECHO, state_bytes=8, input_capacity=1024, output_capacity=1024) as kernel:
        replies = await asyncio.gather(*(kernel.request_async(Ping, Pong, value=i, timeout=60) for i in range(1000)))
        assert [r.value["value"] for r in replies] == [i + 1 for i in range(1000)]
        assert sorted(r.value["seen"] for r in replies) == list(range(1000))  # each handled once


@pytest.mark.asyncio
async def test_a_request_without_reply_times_out(cpu_runtime):
    with cpu_runtime.launch(unique("sink"), SINK) as sink:
        with pytest.raises(rk.Timeout):
            await sink.request_async(Ping, Pong, value=1, timeout=0.05)


@pytest.mark.asyncio
async def test_cancelling_the_awaiter(cpu_runtime):
    with cpu_runtime.launch(unique("sink"), SINK) as sink:
        task = asyncio.ensure_future(sink.request_async(Ping, Pong, value=1, timeout=0.2))
        await asyncio.sleep(0)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        await asyncio.sleep(0.3)  # the request's own timeout comes and is dropped quietly
        with cpu_runtime.launch(unique("echo"), ECHO, state_bytes=8) as echo:  # the loop still serves
            assert (await echo.request_async(Ping, Pong, value=2)).value["value"] == 3


@pytest.mark.asyncio
async def test_outputs_as_an_async_iterator(runtime):
    kernel = runtime.launch(unique("outputs"), ECHO, state_bytes=8, input_capacity=1024, output_capacity=1024)
    try:
        stream = kernel.outputs(Pong)
        for i in range(500):
            kernel.send(Ping, value=i)

        async def stop_later():
            while kernel.status()["messages_processed"] < 500:
                await asyncio.sleep(0.001)
            kernel.terminate()  # ends the stream after everything before it

        stopper = asyncio.ensure_future(stop_later())
        seen = [out.value["value"] async for out in stream]
        await stopper
        assert seen == [i + 1 for i in range(500)]  # every one, in order, then the end
    finally:
        kernel.close()


@pytest.mark.asyncio
async def test_one_outputs_iterator_and_no_receive_beside_it(cpu_runtime):
    with cpu_runtime.launch(unique("outputs2"), ECHO, state_bytes=8) as kernel:
        stream = kernel.outputs(Pong)
        with pytest.raises(RuntimeError):
            kernel.outputs(Pong)
        with pytest.raises(rk.InvalidStateError):
            kernel.receive(Pong, timeout=0)
        kernel.send(Ping, value=1)
        first = await asyncio.wait_for(stream.__anext__(), timeout=30)
        assert first.value["value"] == 2
        await stream.aclose()
        kernel.send(Ping, value=2)
        assert kernel.receive(Pong, timeout=30).value["value"] == 3  # receive works again


@pytest.mark.asyncio
async def test_driving_progress_from_the_loop(runtime):
    """runtime.progress() on the loop's thread: every request resolves once, whichever thread
    handed its reply over; the calls report only what they ran, and the total stays within
    what was sent."""
    with runtime.launch(unique("driven"), ECHO, state_bytes=8, input_capacity=1024, output_capacity=1024) as kernel:
        pending = [asyncio.ensure_future(kernel.request_async(Ping, Pong, value=i, timeout=60)) for i in range(500)]
        ran = 0
        while not all(p.done() for p in pending):
            delivered = runtime.progress()
            assert isinstance(delivered, int) and delivered >= 0
            ran += delivered
            await asyncio.sleep(0)
        assert [p.result().value["value"] for p in pending] == [i + 1 for i in range(500)]
        assert ran <= 500


def test_progress_on_a_closed_runtime_raises():
    runtime = rk.Runtime("cpu_sim")
    assert runtime.progress() == 0  # no async consumer yet: nothing to hand over
    runtime.close()
    with pytest.raises(rk.InvalidStateError, match="closed"):
        runtime.progress()
