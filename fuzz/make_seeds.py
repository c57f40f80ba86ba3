#!/usr/bin/env python3
"""Writes the hand-made seeds of fuzz/corpus/plugin_table, image_cache and snapshot.

Each seed is laid out in the order its harness reads the input (fuzz_plugin_table.cpp,
fuzz_image_cache.cpp); a byte the input lacks reads as zero. Run it again after changing
that order: the seeds keep their names, and libFuzzer's own finds (named by hash) stay.
"""
import struct
from pathlib import Path

CORPUS = Path(__file__).resolve().parent / "corpus"
TABLE_BYTES, HEAD_BYTES, DEVICE_INFO_BYTES = 184, 56, 424


def u8(v): return struct.pack("<B", v)
def u16(v): return struct.pack("<H", v)
def u32(v): return struct.pack("<I", v)
def u64(v): return struct.pack("<Q", v)
def text(s): return u16(len(s)) + s  # the harness's take_text: a length, then the bytes


def answer(code=0, reason=b""): return u32(code) + u8(0) + text(reason)


def table(size=None, major=None, minor=0, name=b"seed", caps=0x1F, missing=0):
    how = (1 if size is not None else 0) | (2 if major is not None else 0) | (4 if name is None else 0)
    out = u8(how) + (u32(size) if size is not None else u8(0))
    out += (u32(major) if major is not None else b"") + u32(minor)
    return out + text(name or b"") + u64(caps) + u16(missing)


def entry(code=0, error=b"", claimed=None, null_table=False, log=None):
    out = u8((1 if log else 0) | (2 if null_table else 0))
    if log: out += text(log) + u32(4)  # RK_LOG_LEVEL_WARN
    out += text(error) + (u8(1) + u64(claimed) if claimed is not None else u8(0))
    return out + answer(code, b"entry refused" if code else b"")


def probe(count, code=0, reason=b""): return answer(code, reason) + u8(1 | 2) + u32(count)


def device(name, terminated=True):
    info = u32(DEVICE_INFO_BYTES) + u32(0) + name.ljust(256, b"\0" if terminated else b"A")[:256]
    info += b"vendor".ljust(64, b"\0") + b"1.0".ljust(64, b"\0") + u64(1 << 30) + u64(0x1F) + u32(4) * 4
    return answer() + u16(len(info)) + info


PLUGIN_TABLE = {
    "seed-two-devices": table() + entry() + probe(2) + device(b"cpu0") + device(b"cpu1", terminated=False),
    "seed-no-devices": table() + entry() + probe(0, reason=b"no driver installed"),
    "seed-entry-refuses": table() + entry(code=5, error=b"vendor runtime too old", claimed=1 << 40),
    "seed-entry-abi-mismatch": table() + entry(code=7, error=b"core ABI 1 not spoken", log=b"refusing"),
    "seed-entry-null-table": table() + entry(null_table=True),
    "seed-wrong-major": table(major=2) + entry(),
    "seed-too-short-for-version": table(size=8) + entry(),
    "seed-head-only": table(size=HEAD_BYTES) + entry() + probe(1) + device(b"head"),
    "seed-newer-longer-table": table(size=TABLE_BYTES + 32, minor=9) + entry() + probe(1) + device(b"new"),
    "seed-null-name": table(name=None) + entry(),
    "seed-null-probe": table(missing=1) + entry(),
    "seed-probe-fails": table() + entry() + probe(0, code=21, reason=b"driver crashed"),
    "seed-uninitialised-count": table() + entry() + probe(0xDEADBEEF),
    "seed-device-info-fails": table() + entry() + probe(1) + answer(19, b"device lost"),
}

# fuzz_image_cache: kind (0 file, 1 symlink, 2 folder, 3 FIFO, 4 missing) | 0x08 another
# owner | 0x10 loose folder | 0x20 store first; mode; repeat - 1; naming (bits 2-3: extension).
SPIRV = u32(0x07230203) + u32(0x00010200) + u32(0) + u32(8) + u32(0)
PTX = b".version 7.0\n.target sm_80\n.address_size 64\n"


def image(kind=0, mode=0o600, repeat=1, extension=0, content=b""):
    return u8(kind) + u16(mode) + u8(repeat - 1) + u8(extension << 2) + content


