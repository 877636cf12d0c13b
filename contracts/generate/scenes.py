"""Synthetic scenes with ground truth, for the segmenter's tests and benchmarks and for users' own tests.

Objects of known colour, shape and position are composited (anti-aliased) over plain, gradient, noisy or
packshot-like backgrounds; every object keeps the mask of its visible pixels.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

SceneKind = Literal["plain", "gradient", "noisy", "packshot"]
Shape = Literal["rect", "ellipse", "rounded", "bottle"]

PALETTE: dict[str, tuple[int, int, int]] = {
    "red": (200, 35, 40),
    "orange": (245, 130, 20),
    "yellow": (240, 210, 40),
    "green": (45, 150, 70),
    "blue": (40, 90, 210),
    "purple": (120, 50, 160),
    "pink": (240, 130, 175),
    "brown": (125, 75, 40),
    "black": (25, 25, 28),
    "white": (248, 248, 246),
    "gray": (120, 120, 125),
    "cyan": (30, 190, 210),
    "navy": (25, 35, 95),
    "teal": (20, 120, 120),
    "magenta": (210, 30, 170),
    "beige": (220, 200, 160),
    "gold": (205, 165, 50),
    "silver": (185, 185, 190),
}


@dataclass(frozen=True)
class ObjectSpec:
    """What to draw: shape, palette colour, centre and size as fractions of the image."""

    shape: Shape
    colour_name: str
    center: tuple[float, float]
    size: tuple[float, float]
    name: str = ""


@dataclass(frozen=True)
class SceneObject:
    """A drawn object and the ground truth of its visible pixels."""

    name: str
    shape: Shape
    colour_name: str
    rgb: tuple[int, int, int]
    mask: np.ndarray = field(repr=False)

    @property
    def centroid(self) -> tuple[float, float]:
        """Normalised (x, y) centre of the visible pixels, a point that lies on convex objects."""
        ys, xs = np.nonzero(self.mask)
        h, w = self.mask.shape
        return float((xs.mean() + 0.5) / w), float((ys.mean() + 0.5) / h)


@dataclass(frozen=True)
class Scene:
    """A composited image (uint8 HxWx3) with its objects, in drawing order, and the background's mask."""

    name: str
    kind: SceneKind
    image: np.ndarray = field(repr=False)
    objects: list[SceneObject]
    background_mask: np.ndarray = field(repr=False)

    @property
    def foreground_mask(self) -> np.ndarray:
        return ~self.background_mask

    def object(self, colour_name: str) -> SceneObject:
        return next(o for o in self.objects if o.colour_name == colour_name)

    def encode(self, format: Literal["png", "jpeg", "webp"] = "png", quality: int = 90) -> bytes:
        """The image as file bytes, ready for a multipart upload in an HTTP test."""
        buf = io.BytesIO()
        pil_format = {"png": "PNG", "jpeg": "JPEG", "webp": "WEBP"}[format]
        options = {} if format == "png" else {"quality": quality}
        Image.fromarray(self.image).save(buf, format=pil_format, **options)
        return buf.getvalue()


def _coverage(spec: ObjectSpec, width: int, height: int, ss: int) -> np.ndarray:
    """Anti-aliased coverage (float32 0..1) of one shape, drawn supersampled `ss` times and box-reduced."""
    big = Image.new("L", (width * ss, height * ss), 0)
    draw = ImageDraw.Draw(big)
    cx, cy = spec.center[0] * width * ss, spec.center[1] * height * ss
    hw, hh = spec.size[0] * width * ss / 2, spec.size[1] * height * ss / 2
    x0, y0, x1, y1 = cx - hw, cy - hh, cx + hw, cy + hh
    if spec.shape == "rect":
        draw.rectangle((x0, y0, x1, y1), fill=255)
    elif spec.shape == "ellipse":
        draw.ellipse((x0, y0, x1, y1), fill=255)
    elif spec.shape == "rounded":
        draw.rounded_rectangle((x0, y0, x1, y1), radius=0.25 * min(hw, hh) * 2, fill=255)
    else:
        neck = 0.35 * hw
        body_top = y0 + 0.38 * (y1 - y0)
        draw.rounded_rectangle((x0, body_top, x1, y1), radius=0.3 * hw, fill=255)
        draw.ellipse((x0, body_top - 0.35 * hw, x1, body_top + 0.35 * hw), fill=255)
        draw.rectangle((cx - neck, y0 + 0.05 * (y1 - y0), cx + neck, body_top), fill=255)
        cap = (cx - 1.15 * neck, y0, cx + 1.15 * neck, y0 + 0.12 * (y1 - y0))
        draw.rounded_rectangle(cap, radius=neck / 3, fill=255)
    if ss > 1:
        big = big.reduce(ss)
    return np.asarray(big, dtype=np.float32) / 255.0


def _background(kind: SceneKind, width: int, height: int, colour: tuple[int, int, int]) -> np.ndarray:
    yy = np.linspace(0.0, 1.0, height, dtype=np.float32)[:, None, None]
    xx = np.linspace(0.0, 1.0, width, dtype=np.float32)[None, :, None]
    base = np.array(colour, dtype=np.float32)[None, None, :]
    if kind == "gradient":
        return base * (0.78 + 0.22 * (0.6 * yy + 0.4 * xx)) + np.array([0, 10, 25], dtype=np.float32) * yy
    if kind == "packshot":
        r2 = ((xx - 0.5) ** 2 + (yy - 0.5) ** 2) / 0.5
        return base * (1.0 - 0.06 * yy) * (1.0 - 0.14 * r2)
    return np.broadcast_to(base, (height, width, 3)).copy()


