"""``mockserver.core.imagelimits``: what an upload is, told from its first bytes without an imaging library."""

from __future__ import annotations

import pytest

from mockserver.core.imagelimits import formats_from, sniff


@pytest.mark.parametrize("head, format", [
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "png"),
    (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00", "jpeg"),
    (b"GIF87a\x01\x00\x01\x00", "gif"),
    (b"GIF89a\x01\x00\x01\x00", "gif"),
    (b"BM\x3a\x00\x00\x00", "bmp"),
    (b"II*\x00\x08\x00\x00\x00", "tiff"),
    (b"MM\x00*\x00\x00\x00\x08", "tiff"),
    (b"RIFF\x24\x00\x00\x00WEBPVP8 ", "webp"),
    (b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00", "heic"),
    (b"\x00\x00\x00\x18ftypmif1\x00\x00\x00\x00", "heic"),
])
def test_the_format_is_named_by_its_magic_bytes_whatever_follows(head: bytes, format: str) -> None:
    assert sniff(head + b"\x00" * 32) == format


@pytest.mark.parametrize("data", [
    b"",
    b"%PDF-1.4\n",
    b"RIFF\x24\x00\x00\x00WAVEfmt ",  # a RIFF file that is not WebP
    b"\x00\x00\x00\x18ftypavif\x00\x00\x00\x00",  # an ISO-BMFF brand the providers do not take as HEIC
    b"\x00\x00\x00\x18ftypmp42",  # a video
    b"RIFF\x24\x00\x00\x00WEB",  # too short to tell
    b"\x89PNG",  # a truncated signature
    b"<svg xmlns='http://www.w3.org/2000/svg'/>",
])
def test_anything_else_is_no_format(data: bytes) -> None:
    assert sniff(data) is None


def test_spec_format_names_are_normalised_in_order_without_repeats() -> None:
    assert formats_from(["PNG", "jpg", "JPEG", "webp", "png"]) == ("png", "jpeg", "webp")
