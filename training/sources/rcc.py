"""Read the files inside a Qt binary resource bundle (``.rcc``), as Debian's gcompris ships them.

Layout (Qt's rcc format, versions 1–3): the magic ``qres``, then big-endian u32 version and the
offsets of the tree, data and names sections (version 3 adds a u32 of flags). Tree nodes are 14
bytes (22 from version 2: a u64 modification time follows): name offset u32, flags u16, then a
directory's child count u32 and first child index u32, or a file's country and language u16s
and data offset u32. A name is a u16 length, a u32 hash and UTF-16-BE characters. A file's data
is a u32 length and its bytes: zlib after a 4-byte uncompressed size when flag 1 is set, zstd
when flag 4 is set.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Iterator
from pathlib import Path

MAGIC = b"qres"
FLAG_ZLIB = 1
FLAG_DIRECTORY = 2
FLAG_ZSTD = 4


class RccError(ValueError):
    """The bytes are not a Qt resource bundle this reader understands."""


class _Bundle:
    def __init__(self, blob: bytes) -> None:
        if blob[:4] != MAGIC:
            raise RccError("not a Qt resource bundle (no 'qres' magic)")
        if len(blob) < 20:
            raise RccError("truncated header")
        self.blob = blob
        self.version, self.tree, self.data, self.names = struct.unpack_from(">IIII", blob, 4)
        if self.version not in (1, 2, 3):
            raise RccError(f"unsupported rcc version {self.version}")
        self.node_size = 14 if self.version == 1 else 22

    def _u(self, fmt: str, offset: int) -> tuple:
        try:
            return struct.unpack_from(fmt, self.blob, offset)
        except struct.error:
            raise RccError(f"truncated at offset {offset}") from None

    def name(self, node: int) -> str:
        (offset,) = self._u(">I", self.tree + node * self.node_size)
        (length,) = self._u(">H", self.names + offset)
        start = self.names + offset + 6
        raw = self.blob[start:start + 2 * length]
        if len(raw) != 2 * length:
            raise RccError("truncated name")
        return raw.decode("utf-16-be")

    def walk(self, node: int = 0, prefix: str = "", depth: int = 0) -> Iterator[tuple[str, bytes]]:
        if depth > 64:
            raise RccError("directory tree too deep (a loop?)")
        base = self.tree + node * self.node_size
        (flags,) = self._u(">H", base + 4)
        if flags & FLAG_DIRECTORY:
            count, first = self._u(">II", base + 6)
            for child in range(first, first + count):
                yield from self.walk(child, f"{prefix}{self.name(child)}/", depth + 1)
            return
        (offset,) = self._u(">I", base + 10)
        yield prefix.rstrip("/"), self._payload(self.data + offset, flags)

    def _payload(self, offset: int, flags: int) -> bytes:
        (length,) = self._u(">I", offset)
        raw = self.blob[offset + 4:offset + 4 + length]
        if len(raw) != length:
            raise RccError("truncated file data")
        if flags & FLAG_ZLIB:
            return zlib.decompress(raw[4:])
        if flags & FLAG_ZSTD:
            import zstandard

            return zstandard.ZstdDecompressor().decompress(raw, max_output_size=1 << 28)
        return raw


def read_rcc(path: str | Path) -> Iterator[tuple[str, bytes]]:
    """Yield ``(path inside the bundle, file bytes)`` for every file of a ``.rcc`` bundle."""
    bundle = _Bundle(Path(path).read_bytes())
    yield from bundle.walk()
