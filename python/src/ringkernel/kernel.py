"""A ring kernel from Python: send, receive, request, batches as NumPy arrays, asyncio."""
from __future__ import annotations

import asyncio
import threading
from typing import TYPE_CHECKING, Any, AsyncIterator, Callable, Dict, Optional, Union

import numpy as np

from . import _ringkernel
from .errors import PayloadLayoutError, error_for
from .messages import Header, MessageType, Received, type_id_of

if TYPE_CHECKING:
    from .runtime import Runtime

TypeLike = Union[MessageType, int]


def _ns(timeout: Optional[float]) -> int:
    """Seconds to the C API's nanoseconds: None waits forever, 0 does not wait."""
    if timeout is None:
        return _ringkernel.WAIT_FOREVER
    if timeout < 0:
        raise ValueError(f"timeout must be >= 0 seconds or None, got {timeout}")
    return int(timeout * 1e9)


_TEN_SECONDS_NS = 10_000_000_000


def _payload(message_type: TypeLike, data: Any, fields: Dict[str, Any]) -> Any:
    if isinstance(message_type, MessageType):
        return message_type.pack(data, **fields)
    if fields:
        raise TypeError("fields need a MessageType; with a plain type id give the payload as bytes")
    return b"" if data is None else data


_new_received = tuple.__new__  # as Header._of: no namedtuple argument handling per message


def _decode(reply_type: Optional[MessageType], header: tuple, payload: bytes) -> Received:
    h = Header._of(header)
    if reply_type is None:
        return _new_received(Received, (h, payload))
    if h.type_id != reply_type.type_id:
        raise PayloadLayoutError(
            f"expected a {reply_type.name} (type {reply_type.type_id}), got type {h.type_id}: {payload!r}")
    return _new_received(Received, (h, reply_type.unpack(payload)))


