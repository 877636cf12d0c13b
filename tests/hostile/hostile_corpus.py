"""Bad inputs a buggy client or a fuzzer sends, as bytes: the hostile suite throws each at every endpoint."""

from __future__ import annotations

import io
import struct
import zlib

from PIL import Image

from contracts.openapi.fields import ImageLimits


def png(width: int = 32, height: int = 32) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (width, height), (200, 40, 40)).save(buf, "PNG")
    return buf.getvalue()


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def png_bomb(width: int = 100_000, height: int = 100_000) -> bytes:
    """A valid PNG header claiming ``width`` × ``height`` pixels, with a few bytes of data: a decoder that
    trusts the header allocates tens of gigabytes."""
    header = _chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
    data = _chunk(b"IDAT", zlib.compress(b"\x00" * 1024))
    return b"\x89PNG\r\n\x1a\n" + header + data + _chunk(b"IEND", b"")


def animated_png(frames: int = 3) -> bytes:
    buf = io.BytesIO()
    pictures = [Image.new("RGB", (32, 32), (i * 60, 40, 40)) for i in range(frames)]
    pictures[0].save(buf, "PNG", save_all=True, append_images=pictures[1:], duration=100, loop=0)
    return buf.getvalue()


def gif() -> bytes:
    buf = io.BytesIO()
    Image.new("P", (32, 32)).save(buf, "GIF")
    return buf.getvalue()


def corpus(limits: ImageLimits) -> dict[str, bytes]:
    """Name → bytes, sized against the operation's documented limits."""
    items = {
        "empty": b"",
        "truncated": png(64, 64)[:60],
        "not-an-image": b"%PDF-1.4 this is not an image\n" * 4,
        "bomb-100000x100000": png_bomb(),
        "animated": animated_png(),
        "gif": gif(),
    }
    if limits.max_side:
        items["too-many-pixels"] = png(limits.max_side + 1, 8)
    if limits.min_side:
        items["too-small"] = png(max(1, limits.min_side - 1), limits.min_side)
    if limits.max_bytes and limits.max_bytes <= 64_000_000:
        items["too-many-bytes"] = png(16, 16) + b"\x00" * (limits.max_bytes + 1)
    return items
