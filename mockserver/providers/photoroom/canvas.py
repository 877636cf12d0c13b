"""Raster steps shared by `/v2/edit` and `/v1/segment`: normalising modes, placing, compositing.

Resampling is always LANCZOS on premultiplied alpha (Pillow does that for RGBA), so transparent pixels
never bleed colour into edges; a 1:1 placement is a plain paste, bit-exact.
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
from PIL import Image

from ...core.images import to_arrays
from .geometry import Box, Layout, round_half_up, subject_box

_RESAMPLE = Image.Resampling.LANCZOS


def to_rgba(image: Image.Image) -> Image.Image:
    """Any decoded mode as RGBA; 16-bit and float greys are reduced to 8 bits instead of saturating."""
    if image.mode.startswith("I;16"):
        arr = (np.asarray(image).astype(np.uint32) >> 8).astype(np.uint8)
        return Image.fromarray(arr, "L").convert("RGBA")
    if image.mode in ("I", "F"):
        arr = np.clip(np.asarray(image), 0, 255).astype(np.uint8)
        return Image.fromarray(arr, "L").convert("RGBA")
    return image.convert("RGBA")


def with_alpha(rgba: Image.Image, alpha: np.ndarray) -> Image.Image:
    """`rgba` with its alpha channel replaced by `alpha` (uint8, same size)."""
    out = rgba.copy()
    out.putalpha(Image.fromarray(np.ascontiguousarray(alpha, dtype=np.uint8), "L"))
    return out


# Pixels are handled as little-endian 32-bit words (R, G, B, A from the low byte up) on any machine.
_WORD = np.dtype("<u4")
_KEEP = np.array([0] + [0xFFFFFFFF] * 255, dtype=_WORD)  # by alpha: the pixel, or (0, 0, 0, 0) when invisible
_CUT = np.array([0] + [0xFFFFFF | (a << 24) for a in range(1, 256)], dtype=_WORD)  # by alpha: colour, then alpha


def clear_transparent(rgba: Image.Image) -> Image.Image:
    """Zero the colour of fully transparent pixels: deterministic, smaller files, nothing hidden in them."""
    pixels = np.frombuffer(rgba.tobytes(), np.uint8).reshape(rgba.height, rgba.width, 4)
    words = _KEEP.take(pixels[:, :, 3])
    words &= pixels.view(_WORD)[:, :, 0]
    return _image(words)


def cutout(image: Image.Image, alpha: np.ndarray, padded: np.ndarray | None = None,
           box: Box | None = None) -> Image.Image:
    """An RGB or RGBA `image` with its alpha replaced by `alpha`, transparent pixels already (0, 0, 0, 0).

    `padded` is the same pixels as the writable HxWx4 array ``images.to_arrays`` gives, when the caller has
    it: the cutout is then built in it (it is used up), a band at a time so each pass stays in cache. `box` is
    ``subject_box(alpha)`` when the caller has it already (None: found here).
    """
    if padded is None:
        padded = to_arrays(image)[1]
    if padded is None:
        raise ValueError(f"a cutout is made from RGB or RGBA, not {image.mode}")
    mask = np.ascontiguousarray(alpha, dtype=np.uint8)
    words = padded.view(_WORD)[:, :, 0]
    if box is None:
        box = subject_box(mask)
    if box is None:
        words.fill(0)
        return _image(words)
    # Outside the box of visible pixels every pixel is (0, 0, 0, 0): cleared whole, only the box is looked up.
    x0, y0, x1, y1 = box.x0, box.y0, box.x1, box.y1
    words[:y0] = 0
    words[y1:] = 0
    words[y0:y1, :x0] = 0
    words[y0:y1, x1:] = 0
    band = max(1, 2**16 // (x1 - x0))
    for top in range(y0, y1, band):
        bottom = min(y1, top + band)
        part = mask[top:bottom, x0:x1]
        words[top:bottom, x0:x1] &= _CUT.take(part)
        padded[top:bottom, x0:x1, 3] = part  # the padding byte of RGB is not read as alpha
    return _image(words)


def _image(words: np.ndarray) -> Image.Image:
    """An RGBA image over HxW little-endian words, without a copy (read-only: Pillow copies before any change)."""
    height, width = words.shape
    return Image.frombuffer("RGBA", (width, height), words, "raw", "RGBA", 0, 1)


def place(source: Image.Image, layout: Layout, *, clip: bool = False) -> Image.Image:
    """Draw `source` (RGBA) on a transparent canvas so `layout.source` lands on `layout.dest`.

    The whole input moves with the reference box (pixels outside it show when they are opaque, e.g. with
    `removeBackground=false`). With `clip`, only the reference box is drawn: for a cutout nothing is
    visible outside it anyway, and the resampling filter then cannot smear alpha past `layout.dest`.
    Only the visible part is resampled, so a huge fill never allocates more than the canvas.
    """
    src, dst = layout.source, layout.dest
    whole = Box(0, 0, *source.size)
    if layout.canvas == source.size and dst == src and (src == whole or not clip):
        return source  # drawn where it is, all of it: the same pixels (callers never change an image in place)
    canvas = Image.new("RGBA", layout.canvas, (0, 0, 0, 0))
    if clip:
        source = source.crop((src.x0, src.y0, src.x1, src.y1))
        src = Box(0, 0, src.width, src.height)
    if (dst.width, dst.height) == (src.width, src.height):
        canvas.paste(source, (dst.x0 - src.x0, dst.y0 - src.y0))
        return canvas
    sx, sy = dst.width / src.width, dst.height / src.height
    x_span = _visible(dst.x0 - src.x0 * sx, sx, source.width, layout.canvas[0])
    y_span = _visible(dst.y0 - src.y0 * sy, sy, source.height, layout.canvas[1])
    if x_span is None or y_span is None:
        return canvas
    (vx0, vx1, bx0, bx1), (vy0, vy1, by0, by1) = x_span, y_span
    region = source.resize((vx1 - vx0, vy1 - vy0), _RESAMPLE, box=(bx0, by0, bx1, by1))
    canvas.paste(region, (vx0, vy0))
    return canvas


def _visible(origin: float, scale: float, src_len: int, canvas_len: int) -> tuple[int, int, float, float] | None:
    """Canvas span [v0, v1) covered by the scaled source on one axis, and its source span (clamped)."""
    v0 = max(0, math.ceil(origin))
    v1 = min(canvas_len, math.floor(origin + src_len * scale))
    if v1 <= v0:
        return None
    b0 = min(max((v0 - origin) / scale, 0.0), float(src_len))
    b1 = min(max((v1 - origin) / scale, 0.0), float(src_len))
    if b1 <= b0:
        return None
    return v0, v1, b0, b1


def fit_or_fill(image: Image.Image, size: tuple[int, int], mode: str) -> Image.Image:
    """`image` scaled to fit (transparent bars) or fill (cropped) `size`, centred; used for backgrounds."""
    width, height = image.size
    ratio = (min if mode == "fit" else max)(Fraction(size[0], width), Fraction(size[1], height))
    sw, sh = max(1, round_half_up(width * ratio)), max(1, round_half_up(height * ratio))
    x, y = (size[0] - sw) // 2, (size[1] - sh) // 2
    reference = Box(0, 0, width, height)
    layout = Layout(size, Box(0, 0, *size), reference, Box(x, y, x + sw, y + sh), frozenset())
    return place(to_rgba(image), layout)


def flatten(rgba: Image.Image, colour: tuple[int, int, int] = (255, 255, 255)) -> Image.Image:
    """Composite on an opaque colour (JPEG has no alpha)."""
    base = Image.new("RGBA", rgba.size, colour + (255,))
    return Image.alpha_composite(base, rgba)

