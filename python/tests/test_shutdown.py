"""Interpreter shutdown with kernels still running (sync, async, output handlers) neither
hangs nor crashes: each scenario runs in a fresh interpreter, bounded in time."""
import subprocess
import sys
import textwrap

import pytest

PRELUDE = textwrap.dedent("""
    import asyncio, sys
    sys.path.insert(0, {tests!r})
    import ringkernel as rk
    from conftest import ECHO, Ping, Pong
""")

SCENARIOS = {
    "kernels left running": """
        runtime = rk.Runtime("cpu_sim")
        kernels = [runtime.launch(f"k{i}", ECHO, state_bytes=8) for i in range(4)]
        for k in kernels:
            for i in range(100):
                k.send(Ping, value=i)  # replies left unread
    """,
    "requests still pending": """
        SINK = "RK_INLINE int32_t rk_handler(rk_ctx* c, rk_global const rk_msg_header* m, rk_global const uint8_t* p) { (void)c; (void)m; (void)p; return RK_SUCCESS; }"
        runtime = rk.Runtime("cpu_sim")
        sink = runtime.launch("sink", SINK)
        async def main():
            for i in range(50):
                asyncio.ensure_future(sink.request_async(Ping, Pong, value=i, timeout=60))
            await asyncio.sleep(0.05)
        asyncio.run(main())
    """,
    "an output handler feeding a closed loop": """
        runtime = rk.Runtime("cpu_sim")
        echo = runtime.launch("echo", ECHO, state_bytes=8)
        async def main():
            stream = echo.outputs(Pong)
            for i in range(100):
                echo.send(Ping, value=i)
            await stream.__anext__()
        asyncio.run(main())
        for i in range(100):
            echo.send(Ping, value=i)  # outputs keep coming after the loop closed
    """,
    "a runtime dropped without close": """
        def make():
            runtime = rk.Runtime("cpu_sim")
            runtime.launch("echo", ECHO, state_bytes=8).send(Ping, value=1)
        make()
        import gc; gc.collect()
    """,
}


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_interpreter_exit_is_clean(scenario, tmp_path):
    import os
    script = PRELUDE.format(tests=os.path.dirname(__file__)) + textwrap.dedent(SCENARIOS[scenario]) + "\nprint('exiting')\n"
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().endswith("exiting")
    assert "Traceback" not in done.stderr, done.stderr
