"""Shared pieces of the Python tests: runtimes per backend and small kernels.

cpu_sim must work everywhere; OpenCL is skipped, with the reason, where it cannot run
persistent ring kernels. Nothing here depends on how fast the machine is: waits are
bounded only to stop a hung test.
"""
import itertools

import pytest

import ringkernel as rk

ECHO = r"""
typedef struct echo_state { uint64_t handled; } echo_state;
typedef struct ping { uint64_t value; } ping;
typedef struct pong { uint64_t value; uint64_t seen; } pong;
RK_INLINE int32_t rk_handler(rk_ctx* ctx, rk_global const rk_msg_header* msg, rk_global const uint8_t* payload) {
  if (msg->type_id != 1u) return RK_ERROR_UNKNOWN_MESSAGE_TYPE;
  rk_global echo_state* state = (rk_global echo_state*)rk_state(ctx);
  pong out;
  out.value = ((rk_global const ping*)payload)->value + 1u;
  out.seen = state->handled;
  state->handled += 1u;
  return rk_reply(ctx, 2u, &out, (uint32_t)sizeof(out));
}
"""

Ping = rk.MessageType(1, [("value", "<u8")], name="Ping")
Pong = rk.MessageType(2, [("value", "<u8"), ("seen", "<u8")], name="Pong")

_names = itertools.count()


def unique(name: str) -> str:
    """Kernel names are unique per runtime; tests share one per backend."""
    return f"{name}_{next(_names)}"


def open_runtime(backend: str) -> rk.Runtime:
    try:
        runtime = rk.Runtime(backend)
    except rk.RingKernelError as error:
        if backend == "cpu_sim":
            raise
        pytest.skip(f"{backend} cannot be used here: {error}")
    if backend != "cpu_sim":
        try:
            runtime.launch(unique("probe"), ECHO, state_bytes=8).close()
        except rk.UnsupportedError as error:
            runtime.close()
            pytest.skip(f"{backend} runs no persistent ring kernels here: {error}")
    return runtime


@pytest.fixture(scope="module", params=["cpu_sim", "opencl"])
def runtime(request):
    runtime = open_runtime(request.param)
    yield runtime
    runtime.close()


@pytest.fixture(scope="module")
def cpu_runtime():
    runtime = open_runtime("cpu_sim")
    yield runtime
    runtime.close()


@pytest.fixture
def echo(runtime):
    with runtime.launch(unique("echo"), ECHO, state_bytes=8, input_capacity=1024, output_capacity=1024) as kernel:
        yield kernel
