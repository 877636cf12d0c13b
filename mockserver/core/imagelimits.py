"""What an image may be, decided without Pillow: magic-byte sniffing, a provider's limits, the refusal type.

Kept apart from :mod:`mockserver.core.images` (which decodes, with Pillow) so the server core and the providers'
settings import no imaging library: a JSON-only server starts without Pillow and numpy.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

_MAGIC = (
    (b"\x89PNG\r\n\x1a\n", "png"),
    (b"\xff\xd8\xff", "jpeg"),
    (b"GIF87a", "gif"),
    (b"GIF89a", "gif"),
    (b"BM", "bmp"),
    (b"II*\x00", "tiff"),
    (b"MM\x00*", "tiff"),
)


PNG_LEVEL = 1
"""zlib level of every PNG the mock answers with: Pillow's fastest compressing level. Nobody needs small mock
PNGs; level 6 (Pillow's default) made the encode ~60% of a 1 MP Photoroom answer. Output stays deterministic."""


def sniff(data: bytes) -> str | None:
    """The image format named by the file's magic bytes (``png``, ``jpeg``, ``webp``, ``heic`` …), or None."""
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    if len(data) >= 12 and data[4:8] == b"ftyp" and data[8:12] in (b"heic", b"heix", b"mif1", b"msf1", b"heis"):
        return "heic"
    for magic, name in _MAGIC:
        if data.startswith(magic):
            return name
    return None


class ImageProblem(ValueError):
    """Why an upload was refused; ``kind`` names the provider error-catalog entry to answer with."""

    def __init__(self, kind: str, message: str, **detail: object) -> None:
        super().__init__(message)
        self.kind = kind
        self.detail = detail


@dataclass(frozen=True)
class ImageInfo:
    format: str
    width: int
    height: int
    animated: bool
    mode: str

    @property
    def pixels(self) -> int:
        return self.width * self.height


@dataclass(frozen=True)
class Limits:
    """A provider's input limits (read from its spec by the provider; never restated here)."""

    max_bytes: int | None = None
    formats: tuple[str, ...] = ("png", "jpeg", "webp")
    max_side: int | None = None
    max_width: int | None = None
    max_height: int | None = None
    min_side: int | None = None
    max_pixels: int | None = None
    allow_animated: bool = True


def formats_from(names: Iterable[str]) -> tuple[str, ...]:
    """Normalise format names as specs write them (``jpg`` → ``jpeg``)."""
    return tuple(dict.fromkeys("jpeg" if n.lower() in ("jpg", "jpeg") else n.lower() for n in names))


_CEILING = {"pixels": 0}  # 0: Pillow's own default; set by the app factory from MockConfig.max_image_pixels


def set_pixel_ceiling(max_pixels: int) -> None:
    """Refuse any image larger than ``max_pixels`` on every decode path (read by ``images`` at each open)."""
    _CEILING["pixels"] = max_pixels


def pixel_ceiling() -> int:
    return _CEILING["pixels"]
