#!/usr/bin/env python3
"""Python beside C++ in the same run, rk-bench-compatible JSON on stdout.

    python3 benchmarks/python/bench.py [--rk-bench build/bin/rk-bench] [--quick]

Runs `rk-bench --suite async --suite echo` for the C++ rows, then the same kernel (a 64-byte
echo) from Python: a blocking request (ratio to C++'s "sync request" p50; target <= 3x) and
send_batch/receive_batch throughput with a sender and a receiver thread (ratio to C++'s echo
suite; target >= 0.5x). Medians and p99 as rk-bench reports them.
"""
import argparse
import json
import pathlib
import platform
import statistics
import subprocess
import sys
import threading
import time

import numpy as np

import ringkernel as rk

ECHO = r"""
RK_INLINE int32_t rk_handler(rk_ctx* ctx, rk_global const rk_msg_header* msg, rk_global const uint8_t* payload) {
  uint8_t copy[64];
  for (uint32_t i = 0; i < 64u; ++i) copy[i] = payload[i];
  (void)msg;
  return rk_reply(ctx, 1u, copy, 64u);
}"""
Ping = rk.MessageType(1, [("value", "<u8"), ("pad", "<u8", (7,))], name="EchoPing")


def row(suite, name, unit, samples, better, **params):
    ordered = sorted(samples)
    return {"suite": suite, "name": name, "unit": unit, "better": better, "median": statistics.median(ordered),
            "p99": ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))], "min": ordered[0], "max": ordered[-1],
            "runs": len(ordered), "params": params}


def request_latencies(runtime, count):
    with runtime.launch("py_bench_request", ECHO, input_capacity=256, output_capacity=256, max_payload_size=64) as kernel:
        message = Ping.pack(value=1)
        for _ in range(1000):
            kernel.request(Ping, None, message)
        samples = []
        for i in range(count):
            start = time.perf_counter_ns()
            kernel.request(Ping, None, message)
            samples.append(time.perf_counter_ns() - start)
        return samples


def batch_throughput(runtime, messages, runs):
    rates = []
    with runtime.launch("py_bench_batch", ECHO, input_capacity=4096, output_capacity=4096, max_payload_size=64) as kernel:
        pings = Ping.zeros(messages)
        pings["value"] = np.arange(messages)
        replies = Ping.zeros(messages)
        for _ in range(runs):
            done = [0]

            def receive():
                while done[0] < messages:
                    done[0] += len(kernel.receive_batch(Ping, out=replies[done[0]:], timeout=30))

            receiver = threading.Thread(target=receive)
            start = time.perf_counter()
            receiver.start()
            for at in range(0, messages, 4096):
                kernel.send_batch(Ping, pings[at:at + 4096])
            receiver.join()
            rates.append(messages / (time.perf_counter() - start) / 1e6)
            assert (replies["value"] == pings["value"]).all()
    return rates


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rk-bench", default=str(pathlib.Path(__file__).resolve().parents[2] / "build/bin/rk-bench"))
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    cpp = json.loads(subprocess.run([args.rk_bench, "--suite", "async", "--suite", "echo"] + (["--quick"] if args.quick else []),
                                    capture_output=True, text=True, check=True).stdout)
    cpp_rows = {r["name"]: r for r in cpp["results"]}
    sync_cpp = cpp_rows["sync request"]
    echo_cpp = cpp_rows["echo ring kernel, host sender + receiver threads"]
    count, messages, runs = (2000, 50_000, 3) if args.quick else (50_000, 1_000_000, 9)
    with rk.Runtime() as runtime:
        request = row("python", "sync request from Python (kernel.request)", "ns", request_latencies(runtime, count), "lower")
        request["params"].update(ratio_to_cpp_p50=request["median"] / sync_cpp["median"], backend=runtime.backend)
        batch = row("python", "NumPy batches, sender + receiver threads", "M msg/s",
                    batch_throughput(runtime, messages, runs), "higher")
        batch["params"].update(ratio_to_cpp_median=batch["median"] / echo_cpp["median"], messages_per_run=messages,
                               backend=runtime.backend)
    json.dump({"tool": "benchmarks/python/bench.py", "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
               "machine": {"cpu": platform.processor() or platform.machine(), "python": platform.python_version()},
               "results": [sync_cpp, request, echo_cpp, batch]}, sys.stdout, indent=1)
    print()


if __name__ == "__main__":
    main()
