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
- `shadow.mode` `ai.preset-soft` / `ai.preset-hard` / `ai.auto-with-overrides`: as `ai.soft` / `ai.hard` / `ai.soft`;
  the `shadow.*Override` fields are accepted and not drawn
- `lighting.mode` `ai.optimize-portrait`: as `ai.preserve-hue-and-saturation`
- `beautify.mode` `ai.car`: as `ai.auto`, plus a cooler tint (B+8, R-8)
- `editWithAI.*`, `describeAnyChange.*`: the input blended 1:4 with the gradient-and-stripes pattern of
  SHA-256(family, prompt, seed); alpha unchanged
- `ironing.mode`: a 3x3 median filter on the input (creases smoothed); alpha unchanged
- `virtualModel.*`, `flatLay.*`, `ghostMannequin.*`: a new input at the `size` preset (`SCENE_SIZES`): the pattern of
  SHA-256(family, prompt, pose...) with the cut-out subject fitted into its centre 70 %; the subject's alpha follows
- `outline.color` (+ `.width`, `.blurRadius`): the placed subject's alpha dilated by `width` x the output's longer
  side (a Gaussian of sigma width/2 thresholded at 2 sigma), filled with the colour under the subject, blurred by
  `blurRadius` x the longer side
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

SCENE_SIZES: dict[str, tuple[int, int]] = {
    "SQUARE_HD": (1024, 1024),
    "LANDSCAPE_HD_16_9": (1024, 576),
    "LANDSCAPE_HD_4_3": (1024, 768),
    "LANDSCAPE_HD_3_2": (1024, 683),
    "PORTRAIT_HD_16_9": (576, 1024),
    "PORTRAIT_HD_4_3": (768, 1024),
    "PORTRAIT_HD_3_2": (683, 1024),
}
"""Pixel sizes of the `*_HD` presets of `virtualModel.size`, `flatLay.size`, `ghostMannequin.size` (undocumented;
1024 px on the long side like `imageFromPrompt`, an assumption in the spec)."""

SCENE_FAMILIES = ("virtualModel", "flatLay", "ghostMannequin")
EDIT_FAMILIES = ("editWithAI", "describeAnyChange")
_SHADOW_LOOKS = {"ai.preset-soft": "ai.soft", "ai.preset-hard": "ai.hard", "ai.auto-with-overrides": "ai.soft"}


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
    mode = _SHADOW_LOOKS.get(mode, mode)
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
    if mode in ("ai.preserve-hue-and-saturation", "ai.optimize-portrait"):
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
    elif mode == "ai.car":
        rgb = rgb + np.array([-8, 0, 8])
    return _with_rgb(arr, rgb)


def edit_with_prompt(rgba: Image.Image, family: str, prompt: str, seed: float | int | None) -> Image.Image:
    """A visible, reproducible "edit": the input blended 1:4 with the prompt's pattern (alpha kept)."""
    arr = np.asarray(rgba).astype(np.int64)
    tint = np.asarray(pattern(rgba.size, family, prompt, seed)).astype(np.int64)
    return _with_rgb(arr, (arr[:, :, :3] * 3 + tint[:, :, :3]) // 4)


def iron(rgba: Image.Image) -> Image.Image:
    """Creases smoothed: a 3x3 median filter on the colour channels (alpha kept)."""
    smoothed = rgba.convert("RGB").filter(ImageFilter.MedianFilter(3)).convert("RGBA")
    smoothed.putalpha(rgba.getchannel("A"))
    return smoothed


def scene(rgba: Image.Image, alpha: np.ndarray | None, family: str, size: str, *key: object
          ) -> tuple[Image.Image, np.ndarray]:
    """A generated photo at a `*_HD` preset: the key's pattern with the cut-out subject fitted in the centre 70 %
    (the whole input when there is no alpha); returns the new input and its subject alpha."""
    width, height = SCENE_SIZES[size]
    base = pattern((width, height), family, *key)
    subject = with_alpha(rgba, alpha) if alpha is not None else rgba
    box = subject_box(np.asarray(subject.getchannel("A")))
    if box is not None:
        subject = subject.crop((box.x0, box.y0, box.x1, box.y1))
    scale = min(width * 7 / 10 / subject.width, height * 7 / 10 / subject.height)
    fitted = subject.resize((max(1, int(subject.width * scale)), max(1, int(subject.height * scale))),
                            Image.Resampling.LANCZOS)
    layer = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    layer.paste(fitted, ((width - fitted.width) // 2, (height - fitted.height) // 2))
    return Image.alpha_composite(base, layer), np.asarray(layer.getchannel("A"))


def outline(alpha: np.ndarray, colour: tuple[int, int, int, int], width: float, blur: float) -> Image.Image:
    """Coloured outline layer around the placed subject alpha, to go under the subject."""
    height, w = alpha.shape
    side = max(height, w)
    reach = float(width) * side
    grown = Image.fromarray(alpha, "L")
    if reach >= 1:
        blurred = np.asarray(grown.filter(ImageFilter.GaussianBlur(reach / 2)))
        grown = Image.fromarray(np.where((blurred >= 6) | (alpha > 0), 255, 0).astype(np.uint8), "L")
    if blur > 0:
        grown = grown.filter(ImageFilter.GaussianBlur(max(1.0, float(blur) * side)))
    out = Image.new("RGBA", (w, height), colour[:3] + (0,))
    out.putalpha(grown.point(lambda v: v * colour[3] // 255))
    return out


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
