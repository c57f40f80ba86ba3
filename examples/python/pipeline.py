#!/usr/bin/env python3
"""The demo pipeline from Python: generated sensor events flow host -> parse -> aggregate ->
alert -> host through three ring kernels joined by K2K (the same kernels as rk-demo-pipeline,
examples/pipeline/*.rkc), and the alerts are checked against a NumPy reference.

    python3 examples/python/pipeline.py [--events N] [--seed S] [--backend cpu_sim|opencl]

Exit status 0 when every alert matches the reference, 1 otherwise.
"""
import argparse
import pathlib
import sys
import time

import numpy as np

import ringkernel as rk

HERE = pathlib.Path(__file__).resolve().parent
KERNELS = HERE.parent / "pipeline"

SENSORS, WARMUP, THRESHOLD, ALERT_GAP = 64, 16, 3000, 64  # as pipeline_messages.h says

RawEvent = rk.MessageType(1, [("sensor_id", "<u4"), ("sequence", "<u4"), ("value", "<i4"), ("checksum", "<u4"),
                              ("origin_ns", "<i8")], name="pipe_raw_event")
Alert = rk.MessageType(4, [("sensor_id", "<u4"), ("sequence", "<u4"), ("value", "<i4"), ("mean", "<i4"),
                           ("origin_ns", "<i8"), ("alert_number", "<u4"), ("reserved", "<u4")], name="pipe_alert")


def checksum(sensor, sequence, value):
    """pipe_checksum (FNV-1a over three words), on whole arrays: uint32 arithmetic wraps as in C."""
    h = np.full(sensor.shape, 2166136261, dtype=np.uint32)
    for word in (sensor, sequence, value.view(np.uint32)):
        h = (h ^ word) * np.uint32(16777619)
    return h


def generate(count, seed):
    rng = np.random.default_rng(seed)
    events = RawEvent.zeros(count)
    events["sensor_id"] = rng.integers(0, SENSORS, count, dtype=np.uint32)
    events["sequence"] = np.arange(count, dtype=np.uint32)
    values = rng.normal(20_000, 400, count)
    spikes = rng.random(count) < 0.003
    values[spikes] += rng.choice([-8_000, 8_000], int(spikes.sum()))
    events["value"] = values.astype(np.int32)
    with np.errstate(over="ignore"):
        events["checksum"] = checksum(events["sensor_id"], events["sequence"], events["value"])
    broken = rng.random(count) < 0.002  # corrupted in transit: parse must drop them
    events["checksum"][broken] ^= 1
    events["sensor_id"][rng.random(count) < 0.001] = SENSORS + 7  # an unknown sensor
    return events


def reference(events):
    """The three kernels' logic, in order, in Python: the alerts they must raise."""
    count = [0] * SENSORS
    mean = [0] * SENSORS
    last = [0] * SENSORS
    alerted = [False] * SENSORS
    alerts = []
    with np.errstate(over="ignore"):
        good = (events["sensor_id"] < SENSORS) & (
            events["checksum"] == checksum(events["sensor_id"], events["sequence"], events["value"]))
    for sensor, sequence, value in zip(events["sensor_id"][good].tolist(), events["sequence"][good].tolist(),
                                       events["value"][good].tolist()):
        m, c = mean[sensor], count[sensor]
        if not (c >= WARMUP and abs(value - m) > THRESHOLD):
            d = value - m
            mean[sensor] = value if c == 0 else m + (abs(d) // 16) * (1 if d >= 0 else -1)  # C division truncates
            count[sensor] = c + 1
            continue
        if alerted[sensor] and ((sequence - last[sensor]) & 0xFFFFFFFF) < ALERT_GAP:
            continue
        alerted[sensor], last[sensor] = True, sequence
        alerts.append((sensor, sequence, value, m, len(alerts) + 1))
    return int(good.sum()), alerts


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--backend", default=None, help="default: RINGKERNEL_BACKEND, else cpu_sim")
    args = parser.parse_args()

    messages = (KERNELS / "pipeline_messages.h").read_text()
    source = {name: messages + "\n" + (KERNELS / f"{name}_kernel.rkc").read_text() for name in ("parse", "aggregate", "alert")}
    events = generate(args.events, args.seed)
    valid, expected = reference(events)

    with rk.Runtime(args.backend) as runtime:
        print(f"ringkernel {rk.__version__} from Python: parse -> aggregate -> alert on {runtime.backend} "
              f"({runtime.device['name']}), {args.events} events")
        alert = runtime.launch("alert", source["alert"], state_bytes=1024, accepted_types=[3])
        aggregate = runtime.launch("aggregate", source["aggregate"], state_bytes=1024, accepted_types=[2], peers=["alert"])
        parse = runtime.launch("parse", source["parse"], state_bytes=64, input_capacity=4096, accepted_types=[1],
                               peers=["aggregate"])
        start = time.perf_counter()
        events["origin_ns"] = time.time_ns()
        parse.send_batch(RawEvent, events)
        for kernel in (parse, aggregate, alert):  # upstream first: each drains into the next
            kernel.terminate()
        elapsed = time.perf_counter() - start
        received = []
        try:
            while True:  # the terminated kernel's output stays receivable until it is all taken
                received.extend(alert.receive_batch(Alert, 1024, timeout=0).tolist())
        except rk.TerminatedError:
            pass  # all taken
        processed = (parse.telemetry()["messages_processed"], aggregate.telemetry()["messages_processed"])

    got = [(s, q, v, m, n) for s, q, v, m, _, n, _ in received]
    ok = processed[0] == args.events and processed[1] == valid and got == expected
    print(f"done in {elapsed:.2f} s: {args.events / elapsed / 1e6:.2f} M events/s; {processed[1]} valid readings "
          f"(reference {valid}); {len(got)} alerts (reference {len(expected)})")
    print("alerts match the NumPy reference" if ok else "ALERTS DIFFER FROM THE REFERENCE")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
