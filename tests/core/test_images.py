"""``mockserver.core.images``: untrusted uploads are checked from their header, in a fixed order, before any pixel
is decoded; what is decoded comes out upright and in a mode the providers' renderers take."""

from __future__ import annotations

import io
import struct
import tracemalloc
import zlib
from collections.abc import Iterator

import numpy as np
import pytest
from PIL import Image

from mockserver.core.imagelimits import ImageInfo, ImageProblem, Limits, pixel_ceiling, set_pixel_ceiling
from mockserver.core.images import check, decode, probe, to_array


def encoded(image: Image.Image, format: str = "PNG", **params: object) -> bytes:
    out = io.BytesIO()
    image.save(out, format, **params)
    return out.getvalue()


def rgb(width: int, height: int) -> bytes:
    return encoded(Image.new("RGB", (width, height), (200, 40, 40)))


def animated(width: int = 16, height: int = 16) -> bytes:
    frames = [Image.new("RGB", (width, height), (i * 80, 0, 0)) for i in range(3)]
    return encoded(frames[0], save_all=True, append_images=frames[1:], duration=50, loop=0)


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def png_claiming(width: int, height: int) -> bytes:
    """A valid PNG header claiming ``width`` × ``height`` RGB pixels, followed by a few bytes of data."""
    return (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + _chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + _chunk(b"IEND", b""))


@pytest.fixture
def ceiling() -> Iterator[None]:
    """The app-wide pixel ceiling and Pillow's own limit, restored after the test changed them."""
    before, pillow = pixel_ceiling(), Image.MAX_IMAGE_PIXELS
    yield
    set_pixel_ceiling(before)
    Image.MAX_IMAGE_PIXELS = pillow


# -- check: the first limit broken names the refusal -----------------------------------------------------------
STRICT = Limits(max_bytes=2000, formats=("png",), allow_animated=False, max_side=64, min_side=8)


@pytest.mark.parametrize("data, kind", [pytest.param(*case, id=f"{n}-{case[1]}") for n, case in enumerate([
    (rgb(16, 16) + b"\x00" * 2000, "image_too_large"),  # bytes before anything else, even for a good image
    (b"x" * 2001, "image_too_large"),  # ... and before the format is looked at
    (b"", "image_invalid"),
    (b"%PDF-1.4 not an image", "image_invalid"),
    (encoded(Image.new("RGB", (16, 16)), "GIF"), "unsupported_format"),
    (rgb(64, 64)[:20], "image_invalid"),  # cut inside the header: no size to read
    (animated(4, 4), "image_animated"),  # animated before too small
    (rgb(65, 4), "image_too_many_pixels"),  # too big before too small
    (rgb(64, 7), "image_too_small"),
])])
def test_check_refuses_with_the_first_limit_broken(data: bytes, kind: str) -> None:
    with pytest.raises(ImageProblem) as refused:
        check(data, STRICT)
    assert refused.value.kind == kind


def test_check_answers_what_it_read_from_the_header() -> None:
    assert check(rgb(64, 8), STRICT) == ImageInfo("png", 64, 8, False, "RGB")
    assert probe(animated()).animated and check(animated(), Limits()).animated


@pytest.mark.parametrize("limits", [Limits(max_width=31), Limits(max_height=19), Limits(max_pixels=619)])
def test_each_size_limit_is_its_own(limits: Limits) -> None:
    check(rgb(31, 19), limits)  # 589 pixels: within every one
    with pytest.raises(ImageProblem, match=r"too large \(32x20\)") as refused:
        check(rgb(32, 20), limits)
    assert refused.value.kind == "image_too_many_pixels" and refused.value.detail == {"width": 32, "height": 20}


# -- decompression bombs: refused from the header at the app's ceiling ----------------------------------------------
def test_a_bomb_is_refused_at_the_pixel_ceiling_without_allocating_its_size(ceiling: None) -> None:
    set_pixel_ceiling(10_000_000)
    bomb = png_claiming(100_000, 100_000)  # 10 G pixels, 30 GB as RGB, in 100 bytes
    tracemalloc.start()
    try:
        for attempt in (probe, decode):
            with pytest.raises(ImageProblem) as refused:
                attempt(bomb)
            assert refused.value.kind == "image_too_many_pixels"
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 2**20


def test_the_ceiling_is_the_configured_number_of_pixels(ceiling: None) -> None:
    """``MockConfig.max_image_pixels``: an image of exactly that many pixels is read, one pixel row more is not."""
    set_pixel_ceiling(1000)
    assert probe(png_claiming(40, 25)).pixels == 1000
    with pytest.raises(ImageProblem) as refused:
        probe(png_claiming(40, 26))
    assert refused.value.kind == "image_too_many_pixels"


# -- decode ---------------------------------------------------------------------------------------------------------
def test_decode_turns_the_image_upright_as_its_exif_orientation_says() -> None:
    wide = Image.new("RGB", (40, 20), (255, 255, 255))
    wide.paste((255, 0, 0), (0, 0, 10, 20))  # a red band on the left
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90° clockwise to display"
    upright = decode(encoded(wide, "JPEG", exif=exif, quality=95))
    assert upright.size == (20, 40)
    top, bottom = upright.getpixel((10, 2)), upright.getpixel((10, 38))
    assert isinstance(top, tuple) and isinstance(bottom, tuple)
    assert top[0] > 200 and top[1] < 60 and bottom[1] > 200  # the band on the left is now at the top
    assert decode(encoded(wide, "JPEG", quality=95)).size == (40, 20)


def test_decode_refuses_a_truncated_image_whose_header_reads_well() -> None:
    data = encoded(Image.effect_noise((64, 64), 64).convert("RGB"))
    assert probe(data[: len(data) // 2]).width == 64
    with pytest.raises(ImageProblem) as refused:
        decode(data[: len(data) // 2])
    assert refused.value.kind == "image_invalid"


def test_heic_is_recognised_but_never_decoded() -> None:
    heic = b"\x00\x00\x00\x18ftypheic" + b"\x00" * 32
    assert check(heic, Limits(formats=("heic",))).format == "heic"
    with pytest.raises(ImageProblem) as refused:
        decode(heic, Limits(formats=("heic",)))
    assert refused.value.kind == "unsupported_format"


# -- to_array: RGB or RGBA, whatever the mode ------------------------------------------------------------------------
def test_a_palette_image_with_transparency_keeps_it_as_alpha() -> None:
    palette = Image.new("P", (4, 2), 0)
    palette.putpalette([255, 0, 0, 0, 0, 255] + [0] * 762)
    palette.putpixel((3, 1), 1)
    array = to_array(decode(encoded(palette, transparency=0)))
    assert array.shape == (2, 4, 4) and array.dtype == np.uint8
    assert array[0, 0, 3] == 0 and tuple(array[1, 3]) == (0, 0, 255, 255)


@pytest.mark.parametrize("mode, shape", [("L", (2, 3, 3)), ("1", (2, 3, 3)), ("I;16", (2, 3, 3)), ("RGB", (2, 3, 3)),
                                         ("LA", (2, 3, 4)), ("RGBA", (2, 3, 4)), ("P", (2, 3, 3)), ("CMYK", (2, 3, 3))])
def test_every_mode_becomes_rgb_or_rgba(mode: str, shape: tuple[int, ...]) -> None:
    array = to_array(Image.new(mode, (3, 2)))
    assert array.shape == shape and array.dtype == np.uint8


def test_grey_is_spread_over_three_equal_channels() -> None:
    array = to_array(Image.new("L", (2, 2), 77))
    assert (array == 77).all() and array.shape == (2, 2, 3)
