"""Mask post-processing the providers expose (tengr ``maskExpand``, ``maskBlurSigma``, ``maskKernelSize``).

Expansion thresholds a signed distance field, so the result grows monotonically with the number of pixels
and costs the same for 1 px or 16 384 px. Tapered corners use Euclidean-like (chamfer) distance, which
rounds corners; otherwise chessboard distance, which keeps them square.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
from PIL import Image, ImageFilter

from .protocol import Detection

_SDF_CAP = 1024  # longest side of the grid the distance field is computed on
_CHAMFER = (1.0, 1.4142135)  # (edge, diagonal) step costs: rounded corners
_CHESSBOARD = (1.0, 1.0)  # square corners


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


def _distance(mask: np.ndarray, costs: tuple[float, float]) -> np.ndarray:
    """Two-pass chamfer distance from every pixel to the nearest True pixel (0 on the mask)."""
    h, w = mask.shape
    big = np.float32(h + w) * 2
    d = np.where(mask, np.float32(0), big).astype(np.float32)
    edge, diag = np.float32(costs[0]), np.float32(costs[1])
    for y in range(h):  # forward: left-to-right along the row, then from the row above
        row = d[y]
        if y > 0:
            up = d[y - 1]
            row = np.minimum(row, up + edge)
            row[1:] = np.minimum(row[1:], up[:-1] + diag)
            row[:-1] = np.minimum(row[:-1], up[1:] + diag)
        d[y] = _sweep(row, edge)
    for y in range(h - 1, -1, -1):  # backward
        row = d[y]
        if y < h - 1:
            down = d[y + 1]
            row = np.minimum(row, down + edge)
            row[1:] = np.minimum(row[1:], down[:-1] + diag)
            row[:-1] = np.minimum(row[:-1], down[1:] + diag)
        d[y] = _sweep(row, edge)
    return d


def _sweep(row: np.ndarray, step: np.float32) -> np.ndarray:
    """1-D distance propagation along a row in both directions: min over j of row[j] + |i - j| * step."""
    n = row.size
    idx = np.arange(n, dtype=np.float32) * step
    left = np.minimum.accumulate(row - idx) + idx
    right = (np.minimum.accumulate((row + idx)[::-1])[::-1]) - idx
    return np.minimum(np.minimum(row, left), right)


def signed_distance(mask: np.ndarray, tapered: bool) -> np.ndarray:
    """Distance outside the mask minus distance inside it, at full resolution (float32)."""
    mask = np.asarray(mask, dtype=bool)
    h, w = mask.shape
    costs = _CHAMFER if tapered else _CHESSBOARD
    scale = max(h, w) / _SDF_CAP
    if scale <= 1.0:
        return _distance(mask, costs) - _distance(~mask, costs)
    sh, sw = max(1, round(h / scale)), max(1, round(w / scale))
    small = np.asarray(Image.fromarray(mask.astype(np.uint8) * np.uint8(255)).resize((sw, sh), Image.Resampling.BOX))
    small_mask = small >= 128
    sdf = (_distance(small_mask, costs) - _distance(~small_mask, costs)) * np.float32(scale)
    return np.asarray(Image.fromarray(sdf, "F").resize((w, h), Image.Resampling.BILINEAR), dtype=np.float32)


def expand_mask(mask: np.ndarray, px: int, tapered: bool = False) -> np.ndarray:
    """Grow (``px`` > 0) or shrink (``px`` < 0) a boolean mask by ``px`` pixels.

    A grown mask always contains the original and a shrunk one is always inside it, so the area is
    monotonic in ``px`` even where the distance field is interpolated from a coarser grid.
    """
    mask = np.asarray(mask, dtype=bool)
    if px == 0 or not mask.any() or mask.all():
        return mask.copy()
    sdf = signed_distance(mask, tapered)
    if px > 0:
        return (sdf <= px) | mask
    return (sdf < px) & mask


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