class Kernel:
    """A launched ring kernel. Made by :meth:`Runtime.launch`; a context manager that
    closes (terminates and destroys) it on exit."""

    def __init__(self, runtime: "Runtime", handle: Any) -> None:
        self._runtime = runtime  # kept alive while its kernels are
        self._k = handle
        self._max_payload = handle.max_payload_size  # fixed at creation: read once
        self._outputs: Optional["_Outputs"] = None
        self._lock = threading.Lock()

    def __enter__(self) -> "Kernel":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        if self._k.closed:
            return "<ringkernel.Kernel (closed)>"
        return f"<ringkernel.Kernel {self.name!r} id={self.id} {self.state}>"

    # ---- identity and lifecycle ----------------------------------------------------

    @property
    def id(self) -> int:
        """The dense kernel id: its K2K address inside the runtime."""
        return self._k.id

    @property
    def name(self) -> str:
        return self._k.name

    @property
    def max_payload_size(self) -> int:
        return self._max_payload

    @property
    def state(self) -> str:
        """"Created", "Launched", "Active", "Deactivated", "Terminating", "Terminated" or "Faulted"."""
        return self._k.state

    @property
    def closed(self) -> bool:
        return self._k.closed

    def activate(self) -> None:
        self._k.activate()

    def deactivate(self) -> None:
        """Pauses the loop; state and queued messages are kept."""
        self._k.deactivate()

    def reactivate(self) -> None:
        self._k.reactivate()

    def terminate(self, timeout: Optional[float] = 5.0) -> None:
        """Handles every message already accepted, then stops. Output stays receivable."""
        self._k.terminate(_ns(timeout))
        self._end_outputs()

    def close(self) -> None:
        """Terminates (bounded) and frees the kernel. Idempotent."""
        if self._k.closed:
            return
        self._end_outputs()
        self._k.close()

    # ---- supervision -----------------------------------------------------------------

    def supervise(self, policy: str = "report", *, stall: Optional[float] = None, error_limit: int = 0,
                  error_window: float = 1.0, restart_timeout: float = 1.0, max_restarts: int = 3,
                  restart_window: float = 60.0, reset_state: bool = False,
                  on_event: Optional[Callable[[Dict[str, Any]], None]] = None) -> None:
        """Watches the kernel from the runtime's bridge thread (``rk_kernel_supervise``).

        ``policy``: "report" (log, count, call ``on_event``), "restart" (and restart it: queued
        messages kept, the state too unless ``reset_state``; more than ``max_restarts`` within
        ``restart_window`` seconds leave it "Faulted"), or "off". Stalled: no progress for
        ``stall`` seconds while work waits or a handler runs; errors: ``error_limit`` or more
        within ``error_window`` seconds. ``on_event`` gets a dict (kind, reason, stalled_ns,
        message_id, errors, restarts) on the bridge thread; keep it short.
        """
        policies = {"off": 0, "report": 1, "restart": 2}
        if policy not in policies:
            raise ValueError(f"policy must be one of {sorted(policies)}, not {policy!r}")
        self._k.supervise(policies[policy], 0 if stall is None else _ns(stall), error_limit, _ns(error_window),
                          _ns(restart_timeout), max_restarts, _ns(restart_window), reset_state, on_event)

    def restart(self, *, reset_state: bool = False, timeout: Optional[float] = 10.0) -> None:
        """Stops the loop at a message boundary and launches it again; the way back from "Faulted"."""
        self._k.restart(reset_state, _ns(timeout))

    # ---- snapshots and migration -----------------------------------------------------

    def snapshot(self) -> bytes:
        """State and every message it holds, as an image for ``Runtime.launch(snapshot=...)``.

        The kernel must be "Launched" or "Deactivated" (``deactivate()`` it first); it keeps
        everything. The image is versioned and checksummed: write it to a file if you like.
        """
        return self._k.snapshot()

    def migrate(self, target: "Runtime", *, timeout: Optional[float] = 30.0) -> "Kernel":
        """Moves the kernel to ``target`` with its state and messages while its peers keep
        sending to it by name; returns the new kernel. This one is "Terminated" afterwards."""
        return Kernel(target, self._k.migrate(target._rt, _ns(timeout)))

    @property
    def fault_reason(self) -> str:
        """Why the kernel is "Faulted"; "" when it is not."""
        return self._k.fault_reason

    # ---- sending and receiving -----------------------------------------------------

    def _check_fits(self, message_type: TypeLike) -> None:
        if isinstance(message_type, MessageType) and message_type.dtype.itemsize > self._max_payload:
            raise PayloadLayoutError(
                f"{message_type.name} payloads are {message_type.itemsize} bytes; kernel {self.name!r} takes at most "
                f"{self.max_payload_size} (its max_payload_size)")

    def send(self, message_type: TypeLike, data: Any = None, *, timeout: Optional[float] = None,
             correlation_id: int = 0, flags: int = 0, **fields: Any) -> int:
        """Sends one message; returns its message id. ``timeout=None`` waits for room as long
        as it takes, ``0`` raises :class:`QueueFullError` at once when the queue is full."""
        self._check_fits(message_type)
        payload = _payload(message_type, data, fields)
        return self._k.send(type_id_of(message_type), payload, _ns(timeout), flags, correlation_id)

    def receive(self, message_type: Optional[MessageType] = None, *, timeout: Optional[float] = None) -> Received:
        """The next output message. ``timeout=0`` raises :class:`QueueEmptyError` when there
        is none; otherwise :class:`Timeout` after ``timeout`` seconds (None: wait)."""
        header, payload = self._k.receive(self._max_payload, _ns(timeout))
        return _decode(message_type, header, payload)

    def request(self, message_type: TypeLike, reply_type: Optional[MessageType] = None, data: Any = None, *,
                timeout: Optional[float] = 10.0, **fields: Any) -> Received:
        """Sends and waits for the reply to that message (by correlation id); other output
        stays receivable."""
        if (type(data) is np.ndarray and type(message_type) is MessageType and data.dtype is message_type.dtype
                and data.shape == () and message_type.dtype.itemsize <= self._max_payload):
            # One packed payload of its own type (a request loop's usual call): the checks of
            # the general path below hold already; skipping them is a third of the call.
            payload, type_id = data, message_type.type_id
        else:
            self._check_fits(message_type)
            payload, type_id = _payload(message_type, data, fields), type_id_of(message_type)
        timeout_ns = _TEN_SECONDS_NS if timeout == 10.0 else _ns(timeout)
        header, reply = self._k.request(type_id, payload, self._max_payload, timeout_ns)
        return _decode(reply_type, header, reply)

    def send_batch(self, message_type: MessageType, payloads: np.ndarray, *, timeout: Optional[float] = None) -> int:
        """Sends every row of ``payloads`` (an array of the type's dtype) in place: each row
        is copied once, into its queue slot. Returns the count (all of them, or raises with
        ``error.message`` = how many were sent)."""
        self._check_fits(message_type)
        array = np.ascontiguousarray(payloads)
        if array.dtype.itemsize != message_type.itemsize:
            raise PayloadLayoutError(
                f"{message_type.name} payloads are {message_type.itemsize} bytes, the array's rows {array.dtype.itemsize}")
        if array.size == 0:
            return 0
        return self._k.send_batch(message_type.type_id, array.reshape(-1).view(np.uint8), message_type.itemsize,
                                  _ns(timeout))

    def receive_batch(self, message_type: MessageType, count: Optional[int] = None, *, out: Optional[np.ndarray] = None,
                      timeout: Optional[float] = None) -> np.ndarray:
        """Receives up to ``count`` messages (or ``len(out)``) straight into an array of the
        type's dtype: waits up to ``timeout`` for the first, then takes what is there.
        Returns the filled rows (a view of ``out`` when given; empty after a timeout). A
        message of another type raises :class:`UnknownMessageTypeError` with it in
        ``error.message`` as (header, payload, rows_filled)."""
        if out is None:
            if count is None:
                raise TypeError("give count or out")
            out = message_type.zeros(count)
        if out.dtype.itemsize != message_type.itemsize or not out.flags.c_contiguous or not out.flags.writeable:
            raise PayloadLayoutError(
                f"out must be a writable C-contiguous array of {message_type.itemsize}-byte rows ({message_type.name})")
        if out.size == 0:
            return out
        got = self._k.receive_batch(message_type.type_id, out.reshape(-1).view(np.uint8), message_type.itemsize,
                                    _ns(timeout))
        return out.reshape(-1)[:got]

    # ---- asyncio ---------------------------------------------------------------------

    async def request_async(self, message_type: TypeLike, reply_type: Optional[MessageType] = None, data: Any = None,
                            *, timeout: Optional[float] = 10.0, **fields: Any) -> Received:
        """Like :meth:`request`, awaited: the bridge thread resolves it into this event loop.
        Cancelling the awaiting task stops waiting; the C request still ends (by its reply,
        which is then dropped, or its timeout). Returns at once unless the kernel's input
        queue is full, where it waits for room in this thread (up to ``timeout``)."""
        self._check_fits(message_type)
        payload = _payload(message_type, data, fields)
        loop = asyncio.get_running_loop()
        future: asyncio.Future = loop.create_future()

        def settle(code: int, name: str, detail: str, header: Optional[tuple], reply: Optional[bytes]) -> None:
            if future.done():  # cancelled meanwhile
                return
            if code != 0:
                future.set_exception(error_for(code, name, detail))
                return
            try:
                future.set_result(_decode(reply_type, header, reply))
            except Exception as error:  # noqa: BLE001 - a layout mismatch goes to the awaiter
                future.set_exception(error)

        def completed(code: int, name: str, detail: str, header: Optional[tuple], reply: Optional[bytes]) -> None:
            # On the bridge thread; the loop may be closed by now.
            try:
                loop.call_soon_threadsafe(settle, code, name, detail, header, reply)
            except RuntimeError:
                pass

        self._k.request_async(type_id_of(message_type), payload, _ns(timeout), completed)
        return await future

    def outputs(self, message_type: Optional[MessageType] = None) -> AsyncIterator[Received]:
        """Every output message, in order, as an async iterator (``async for out in
        kernel.outputs(Pong)``), fed by the bridge thread. It ends once the kernel is
        terminated or closed through this object and everything before is delivered. One
        iterator per kernel at a time; while it runs, :meth:`receive` is refused."""
        with self._lock:
            if self._outputs is not None:
                raise RuntimeError(f"kernel {self.name!r} already has an outputs() iterator")
            self._outputs = _Outputs(self, message_type, asyncio.get_running_loop())
            return self._outputs

    def _end_outputs(self) -> None:
        with self._lock:
            outputs, self._outputs = self._outputs, None
        if outputs is not None:
            outputs._finish()

    # ---- status ----------------------------------------------------------------------

    def status(self) -> Dict[str, Any]:
        """State, depths, counters (``rk_kernel_get_status``)."""
        return self._k.status()

    def telemetry(self) -> Dict[str, Any]:
        """The device's 64-byte telemetry block (``rk_kernel_get_telemetry``)."""
        return self._k.telemetry()

    def latency(self) -> Dict[str, Any]:
        """The device's latency histograms, with p50/p99 (``rk_kernel_get_latency``)."""
        return self._k.latency()


