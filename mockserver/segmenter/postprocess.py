"""Mask post-processing the providers expose (tengr ``maskExpand``, ``maskBlurSigma``, ``maskKernelSize``).

Expansion is an exact dilation (erosion for a negative amount) at full resolution. A square element gives
square corners (chessboard distance); tapered corners use the union of rectangles inscribed in the disc
of that radius (a stepped disc: Euclidean-like, rounded corners). Each rectangle is separable, and each
1-D dilation is a handful of shifted ORs (doubling windows), so 1 px and 16 384 px cost about the same.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
from PIL import Image, ImageFilter

from .protocol import Detection

# Rectangles of the tapered element: half-sizes (px cos a, px sin a) at these angles, from flat to tall.
_TAPER_ANGLES = np.radians([0.0, 22.5, 45.0, 67.5, 90.0])


def combine(detections: Iterable[Detection], shape: tuple[int, int] | None = None) -> np.ndarray:
    """Union of the detections' masks (an empty mask of ``shape`` when there are none)."""
    out: np.ndarray | None = None
    for det in detections:
        out = det.mask.copy() if out is None else (out | det.mask)
    if out is None:
        if shape is None:
            raise ValueError("combine() of no detections needs a shape")
        return np.zeros(shape, dtype=bool)
    return out


def _take(array: np.ndarray, start: int, length: int, axis: int) -> np.ndarray:
    return array[start : start + length] if axis == 0 else array[:, start : start + length]


def _dilate_axis(mask: np.ndarray, radii: list[int], axis: int) -> list[np.ndarray]:
    """The mask dilated along `axis` by each radius: True wherever a True pixel lies within that distance.

    One table serves every radius: it is padded with the largest radius of False in front, then doubled in
    place (entry x becomes the OR over [x, x + span)) until a span covers half a window; a window of
    2r + 1 is then the OR of two overlapping spans.
    """
    n = mask.shape[axis]
    wanted = [min(r, n - 1) for r in radii]
    pad = max(wanted)
    if pad <= 0:
        return [mask.copy() for _ in radii]
    shape = (n + pad, mask.shape[1]) if axis == 0 else (mask.shape[0], n + pad)
    table = np.zeros(shape, dtype=bool)
    _take(table, pad, n, axis)[...] = mask
    out: dict[int, np.ndarray] = {}
    span = 1
    for r in sorted(set(wanted)):
        while span * 2 <= 2 * r + 1:
            size = table.shape[axis] - span
            np.logical_or(_take(table, 0, size, axis), _take(table, span, size, axis), out=_take(table, 0, size, axis))
            span *= 2
        out[r] = _take(table, pad - r, n, axis) | _take(table, pad + r + 1 - span, n, axis) if r else mask.copy()
    return [out[r] for r in wanted]


def _rectangles(px: int, tapered: bool) -> list[tuple[int, int]]:
    """(half-width, half-height) of the rectangles whose union is the structuring element."""
    if not tapered:
        return [(px, px)]
    return [(int(round(px * np.cos(a))), int(round(px * np.sin(a)))) for a in _TAPER_ANGLES]


def _dilate(mask: np.ndarray, px: int, tapered: bool) -> np.ndarray:
    """Dilation by the union of rectangles; every half-size grows with `px`, so larger amounts nest."""
    rects = _rectangles(px, tapered)
    rows = _dilate_axis(mask, [wx for wx, _ in rects], 1)
    out: np.ndarray | None = None
    for (_, wy), part in zip(rects, rows):
        grown = _dilate_axis(part, [wy], 0)[0]
        out = grown if out is None else np.logical_or(out, grown, out=out)
    assert out is not None
    return out


def expand_mask(mask: np.ndarray, px: int, tapered: bool = False) -> np.ndarray:
    """Grow (``px`` > 0) or shrink (``px`` < 0) a boolean mask by ``px`` pixels.

    A grown mask always contains the original and a shrunk one is always inside it; the structuring
    elements are nested, so the area is monotonic in ``px``.
    """
    mask = np.asarray(mask, dtype=bool)
    if px == 0 or not mask.any() or mask.all():
        return mask.copy()
    if px > 0:
        return _dilate(mask, px, tapered)
    return ~_dilate(~mask, -px, tapered)


def feather_mask(mask: np.ndarray, sigma: float, kernel_size: int) -> np.ndarray:
    """An 8-bit mask (255 object, 0 background) with Gaussian-feathered edges.

    ``kernel_size`` is the blur's window in pixels (as in OpenCV's ``GaussianBlur``): 0 or 1 means no blur,
    and the window caps the blur's reach, so the effective sigma is ``min(sigma, kernel_size / 6)``.
    """
    hard = np.asarray(mask, dtype=bool).astype(np.uint8) * np.uint8(255)
    if kernel_size <= 1 or sigma <= 0:
        return hard
    effective = min(float(sigma), kernel_size / 6.0)
    if effective < 0.05:
        return hard
    return np.asarray(Image.fromarray(hard).filter(ImageFilter.GaussianBlur(effective)), dtype=np.uint8)


def refine(mask: np.ndarray, steps: int) -> np.ndarray:
    """Smooth a mask deterministically: each step opens then closes it by one pixel (specks and notches go)."""
    mask = np.asarray(mask, dtype=bool)
    for _ in range(max(0, steps)):
        image = Image.fromarray(mask.astype(np.uint8) * np.uint8(255))
        image = image.filter(ImageFilter.MinFilter(3)).filter(ImageFilter.MaxFilter(3))
        image = image.filter(ImageFilter.MaxFilter(3)).filter(ImageFilter.MinFilter(3))
        smoothed = np.asarray(image) >= 128
        if not smoothed.any():
            break
        mask = smoothed
    return mask
