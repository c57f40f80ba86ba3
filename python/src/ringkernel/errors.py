"""Exceptions: one class per ``rk_result``, all subclasses of :class:`RingKernelError`.

Every failed call raises the class for its result code, carrying the code, its name
(``"RK_ERROR_QUEUE_FULL"``) and the library's own words (``rk_last_error()``). Where it
fits, a class also derives from the built-in Python would raise (``ValueError``,
``LookupError``, ``TimeoutError``), so ``except TimeoutError`` works as expected.
"""
from __future__ import annotations

import builtins
from typing import Any, Optional


class RingKernelError(Exception):
    """A ringkernel call failed.

    Attributes:
        code: the ``rk_result`` value (an int).
        name: its name, e.g. ``"RK_ERROR_QUEUE_FULL"``.
        detail: what the library said about it (``rk_last_error()``), may be empty.
        message: something handed back with the error so that nothing is lost: for
            :meth:`Kernel.receive_batch`, ``(header, payload, rows_filled)`` of a message of
            another type; for :meth:`Kernel.send_batch`, how many rows were sent. Else None.
    """

    def __init__(self, code: int, name: str, detail: str = "", message: Any = None) -> None:
        super().__init__(f"{name}: {detail}" if detail else name)
        self.code = code
        self.name = name
        self.detail = detail
        self.message = message


class InvalidArgumentError(RingKernelError, ValueError):
    """RK_ERROR_INVALID_ARGUMENT: bad input, said how."""


class UnsupportedError(RingKernelError):
    """RK_ERROR_UNSUPPORTED: the backend cannot do this (it says so rather than fake it)."""


class OutOfMemoryError(RingKernelError, MemoryError):
    """RK_ERROR_OUT_OF_MEMORY."""


class NotFoundError(RingKernelError, LookupError):
    """RK_ERROR_NOT_FOUND: an unknown backend, plugin or function."""


class NoDeviceError(RingKernelError):
    """RK_ERROR_NO_DEVICE."""


class BackendUnavailableError(RingKernelError):
    """RK_ERROR_BACKEND_UNAVAILABLE: the backend exists but cannot be used here (why is in detail)."""


class AbiMismatchError(RingKernelError):
    """RK_ERROR_ABI_MISMATCH."""


class CompileError(RingKernelError):
    """RK_ERROR_COMPILE_FAILED: the compiler's log is in detail."""


class LaunchError(RingKernelError):
    """RK_ERROR_LAUNCH_FAILED."""


class InvalidStateError(RingKernelError):
    """RK_ERROR_INVALID_STATE: not allowed in the kernel's current lifecycle state (or closed)."""


class QueueFullError(RingKernelError):
    """RK_ERROR_QUEUE_FULL: the queue stayed full (nothing was sent)."""


class QueueEmptyError(RingKernelError):
    """RK_ERROR_QUEUE_EMPTY: nothing to receive (with timeout 0)."""


class Timeout(RingKernelError, builtins.TimeoutError):
    """RK_ERROR_TIMEOUT: the wait ran out."""


class MessageTooLargeError(RingKernelError, ValueError):
    """RK_ERROR_MESSAGE_TOO_LARGE: a payload above the kernel's max_payload_size."""


class UnknownMessageTypeError(RingKernelError):
    """RK_ERROR_UNKNOWN_MESSAGE_TYPE: a type id the kernel does not accept (or, in a batch, another type)."""


class UnknownKernelError(RingKernelError, LookupError):
    """RK_ERROR_UNKNOWN_KERNEL."""


class ClockSkewError(RingKernelError):
    """RK_ERROR_CLOCK_SKEW."""


class TerminatedError(RingKernelError):
    """RK_ERROR_TERMINATED: the kernel is terminated (or its request ended with it)."""


class DeviceFaultError(RingKernelError):
    """RK_ERROR_DEVICE_FAULT: the device wrote something impossible; detail says what."""


class NotReadyError(RingKernelError):
    """RK_ERROR_NOT_READY."""


class InternalError(RingKernelError):
    """RK_ERROR_INTERNAL."""


class HandlerFailedError(RingKernelError):
    """RK_ERROR_HANDLER_FAILED."""


class KernelFaultedError(RingKernelError):
    """RK_ERROR_KERNEL_FAULTED: the supervisor gave up on the kernel; ``Kernel.fault_reason`` says why."""


class PeerLostError(RingKernelError):
    """RK_ERROR_PEER_LOST: a process of the group is gone (exited, killed or unreachable)."""


class PayloadLayoutError(ValueError):
    """A payload whose size does not match its message type's NumPy dtype (a Python-side check)."""


_BY_NAME = {
    "RK_ERROR_INVALID_ARGUMENT": InvalidArgumentError,
    "RK_ERROR_UNSUPPORTED": UnsupportedError,
    "RK_ERROR_OUT_OF_MEMORY": OutOfMemoryError,
    "RK_ERROR_NOT_FOUND": NotFoundError,
    "RK_ERROR_NO_DEVICE": NoDeviceError,
    "RK_ERROR_BACKEND_UNAVAILABLE": BackendUnavailableError,
    "RK_ERROR_ABI_MISMATCH": AbiMismatchError,
    "RK_ERROR_COMPILE_FAILED": CompileError,
    "RK_ERROR_LAUNCH_FAILED": LaunchError,
    "RK_ERROR_INVALID_STATE": InvalidStateError,
    "RK_ERROR_QUEUE_FULL": QueueFullError,
    "RK_ERROR_QUEUE_EMPTY": QueueEmptyError,
    "RK_ERROR_TIMEOUT": Timeout,
    "RK_ERROR_MESSAGE_TOO_LARGE": MessageTooLargeError,
    "RK_ERROR_UNKNOWN_MESSAGE_TYPE": UnknownMessageTypeError,
    "RK_ERROR_UNKNOWN_KERNEL": UnknownKernelError,
    "RK_ERROR_CLOCK_SKEW": ClockSkewError,
    "RK_ERROR_TERMINATED": TerminatedError,
    "RK_ERROR_DEVICE_FAULT": DeviceFaultError,
    "RK_ERROR_NOT_READY": NotReadyError,
    "RK_ERROR_INTERNAL": InternalError,
    "RK_ERROR_HANDLER_FAILED": HandlerFailedError,
    "RK_ERROR_KERNEL_FAULTED": KernelFaultedError,
    "RK_ERROR_PEER_LOST": PeerLostError,
}


def error_for(code: int, name: str, detail: str = "", message: Optional[Any] = None) -> RingKernelError:
    """The exception for a result code (the extension module raises through this)."""
    return _BY_NAME.get(name, RingKernelError)(code, name, detail, message)