_END = object()


class _Outputs:
    """The async iterator of Kernel.outputs()."""

    def __init__(self, kernel: Kernel, message_type: Optional[MessageType], loop: asyncio.AbstractEventLoop) -> None:
        self._kernel = kernel
        self._type = message_type
        self._loop = loop
        self._queue: asyncio.Queue = asyncio.Queue()
        kernel._k.set_output_handler(self._arrived)

    def _arrived(self, header: tuple, payload: bytes) -> None:  # bridge thread
        try:
            self._loop.call_soon_threadsafe(self._queue.put_nowait, (header, payload))
        except RuntimeError:  # the loop is closed
            pass

    def _finish(self) -> None:
        # The handler goes, then whatever the bridge had not handed over yet is taken here,
        # so the iterator sees every message, then the end.
        k = self._kernel._k
        if k.closed:
            rest = []
        else:
            k.set_output_handler(None)
            rest = []
            while True:
                try:
                    rest.append(k.receive(self._kernel.max_payload_size, 0))
                except Exception:  # noqa: BLE001 - empty or terminated: nothing more
                    break
        for item in rest + [_END]:
            try:
                self._loop.call_soon_threadsafe(self._queue.put_nowait, item)
            except RuntimeError:
                break

    def __aiter__(self) -> "_Outputs":
        return self

    async def __anext__(self) -> Received:
        item = await self._queue.get()
        if item is _END:
            raise StopAsyncIteration
        header, payload = item
        return _decode(self._type, header, payload)

    async def aclose(self) -> None:
        """Stops delivering to this iterator (the kernel keeps running)."""
        self._kernel._end_outputs()
