"""Runtimes and the plugin registry."""
from __future__ import annotations

import atexit
import os
import threading
import weakref
from typing import Any, Dict, List, NamedTuple, Optional, Sequence, Tuple

from . import _ringkernel
from .kernel import Kernel


class PluginStatus(NamedTuple):
    """One plugin file as discovery saw it (what ``rk-info`` prints)."""

    name: str
    path: str
    outcome: str  # "loaded" or "rejected"
    reason: str   # "ok", "no_devices", "abi_mismatch", "missing_dependency", ...
    detail: str
    abi: Tuple[int, int]
    device_count: int
    devices: List[Dict[str, Any]]


def registry() -> List[PluginStatus]:
    """Every backend plugin found (the process-wide registry), usable or not, and why."""
    return [PluginStatus(**status) for status in _ringkernel.plugins()]


_open_runtimes: "weakref.WeakSet[Runtime]" = weakref.WeakSet()
_open_lock = threading.Lock()


@atexit.register
def _close_all_at_exit() -> None:
    # Before the interpreter finalizes: kernels stop, the bridge thread stops, and no
    # callback can come into a dying interpreter.
    with _open_lock:
        runtimes = list(_open_runtimes)
    for runtime in runtimes:
        try:
            runtime.close()
        except Exception:  # noqa: BLE001 - at exit there is no one left to tell
            pass


# rk_bridge_mode 1, 2, 3, in order.
_BRIDGE_MODES = ("persistent", "relaunch", "relaunch-copy")


class Runtime:
    """A backend device and the ring kernels on it.

    ``backend=None`` takes ``RINGKERNEL_BACKEND``, else ``"cpu_sim"``; an unusable backend
    raises (never falls back to another). ``bridge_mode`` (``"persistent"``, ``"relaunch"``,
    ``"relaunch-copy"``; None: ``RINGKERNEL_BRIDGE_MODE``, else what the device allows) picks
    how ring kernels meet the host (docs/runtime.md). Use it as a context manager, or call
    :meth:`close`; a runtime still open at interpreter exit is closed then.
    """

    def __init__(self, backend: Optional[str] = None, device: int = 0, *, bridge_mode: Optional[str] = None) -> None:
        if bridge_mode is not None and bridge_mode not in _BRIDGE_MODES:
            raise ValueError(f"bridge_mode {bridge_mode!r}: use one of {', '.join(_BRIDGE_MODES)}")
        self._rt = _ringkernel.Runtime(backend, device, _BRIDGE_MODES.index(bridge_mode) + 1 if bridge_mode else 0)
        with _open_lock:
            _open_runtimes.add(self)

    def __enter__(self) -> "Runtime":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:
        rt = getattr(self, "_rt", None)
        if rt is not None and not rt.closed:
            try:
                rt.close()
            except Exception:  # noqa: BLE001 - nothing to tell from a finalizer
                pass

    def close(self) -> None:
        """Terminates every kernel (bounded), stops the bridge, frees the device. Idempotent."""
        self._rt.close()

    @property
    def closed(self) -> bool:
        return self._rt.closed

    @property
    def backend(self) -> str:
        return self._rt.backend

    @property
    def bridge_mode(self) -> str:
        """``"persistent"``, ``"relaunch"`` or ``"relaunch-copy"`` (``rk_runtime_bridge_mode``)."""
        return _BRIDGE_MODES[self._rt.bridge_mode - 1]

    @property
    def device(self) -> Dict[str, Any]:
        """The device's name, vendor, memory, capabilities ..."""
        return self._rt.device

    def launch(self, name: str, source: str, *, auto_activate: bool = True, block_size: int = 0,
               input_capacity: int = 0, output_capacity: int = 0, inbox_capacity: int = 0,
               outbox_capacity: int = 0, max_payload_size: int = 0, state_bytes: int = 0,
               accepted_types: Sequence[int] = (), peers: Sequence[str] = (), compile_flags: str = "",
               k2k_send_timeout: Optional[float] = None, trace: bool = False, trace_capacity: int = 0,
               idle_exit: Optional[float] = None, max_run: Optional[float] = None,
               snapshot: Optional[bytes] = None) -> Kernel:
        """Compiles and launches a ring kernel (``rk_kernel_create`` + ``rk_kernel_launch``).

        ``source`` holds the message structs and ``rk_handler`` (docs/dialect.md); 0 for a
        capacity or size means the library's default. The kernel starts Active unless
        ``auto_activate=False``. ``idle_exit`` and ``max_run`` (seconds) make it elastic: its
        loop leaves the device after that long idle, or after running that long, and comes
        back when work does (docs/runtime.md, "Idle exit and time slices"). ``snapshot``
        (from :meth:`Kernel.snapshot`) puts its state and messages back before it starts.
        """
        options: Dict[str, Any] = {
            "name": name, "source": source, "auto_activate": auto_activate, "block_size": block_size,
            "input_capacity": input_capacity, "output_capacity": output_capacity,
            "inbox_capacity": inbox_capacity, "outbox_capacity": outbox_capacity,
            "max_payload_size": max_payload_size, "state_bytes": state_bytes,
            "accepted_types": [int(t) for t in accepted_types], "peers": list(peers),
            "compile_flags": compile_flags, "trace": trace, "trace_capacity": trace_capacity,
            "k2k_send_timeout_ns": 0 if k2k_send_timeout is None else int(k2k_send_timeout * 1e9),
            "idle_exit_ns": 0 if idle_exit is None else max(1, int(idle_exit * 1e9)),
            "max_run_ns": 0 if max_run is None else max(1, int(max_run * 1e9)),
            "snapshot": None if snapshot is None else bytes(snapshot),
        }
        return Kernel(self, self._rt.launch(options))

    def metrics_text(self) -> str:
        """Prometheus text exposition of every kernel (docs/observability.md)."""
        return self._rt.metrics_text()

    def dump(self) -> str:
        """What every kernel is doing, for a person (a hang dump)."""
        return self._rt.dump()

    def write_trace(self, path: "os.PathLike[str] | str") -> None:
        """Writes the message trace of the traced kernels as Chrome trace JSON (Perfetto)."""
        self._rt.write_trace(os.fspath(path))

    def progress(self) -> int:
        """Runs one pass of the message bridge on this thread: replies to `request_async` and
        `outputs()` messages of this runtime's kernels are handed over here, now, instead of
        on the bridge thread (docs/bridge.md, "Driving the bridge from your thread"). Returns
        how many; never blocks. Pays where kernels cannot wake the host (OpenCL, CUDA): a
        loop that waits for replies anyway gets them without the bridge's polling delay."""
        return self._rt.progress()

    def hlc_now(self) -> Tuple[int, int, int]:
        """The host's hybrid logical clock: (physical_ns, logical, node_id)."""
        return self._rt.hlc_now()
