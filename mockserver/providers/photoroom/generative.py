"""Deterministic stand-ins for Photoroom's AI features.

The real features run generative models; the mock only has to return what a client can check: the same
geometry, the same headers, a visible and reproducible change. Everything here is integer maths or Pillow's
C filters, derived from a SHA-256 of the inputs, so the same request gives the same bytes on every machine.

Stand-ins, per parameter:

- `background.prompt` (+ `background.seed`): vertical two-colour gradient with diagonal stripes, colours and stripe
  period from SHA-256(prompt, seed); header `pr-ai-background-seed` = the given seed, else a number in [0, 2^31)
  from SHA-256(request digest)
- `shadow.mode` `ai.soft`: blurred black ellipse (55 % opacity) under the subject's base, as wide as the subject
- `shadow.mode` `ai.hard`: the subject's silhouette offset down-right by 3 % of its size, 50 % opacity, unblurred
- `shadow.mode` `ai.floating`: a smaller, lighter, more blurred ellipse a gap below the subject
- `lighting.mode` `ai.auto`: midtone lift `x + x(255-x)/1020` on each channel
- `lighting.mode` `ai.preserve-hue-and-saturation`: the same lift on luminance, RGB scaled by the same gain (hue and
  saturation kept)
- `beautify.mode` `ai.auto` / `ai.food`: contrast x9/8 and saturation x5/4; `ai.food` also warms (R+8, B-8)
- `textRemoval.mode`: pixels unchanged; header `pr-texts-detected: 0` (the mock detects no text)
- `upscale.mode` `ai.fast` / `ai.slow`: the input and its alpha enlarged 2x / 4x (LANCZOS) before layout; the caller
  enforces the input limits
- `expand.mode`, `uncrop.mode`: transparent pixels filled with the alpha-weighted mean colour of the visible image
  (grey if none): result opaque
- `background.blur.mode` `gaussian` / `bokeh`: the original image blurred (Gaussian / box kernel), radius =
  `background.blur.radius` x longest input side (half up, >= 1 px), kept behind the sharp subject
- `imageFromPrompt.*`: gradient background (as for `background.prompt`) with a centred ellipse "subject" whose alpha
  is known; sizes below
"""

from __future__ import annotations

import hashlib
from fractions import Fraction

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from .canvas import with_alpha
from .geometry import round_half_up, subject_box

IMAGE_FROM_PROMPT_SIZES: dict[str, tuple[int, int]] = {
    "SQUARE_HD": (1024, 1024),
    "LANDSCAPE_4_3": (1024, 768),
    "LANDSCAPE_16_9": (1024, 576),
    "PORTRAIT_4_3": (768, 1024),
    "PORTRAIT_16_9": (576, 1024),
}
"""Pixel sizes of `imageFromPrompt.size` (undocumented by Photoroom): the enum names match the common
text-to-image presets, whose pixel sizes are these; `SQUARE_HD` is also the default."""

UPSCALE_FACTORS = {"ai.fast": 2, "ai.slow": 4}


def _hash(*parts: object) -> bytes:
    return hashlib.sha256("\x1f".join(str(p) for p in parts).encode("utf-8")).digest()


def seed_header(seed: float | int | None, request_digest: str) -> str:
    """`pr-ai-background-seed`: the client's seed as an integer string, else one derived from the request."""
    if seed is not None:
        return str(int(seed))
    return str(int.from_bytes(_hash("seed", request_digest)[:4], "big") & 0x7FFFFFFF)


