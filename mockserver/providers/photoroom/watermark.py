"""The sandbox watermark: `sandbox_` keys get a visibly marked, still deterministic result.

"PHOTOROOM SANDBOX" repeated in rows every 56 px, drawn as white letters at 60 % strength with a dark
outline at 40 %, so it shows on any colour. The text tile is sampled through a 1:2 shear (the tile row
advances one step every two columns), which slants the lettering and keeps the pattern seamless at any
size. It only recolours visible pixels: alpha is never changed, so what is transparent in a PNG stays
transparent.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from PIL import Image, ImageDraw, ImageFont

TEXT = "PHOTOROOM SANDBOX"
_LINE = 56
_GAP = 48


@lru_cache(maxsize=1)
def _tiles() -> tuple[np.ndarray, np.ndarray]:
    """(outline, fill) strengths of one horizontal tile, 0..255."""
    font = ImageFont.load_default(size=22)
    width = int(ImageDraw.Draw(Image.new("L", (1, 1))).textlength(TEXT, font=font)) + _GAP
    layers = []
    for stroke in (2, 0):
        tile = Image.new("L", (width, _LINE), 0)
        ImageDraw.Draw(tile).text((_GAP // 2, 16), TEXT, fill=255, font=font, stroke_width=stroke, stroke_fill=255)
        layers.append(np.asarray(tile))
    return layers[0], layers[1]


def watermark(rgba: Image.Image) -> Image.Image:
    """`rgba` with the pattern blended into its visible pixels."""
    arr = np.asarray(rgba).astype(np.int64)
    height, width = arr.shape[:2]
    outline, fill = _tiles()
    xs = np.arange(width)[None, :]
    rows = (np.arange(height)[:, None] + xs // 2) % _LINE
    cols = xs % outline.shape[1]
    visible = (arr[:, :, 3] > 0)[:, :, None]
    rgb = arr[:, :, :3]
    for layer, colour, percent in ((outline, 0, 40), (fill, 255, 60)):
        strength = np.where(visible, layer[rows, cols].astype(np.int64)[:, :, None] * percent // 100, 0)
        rgb = (rgb * (255 - strength) + colour * strength) // 255
    arr[:, :, :3] = rgb
    return Image.fromarray(arr.astype(np.uint8), "RGBA")