IMAGE_CACHE = {
    "seed-spirv": image(extension=2, content=SPIRV),
    "seed-ptx": image(extension=1, content=PTX),
    "seed-truncated-spirv": image(extension=2, content=SPIRV[:3]),
    "seed-empty": image(),
    "seed-larger-than-one-read": image(repeat=24, content=bytes(range(256)) * 11),
    "seed-group-writable": image(mode=0o664, content=PTX),
    "seed-another-owner": image(kind=0x08, content=PTX),
    "seed-symlink": image(kind=1, content=PTX),
    "seed-folder": image(kind=2),
    "seed-missing": image(kind=4),
    "seed-loose-folder": image(kind=0x10, content=PTX),
    "seed-store-over-symlink": image(kind=0x20 | 1, content=SPIRV),
    "seed-store-over-folder": image(kind=0x20 | 2, content=SPIRV),
    "seed-store-empty": image(kind=0x20 | 4),
    "regression-fifo-in-place-of-image": image(kind=3, content=b"abc"),
}



def fnv1a64(data):
    h = 0xcbf29ce484222325
    for b in data:
        h = ((h ^ b) * 0x100000001b3) & 0xFFFFFFFFFFFFFFFF
    return h


def pad8(b): return b + b"\0" * (-len(b) % 8)
def name_text(s): return pad8(u32(len(s)) + u32(0) + s)


def message(type_id, payload, source=0, dest=1, message_id=1):
    header = u32(type_id) + u32(len(payload)) + u64(message_id) + u64(0) + u32(source) + u32(dest)
    header += u64(5) + u32(0) + u32(source) + u32(0) + u32(0) + u64(7)  # hlc, flags, publish_seq, sent_ns
    assert len(header) == 64
    return pad8(header + payload)


def section(kind, messages): return u32(len(messages)) + u32(kind) + b"".join(messages)


def snapshot(state=b"\1" * 8, names=(), sections=((), (), (), ()), max_payload=64, version=1):
    """An image as runtime/snapshot_format.cpp writes it (the format's reference in Python)."""
    body = name_text(b"echo") + u64(5) + u32(0) + u32(1)  # the name, then the HLC
    for id_, n in names: body += u32(id_) + u32(0) + name_text(n)
    body += pad8(state)
    for kind, messages in enumerate(sections, 1): body += section(kind, list(messages))
    head = b"RKSNAP\r\n" + u32(version) + u32(64) + u64(64 + len(body)) + u64(fnv1a64(body))
    head += u32(1) + u32(max_payload) + u32(len(state)) + u32(len(names)) + u64(3) + u64(0)
    return head + body


GOOD = snapshot(names=((2, b"parse"),), sections=(
    (message(1, u64(41)), message(1, u64(42), message_id=2)),
    (message(3, u64(9), source=2),),
    (message(3, u64(10), source=1, dest=2),),
    (message(2, u64(42) + u64(0), source=1, dest=0),)))
SNAPSHOT = {
    "seed-good": GOOD,
    "seed-empty-kernel": snapshot(state=b""),
    "seed-truncated": GOOD[:-9],
    "seed-corrupted": GOOD[:100] + bytes([GOOD[100] ^ 1]) + GOOD[101:],
    "seed-future-version": snapshot(version=2),
    "seed-oversize-payload": snapshot(max_payload=4, sections=((message(1, u64(1)),), (), (), ())),
}

# fuzz_group_wire.cpp: deliveries, each a pick (0: a 32-byte header, 1: data's 96, else the
# next byte gives the size), a payload size, the header, the payload.
def wire(kind, sequence=0, target=0, source=0, value=0, value2=0):
    return u32(0x31474B52) + u16(kind) + u16(0) + u64(sequence) + u32(target) + u32(source) + u32(value) + u32(value2)


def delivery(header, payload=b""):
    pick = 1 if len(header) == 96 else 0 if len(header) == 32 else 2
    return u8(pick) + (u8(len(header)) if pick == 2 else b"") + u16(len(payload)) + header + payload


DATA = wire(1, sequence=1) + message(3, u64(7))[:64]
GROUP_WIRE = {
    "seed-data": delivery(DATA, u64(7)),
    "seed-lookup": delivery(wire(3, target=1, value=10000), b"aggregate"),
    "seed-control": delivery(wire(2, value=64)) + delivery(wire(4, target=1)) + delivery(wire(5)),
    "seed-short-header": delivery(wire(1)[:20]),
}

for harness, seeds in (("plugin_table", PLUGIN_TABLE), ("image_cache", IMAGE_CACHE), ("snapshot", SNAPSHOT),
                       ("group_wire", GROUP_WIRE)):
    folder = CORPUS / harness
    folder.mkdir(parents=True, exist_ok=True)
    for name, data in seeds.items():
        assert len(data) < 4096, name
        (folder / name).write_bytes(data)