def pattern(size: tuple[int, int], *key: object) -> Image.Image:
    """Opaque gradient-and-stripes image, a pure function of `key`."""
    digest = _hash("pattern", *key)
    width, height = size
    top = np.array(list(digest[0:3]), dtype=np.int64)
    bottom = np.array(list(digest[3:6]), dtype=np.int64)
    period = 24 + digest[6] % 64
    y = np.arange(height, dtype=np.int64)[:, None, None]
    x = np.arange(width, dtype=np.int64)[None, :, None]
    span = max(height - 1, 1)
    rgb = (top * (span - y) + bottom * y) // span
    stripes = ((x + y) // period) % 2
    rgb = np.clip(rgb + 12 * stripes - 6, 0, 255).astype(np.uint8)
    return Image.fromarray(np.ascontiguousarray(rgb), "RGB").convert("RGBA")


def shadow(alpha: np.ndarray, mode: str) -> Image.Image:
    """Black RGBA shadow layer for the placed subject alpha (transparent when there is no subject)."""
    height, width = alpha.shape
    layer = Image.new("L", (width, height), 0)
    box = subject_box(alpha)
    if box is None:
        return Image.new("RGBA", (width, height), (0, 0, 0, 0))
    cx, w, h = (box.x0 + box.x1) // 2, box.width, box.height
    if mode == "ai.hard":
        dx, dy = max(1, w * 3 // 100), max(1, h * 3 // 100)
        moved = Image.fromarray(alpha, "L").point(lambda v: v // 2)
        layer.paste(moved, (dx, dy))
    else:
        floating = mode == "ai.floating"
        half_w = w * (35 if floating else 50) // 100
        half_h = max(2, h * (3 if floating else 5) // 100)
        cy = box.y1 + (h * 8 // 100 if floating else 0)
        ImageDraw.Draw(layer).ellipse(
            (cx - half_w, cy - half_h, cx + half_w, cy + half_h), fill=90 if floating else 140
        )
        layer = layer.filter(ImageFilter.GaussianBlur(max(1, h * (4 if floating else 2) // 100)))
    out = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    out.putalpha(layer)
    return out


def _lift(values: np.ndarray) -> np.ndarray:
    return values + values * (255 - values) // 1020


def lighting(rgba: Image.Image, mode: str) -> Image.Image:
    """Mild midtone lift; `ai.preserve-hue-and-saturation` scales RGB by the luminance gain instead."""
    arr = np.asarray(rgba).astype(np.int64)
    rgb = arr[:, :, :3]
    if mode == "ai.preserve-hue-and-saturation":
        luma = (299 * rgb[:, :, 0] + 587 * rgb[:, :, 1] + 114 * rgb[:, :, 2]) // 1000
        rgb = rgb * _lift(luma)[:, :, None] // np.maximum(luma, 1)[:, :, None]
    else:
        rgb = _lift(rgb)
    return _with_rgb(arr, rgb)


def beautify(rgba: Image.Image, mode: str) -> Image.Image:
    """Packshot-style contrast and saturation boost; food gets a warmer tint."""
    arr = np.asarray(rgba).astype(np.int64)
    rgb = 128 + (arr[:, :, :3] - 128) * 9 // 8
    luma = (299 * rgb[:, :, 0] + 587 * rgb[:, :, 1] + 114 * rgb[:, :, 2]) // 1000
    rgb = luma[:, :, None] + (rgb - luma[:, :, None]) * 5 // 4
    if mode == "ai.food":
        rgb = rgb + np.array([8, 0, -8])
    return _with_rgb(arr, rgb)


def _with_rgb(arr: np.ndarray, rgb: np.ndarray) -> Image.Image:
    out = arr.copy()
    out[:, :, :3] = np.clip(rgb, 0, 255)
    return Image.fromarray(out.astype(np.uint8), "RGBA")


def upscale(rgba: Image.Image, alpha: np.ndarray | None, mode: str) -> tuple[Image.Image, np.ndarray | None]:
    """The input (and its subject alpha) enlarged by the mode's factor."""
    factor = UPSCALE_FACTORS[mode]
    size = (rgba.width * factor, rgba.height * factor)
    big = rgba.resize(size, Image.Resampling.LANCZOS)
    if alpha is None:
        return big, None
    return big, np.asarray(Image.fromarray(alpha, "L").resize(size, Image.Resampling.LANCZOS))


def blur_background(rgba: Image.Image, alpha: np.ndarray | None, mode: str, radius: float) -> Image.Image:
    """Opaque blurred original with the sharp subject on top (the whole image blurred without an alpha)."""
    pixels = round_half_up(Fraction(str(radius)) * max(rgba.size))
    kernel = ImageFilter.BoxBlur if mode == "bokeh" else ImageFilter.GaussianBlur
    base = rgba.convert("RGB").filter(kernel(max(1, pixels))).convert("RGBA")
    if alpha is None:
        return base
    return Image.alpha_composite(base, with_alpha(rgba, alpha))


def fill_transparent(rgba: Image.Image) -> Image.Image:
    """Opaque result: what was transparent shows the visible image's mean colour (expand / uncrop)."""
    arr = np.asarray(rgba).astype(np.int64)
    weight = arr[:, :, 3]
    total = int(weight.sum())
    if total == 0:
        colour = (128, 128, 128)
    else:
        sums = (arr[:, :, :3] * weight[:, :, None]).sum(axis=(0, 1))
        red, green, blue = (int(v) // total for v in sums)
        colour = (red, green, blue)
    base = Image.new("RGBA", rgba.size, colour + (255,))
    return Image.alpha_composite(base, rgba)


def image_from_prompt(prompt: str, seed: float | int | None, size: str | None) -> tuple[Image.Image, np.ndarray]:
    """Generated input image (RGBA, opaque) and the alpha of its ellipse subject."""
    width, height = IMAGE_FROM_PROMPT_SIZES[size or "SQUARE_HD"]
    image = pattern((width, height), "imageFromPrompt", prompt, seed)
    digest = _hash("subject", prompt, seed)
    mask = Image.new("L", (width, height), 0)
    rx, ry = width * 3 // 10, height * 3 // 10
    cx, cy = width // 2, height // 2
    ImageDraw.Draw(mask).ellipse((cx - rx, cy - ry, cx + rx, cy + ry), fill=255)
    image.paste(Image.new("RGBA", (width, height), (digest[0], digest[1], digest[2], 255)), (0, 0), mask)
    return image, np.asarray(mask)
