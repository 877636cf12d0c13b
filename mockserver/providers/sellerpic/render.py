"""SellerPic's output: a black-and-white mask (255 object, 0 background) at the input's size, and its
conversions to the download formats."""

from __future__ import annotations

import io
from collections.abc import Mapping
from typing import Any

import numpy as np
from PIL import Image

from ...core import images
from ...core.imagelimits import PNG_LEVEL, Limits

_PIL_FORMATS = {"png": ("PNG", "image/png"), "jpg": ("JPEG", "image/jpeg"), "webp": ("WEBP", "image/webp")}


def prompt_mask(segmenter: Any, pixels: np.ndarray, prompt: str) -> np.ndarray:
    """What the prompt names (every detection the segmenter keeps, combined); empty when nothing matches."""
    from ...segmenter import combine

    return combine(segmenter.text(pixels, prompt), pixels.shape[:2])


def type_mask(segmenter: Any, pixels: np.ndarray, recipe: Mapping[str, Any], expand: int) -> np.ndarray:
    """A category mask as the spec's ``x-segmock-mask-recipes`` entry describes it, dilated by ``expand`` pixels."""
    from ...segmenter import expand_mask

    if recipe["source"] == "salient":
        mask = np.asarray(segmenter.salient(pixels).mask, dtype=bool)
    else:
        mask = prompt_mask(segmenter, pixels, str(recipe["prompt"]))
    if recipe.get("invert"):
        mask = ~mask
    return expand_mask(mask, expand) if expand else mask


def pixels_of(data: bytes, limits: Limits) -> np.ndarray:
    """Check the header against ``limits`` (no pixel decoded before that), then decode to RGB(A)."""
    return images.to_array(images.decode(data, limits))


def encode_png(mask: np.ndarray) -> bytes:
    buf = io.BytesIO()
    image = Image.fromarray(np.where(mask, 255, 0).astype(np.uint8), mode="L")
    image.save(buf, "PNG", optimize=False, compress_level=PNG_LEVEL)
    return buf.getvalue()


def export(png: bytes, fmt: str, uhd_side: int | None) -> tuple[bytes, str]:
    """The stored PNG mask in a download format; with ``uhd_side`` its longest side becomes that many pixels
    (nearest neighbour, so it stays black and white) unless it is already longer."""
    with Image.open(io.BytesIO(png)) as im:
        mask = im.convert("L")
    if uhd_side is not None and max(mask.size) < uhd_side:
        scale = uhd_side / max(mask.size)
        size = (max(1, round(mask.width * scale)), max(1, round(mask.height * scale)))
        mask = mask.resize(size, Image.Resampling.NEAREST)
    pil_format, content_type = _PIL_FORMATS[fmt]
    options: dict[str, Any] = {"lossless": True} if fmt == "webp" else {"quality": 95} if fmt == "jpg" else {}
    buf = io.BytesIO()
    mask.save(buf, pil_format, **options)
    return buf.getvalue(), content_type
