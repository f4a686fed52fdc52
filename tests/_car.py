"""Build small atproto repository CAR files for tests (invented records, real structure).

A minimal DAG-CBOR encoder (maps, lists, text, bytes, ints, bool, null and CID links as
tag 42) — enough for commits, MST nodes and app.bsky records — and a CARv1 writer.
"""

from __future__ import annotations

import hashlib
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Link:
    """A CID link (raw CIDv1 bytes)."""

    cid: bytes


def _head(major: int, n: int) -> bytes:
    if n < 24:
        return bytes([major << 5 | n])
    if n < 256:
        return bytes([major << 5 | 24, n])
    if n < 65536:
        return bytes([major << 5 | 25]) + struct.pack(">H", n)
    return bytes([major << 5 | 26]) + struct.pack(">I", n)


def cbor(value: Any) -> bytes:
    """DAG-CBOR bytes of a value (map keys sorted by length, then bytes)."""
    if value is None:
        return b"\xf6"
    if value is True:
        return b"\xf5"
    if value is False:
        return b"\xf4"
    if isinstance(value, int):
        return _head(0, value) if value >= 0 else _head(1, -1 - value)
    if isinstance(value, Link):
        return b"\xd8\x2a" + _head(2, len(value.cid) + 1) + b"\x00" + value.cid
    if isinstance(value, bytes):
        return _head(2, len(value)) + value
    if isinstance(value, str):
        raw = value.encode()
        return _head(3, len(raw)) + raw
    if isinstance(value, list):
        return _head(4, len(value)) + b"".join(cbor(v) for v in value)
    if isinstance(value, dict):
        keys = sorted(value, key=lambda k: (len(k.encode()), k.encode()))
        return _head(5, len(keys)) + b"".join(cbor(k) + cbor(value[k]) for k in keys)
    raise TypeError(type(value))


def cid_of(block: bytes, codec: int = 0x71) -> bytes:
    """CIDv1 (dag-cbor or raw) with a sha2-256 multihash."""
    return bytes([1, codec, 0x12, 0x20]) + hashlib.sha256(block).digest()


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        b, n = n & 0x7F, n >> 7
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)


class Repo:
    """Records + commits of one repository, written as a CAR file."""

    def __init__(self, did: str) -> None:
        self.did = did
        self.blocks: dict[bytes, bytes] = {}
        self.head: bytes | None = None

    def put(self, value: Any) -> Link:
        """Store a block; returns its link."""
        block = cbor(value)
        cid = cid_of(block)
        self.blocks[cid] = block
        return Link(cid)

    def commit(self, records: dict[str, Any]) -> None:
        """A commit whose tree holds ``records`` (key -> record), on top of the last one.

        The tree is one MST node (every key at layer 0; fine for a handful of records)."""
        entries, previous = [], b""
        for key in sorted(records):
            raw = key.encode()
            prefix = 0
            while prefix < min(len(raw), len(previous)) and raw[prefix] == previous[prefix]:
                prefix += 1
            entries.append({"k": raw[prefix:], "p": prefix, "t": None,
                            "v": self.put(records[key])})  # fmt: skip
            previous = raw
        node = self.put({"e": entries, "l": None})
        commit = {"did": self.did, "version": 3, "data": node, "rev": f"r{len(self.blocks)}",
                  "prev": Link(self.head) if self.head else None, "sig": b"\x00" * 64}  # fmt: skip
        self.head = self.put(commit).cid

    def write(self, path: Path) -> Path:
        """The CARv1 file: header {roots: [head], version: 1}, then every block."""
        assert self.head is not None
        header = cbor({"roots": [Link(self.head)], "version": 1})
        out = bytearray(_varint(len(header)) + header)
        for cid, block in self.blocks.items():
            out += _varint(len(cid) + len(block)) + cid + block
        path.write_bytes(bytes(out))
        return path
