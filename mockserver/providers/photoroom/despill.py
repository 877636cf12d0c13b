"""Green-screen despill for `/v1/segment` `despill=true`.

Only the edge band is touched (visible pixels within 3 px of a pixel under half opacity), because spill
is light reflected onto the subject's rim. There, a pixel whose green exceeds both red and blue has green
clamped to max(red, blue): the classic "green limited by the other channels" despill, deterministic.
"""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageFilter

_BAND = 7


def despill(rgba: Image.Image, alpha: np.ndarray) -> Image.Image:
    """`rgba` with green spill removed from the rim of the `alpha` subject."""
    solid = Image.fromarray(np.where(alpha >= 128, 255, 0).astype(np.uint8), "L")
    core = np.asarray(solid.filter(ImageFilter.MinFilter(_BAND))) > 0
    band = (alpha > 0) & ~core
    arr = np.array(rgba)
    r, g, b = (arr[:, :, i].astype(np.int16) for i in range(3))
    limit = np.maximum(r, b)
    spill = band & (g > limit)
    arr[:, :, 1] = np.where(spill, limit, g).astype(np.uint8)
    return Image.fromarray(arr, "RGBA")
