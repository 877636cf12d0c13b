"""What the Photoroom tests share: a packshot with its ground-truth mask, and an answer read as an image."""

from __future__ import annotations

import io
from typing import Any

import numpy as np
from PIL import Image


def packshot(width: int = 400, height: int = 300, fmt: str = "PNG") -> tuple[bytes, np.ndarray]:
    """A red bottle-like object on a light background, and its ground-truth mask."""
    yy, xx = np.mgrid[0:height, 0:width]
    mask = ((xx - width * 0.5) / (width * 0.15)) ** 2 + ((yy - height * 0.55) / (height * 0.35)) ** 2 <= 1
    pixels = np.empty((height, width, 3), np.uint8)
    pixels[:] = (238, 238, 235)
    pixels[mask] = (190, 30, 35)
    buf = io.BytesIO()
    Image.fromarray(pixels).save(buf, fmt)
    return buf.getvalue(), mask


def image_of(response: Any) -> Image.Image:
    """The answer's body decoded (and loaded, so the bytes may go)."""
    im = Image.open(io.BytesIO(response.content))
    im.load()
    return im
