"""Message types as NumPy structured dtypes, and the headers that come with messages.

A kernel's source declares its payloads as C structs; here each gets a
:class:`MessageType`: its type id and a dtype with the same fields. ``align=True`` by
default gives the dtype the C compiler's padding, so ``struct { uint32_t a; uint64_t b; }``
and ``[("a", "<u4"), ("b", "<u8")]`` are both 16 bytes with ``b`` at offset 8. Every payload
is checked against the dtype's size, going out and coming in.
"""
from __future__ import annotations

from typing import Any, Mapping, NamedTuple, Optional, Sequence, Union

import numpy as np

from .errors import PayloadLayoutError


class Hlc(NamedTuple):
    """A hybrid logical clock timestamp."""

    physical_ns: int
    logical: int
    node_id: int


class Header(NamedTuple):
    """The 64-byte header every message carries (``rk_msg_header``)."""

    type_id: int
    payload_size: int
    message_id: int
    correlation_id: int
    source_kernel: int
    dest_kernel: int
    timestamp: Hlc
    flags: int
    sent_ns: int

    @classmethod
    def _of(cls, raw: tuple) -> "Header":
        t, size, message_id, correlation_id, source, dest, stamp, flags, sent_ns = raw
        return _new_header(cls, (t, size, message_id, correlation_id, source, dest, _new_hlc(Hlc, stamp), flags, sent_ns))


# A message's header is built for every message received: tuple.__new__ skips the
# namedtuple constructor's argument handling (a third of a request's Python time).
_new_header = tuple.__new__
_new_hlc = tuple.__new__


class Received(NamedTuple):
    """A message off a kernel's output queue: its header and its payload, decoded as a
    record of the message type's dtype (``np.void``: index it by field name), or as
    ``bytes`` when no type was given."""

    header: Header
    value: Any


FieldsLike = Union[np.dtype, Sequence[tuple], Mapping[str, Any], str]


class MessageType:
    """One message type of a kernel: a type id (never 0) and its payload's dtype.

    >>> Ping = MessageType(1, [("value", "<u8")])
    >>> Ping.itemsize
    8
    """

    def __init__(self, type_id: int, fields: FieldsLike, *, name: Optional[str] = None, align: bool = True) -> None:
        if not isinstance(type_id, (int, np.integer)) or not 0 < int(type_id) < 2**32:
            raise ValueError(f"a message type id is 1 .. 2**32-1 (0 is reserved), got {type_id!r}")
        self.type_id = int(type_id)
        self.dtype = fields if isinstance(fields, np.dtype) else np.dtype(fields, align=align)
        self.name = name or f"type {self.type_id}"

    @property
    def itemsize(self) -> int:
        """The payload's size in bytes."""
        return self.dtype.itemsize

    def __repr__(self) -> str:
        return f"MessageType({self.type_id}, {self.dtype!r}, name={self.name!r})"

    def zeros(self, count: int) -> np.ndarray:
        """An array of ``count`` payloads, for :meth:`Kernel.send_batch` and ``receive_batch``."""
        return np.zeros(count, dtype=self.dtype)

    def pack(self, data: Any = None, **fields: Any) -> np.ndarray:
        """One payload as a 0-d array of the dtype, from a record, a dict, bytes, or fields."""
        if type(data) is np.ndarray and data.dtype == self.dtype and data.shape == () and data.flags.c_contiguous:
            return data  # already one payload of this type: the common case in a loop
        if data is None:
            record = np.zeros((), dtype=self.dtype)
            for key, value in fields.items():
                if key not in self.dtype.names:
                    raise PayloadLayoutError(f"{self.name} has no field {key!r} (fields: {', '.join(self.dtype.names)})")
                record[key] = value
            return record
        if fields:
            raise TypeError("give a payload or fields, not both")
        if isinstance(data, (bytes, bytearray, memoryview)):
            raw = bytes(data)
            if len(raw) != self.itemsize:
                raise PayloadLayoutError(f"{self.name} payloads are {self.itemsize} bytes, got {len(raw)}")
            return np.frombuffer(raw, dtype=self.dtype).reshape(())
        if isinstance(data, Mapping):
            return self.pack(**data)
        array = np.asarray(data)
        if array.dtype != self.dtype:
            if array.dtype.itemsize != self.itemsize:
                raise PayloadLayoutError(
                    f"{self.name} payloads are {self.itemsize} bytes ({self.dtype}), got {array.dtype.itemsize} ({array.dtype})")
            array = array.view(self.dtype)
        if array.shape not in ((), (1,)):
            raise PayloadLayoutError(f"one {self.name} payload, got an array of shape {array.shape} (send_batch sends many)")
        return np.ascontiguousarray(array.reshape(()))

    def unpack(self, payload: bytes) -> np.void:
        """A received payload as a record; its size must be the dtype's."""
        if len(payload) != self.itemsize:
            raise PayloadLayoutError(f"{self.name} payloads are {self.itemsize} bytes, the message has {len(payload)}")
        return np.frombuffer(payload, dtype=self.dtype)[0]


def type_id_of(message_type: Union[MessageType, int]) -> int:
    return message_type.type_id if isinstance(message_type, MessageType) else int(message_type)