def _shadow(spec: ObjectSpec, width: int, height: int) -> np.ndarray:
    """Soft contact shadow under an object (darkening factor 0..0.3), as a product photo has."""
    img = Image.new("L", (width, height), 0)
    cx, bottom = spec.center[0] * width, (spec.center[1] + spec.size[1] / 2) * height
    hw, hh = spec.size[0] * width * 0.6, max(2.0, 0.05 * spec.size[1] * height)
    ImageDraw.Draw(img).ellipse((cx - hw, bottom - hh, cx + hw, bottom + hh), fill=255)
    img = img.filter(ImageFilter.GaussianBlur(max(1.0, 0.02 * min(width, height))))
    return np.asarray(img, dtype=np.float32) / 255.0 * 0.3


def make_scene(
    kind: SceneKind = "plain",
    width: int = 640,
    height: int = 480,
    objects: Sequence[ObjectSpec] = (),
    seed: int = 0,
    background: tuple[int, int, int] = (238, 238, 235),
    name: str = "",
) -> Scene:
    """Composite `objects` (later ones occlude earlier ones) over a background of `kind`.

    Noise comes from `numpy.random.default_rng(seed)`, so the same arguments give the same bytes.
    """
    ss = 4 if width * height <= 1_500_000 else 1
    canvas = _background(kind, width, height, background)
    if kind == "packshot":
        for spec in objects:
            canvas *= 1.0 - _shadow(spec, width, height)[..., None]
    rows = np.linspace(0.0, 1.0, height, dtype=np.float32)[:, None, None]
    coverages = []
    for spec in objects:
        cov = _coverage(spec, width, height, ss)
        top, span = spec.center[1] - spec.size[1] / 2, max(spec.size[1], 1e-6)
        light = 1.06 - 0.12 * np.clip((rows - top) / span, 0.0, 1.0)
        colour = np.array(PALETTE[spec.colour_name], dtype=np.float32)[None, None, :] * light
        canvas = canvas * (1.0 - cov[..., None]) + np.minimum(colour, 255.0) * cov[..., None]
        coverages.append(cov >= 0.5)
    sigma = {"noisy": 8.0, "packshot": 1.5}.get(kind, 0.0)
    if sigma:
        canvas = canvas + np.random.default_rng(seed).normal(0.0, sigma, canvas.shape).astype(np.float32)
    image = np.clip(np.rint(canvas), 0, 255).astype(np.uint8)
    drawn = []
    covered = np.zeros((height, width), dtype=bool)
    for spec, cov in reversed(list(zip(objects, coverages))):
        visible = cov & ~covered
        covered |= cov
        label = spec.name or f"{spec.colour_name} {spec.shape}"
        drawn.append(SceneObject(label, spec.shape, spec.colour_name, PALETTE[spec.colour_name], visible))
    return Scene(name or kind, kind, image, drawn[::-1], ~covered)


def standard_scenes() -> list[Scene]:
    """The fixed scene set the segmenter's tests and quality benchmark score against."""
    o = ObjectSpec
    return [
        make_scene("packshot", objects=[o("bottle", "green", (0.5, 0.5), (0.22, 0.7))], name="packshot-bottle"),
        make_scene(
            "plain",
            objects=[o("ellipse", "red", (0.27, 0.5), (0.3, 0.45)), o("rect", "blue", (0.73, 0.5), (0.28, 0.5))],
            name="plain-two",
        ),
        make_scene(
            "gradient",
            objects=[
                o("rounded", "yellow", (0.2, 0.3), (0.22, 0.3)),
                o("ellipse", "green", (0.5, 0.55), (0.24, 0.36)),
                o("rect", "purple", (0.8, 0.7), (0.2, 0.35)),
            ],
            background=(200, 215, 235),
            name="gradient-three",
        ),
        make_scene(
            "noisy",
            objects=[o("ellipse", "orange", (0.3, 0.45), (0.3, 0.4)), o("rect", "navy", (0.72, 0.55), (0.25, 0.45))],
            background=(205, 205, 200),
            seed=7,
            name="noisy-two",
        ),
        make_scene(
            "packshot",
            objects=[
                o("bottle", "red", (0.2, 0.5), (0.15, 0.62)),
                o("rounded", "black", (0.5, 0.55), (0.22, 0.4)),
                o("ellipse", "gold", (0.8, 0.55), (0.2, 0.3)),
            ],
            name="packshot-three",
        ),
        make_scene(
            "plain",
            objects=[o("ellipse", "white", (0.35, 0.5), (0.3, 0.45)), o("rect", "pink", (0.72, 0.45), (0.2, 0.3))],
            background=(30, 30, 35),
            name="dark-background",
        ),
        make_scene(
            "plain",
            objects=[o("rect", "blue", (0.45, 0.5), (0.4, 0.5)), o("ellipse", "red", (0.62, 0.55), (0.25, 0.35))],
            name="overlap",
        ),
        make_scene(
            "packshot",
            width=800,
            height=200,
            objects=[
                o("rounded", "red", (0.15, 0.5), (0.1, 0.6)),
                o("ellipse", "cyan", (0.5, 0.5), (0.1, 0.5)),
                o("bottle", "brown", (0.85, 0.5), (0.06, 0.8)),
            ],
            name="elongated",
        ),
        make_scene(
            "gradient",
            width=240,
            height=320,
            objects=[o("bottle", "magenta", (0.5, 0.55), (0.4, 0.7))],
            background=(230, 225, 215),
            name="portrait-small",
        ),
        make_scene(
            "packshot",
            objects=[o("rect", "teal", (0.5, 0.8), (0.3, 0.5))],
            name="touching-border",
        ),
    ]
