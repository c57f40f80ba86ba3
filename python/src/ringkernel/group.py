"""Process groups: K2K between processes (docs/distributed.md).

Join once per process, before launching kernels whose peers name kernels of other ranks
(``"1/aggregate"``); the host reaches such a kernel itself with :func:`send` and
:func:`request` (the kernel answers by its reply address, ``rk_reply_later(ctx,
rk_reply_address(ctx), ...)``)."""
from __future__ import annotations

from typing import Any, Dict, Optional, Sequence, Tuple

from . import _ringkernel
from .kernel import TypeLike, _decode, _ns, _payload
from .messages import MessageType, Received, type_id_of

__all__ = ["join", "leave", "status", "peer_state", "flush", "send", "request"]

_MAX_REPLY = 65536


def join(addresses: Optional[Sequence[str]] = None, rank: int = 0, *, job_key: Optional[bytes] = None,
         transport: Optional[str] = None, address_file: Optional[str] = None,
         connect_timeout: Optional[float] = None) -> None:
    """Joins the process group. Without ``addresses`` everything comes from the
    environment (``RINGKERNEL_RANK``, ``RINGKERNEL_PEERS``, ``RINGKERNEL_JOB_KEY``, or
    mpirun's); ``job_key`` (16 to 64 bytes) defaults to ``RINGKERNEL_JOB_KEY``."""
    _ringkernel.group_join(list(addresses) if addresses is not None else None, rank, job_key, transport,
                           address_file, 0 if connect_timeout is None else _ns(connect_timeout))


def leave() -> None:
    _ringkernel.group_leave()


def status() -> Dict[str, Any]:
    """``joined``, ``rank``, ``size``, ``peers_lost`` and the message counts
    (``messages_sent``, ``_acknowledged``, ``_received``, ``_lost``, ``_dropped``, ``_held``)."""
    return _ringkernel.group_status()


def peer_state(rank: int) -> Tuple[str, str]:
    """("self" | "connected" | "lost", why)."""
    return _ringkernel.group_peer_state(rank)


def flush(timeout: Optional[float] = 10.0) -> None:
    """Waits until what this process sent to other ranks was taken there."""
    _ringkernel.group_flush(_ns(timeout))


def send(peer: str, message_type: TypeLike, data: Any = None, *, timeout: Optional[float] = 10.0,
         **fields: Any) -> None:
    """Sends one message from this host to kernel ``peer`` ("R/name") of another rank."""
    _ringkernel.group_send(peer, type_id_of(message_type), _payload(message_type, data, fields), _ns(timeout))


def request(peer: str, message_type: TypeLike, reply_type: Optional[MessageType] = None, data: Any = None, *,
            timeout: Optional[float] = 10.0, **fields: Any) -> Received:
    """Sends and waits for the kernel's answer to its reply address."""
    header, reply = _ringkernel.group_request(peer, type_id_of(message_type), _payload(message_type, data, fields),
                                              _MAX_REPLY, _ns(timeout))
    return _decode(reply_type, header, reply)
