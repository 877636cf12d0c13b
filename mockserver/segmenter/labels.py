"""Connected-component labelling and the clean-ups built on it (hole filling, speck removal).

numpy has no labelling and scipy is not a dependency. Components are found over horizontal runs, not
pixels: every overlap between runs of consecutive rows comes from one global ``searchsorted``, and the
union-find is vectorised (hook the larger root onto the smaller, then pointer-jump) so no Python loop runs
per row or per run. Roots are always the smallest run index, which makes labels follow raster order.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Runs:
    """Horizontal runs of True (raster order) and the component (root run index) of each."""

    rows: np.ndarray
    starts: np.ndarray
    ends: np.ndarray
    roots: np.ndarray
    shape: tuple[int, int]

    @property
    def lengths(self) -> np.ndarray:
        return self.ends - self.starts

    def paint(self, values: np.ndarray, dtype: type = np.int32) -> np.ndarray:
        """An image holding `values[k]` on the pixels of run k and 0 elsewhere (a cumulative sum of steps)."""
        h, w = self.shape
        steps: np.ndarray = np.zeros(h * w + 1, dtype=dtype)
        base = self.rows * w
        steps[base + self.starts] = values
        steps[base + self.ends] -= values
        return np.cumsum(steps[:-1], dtype=dtype).reshape(h, w)


def _runs(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Row, start and (exclusive) end of every horizontal run of True, in raster order."""
    h, w = mask.shape
    padded = np.zeros((h, w + 2), dtype=np.int8)
    padded[:, 1:-1] = mask
    # A row's changes alternate start (+1), end (-1), so one scan finds both, in raster order.
    rows, cols = np.nonzero(np.diff(padded, axis=1))
    return rows[0::2], cols[0::2], cols[1::2]


def _overlaps(rows: np.ndarray, starts: np.ndarray, ends: np.ndarray, width: int, reach: int) -> tuple[
        np.ndarray, np.ndarray]:
    """(upper, lower) run index pairs that touch across consecutive rows.

    Keys ``row * (width + 2) + x`` are globally sorted, so one ``searchsorted`` finds, for every run, the
    range of runs in the row above with ``start < end_j + reach`` and ``end + reach > start_j``.
    """
    stride = width + 2
    above = (rows - 1) * stride
    lo = np.searchsorted(rows * stride + ends + reach, above + starts, side="right")
    hi = np.searchsorted(rows * stride + starts, above + ends + reach, side="left")
    counts = np.maximum(hi - lo, 0)
    total = int(counts.sum())
    lower = np.repeat(np.arange(rows.size), counts)
    first = np.cumsum(counts) - counts
    upper = np.repeat(lo - first, counts) + np.arange(total)
    return upper, lower


def _union(n: int, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Root (smallest member index) of every item after joining each pair (a[k], b[k])."""
    parent = np.arange(n)
    while a.size:
        ra, rb = parent[a], parent[b]
        differ = ra != rb
        if not differ.any():
            break
        lo, hi = np.minimum(ra, rb)[differ], np.maximum(ra, rb)[differ]
        np.minimum.at(parent, hi, lo)
        while True:
            jumped = parent[parent]
            if np.array_equal(jumped, parent):
                break
            parent = jumped
        a, b = a[differ], b[differ]
    return parent


def components(mask: np.ndarray, connectivity: int = 8) -> Runs:
    """Runs of `mask` with their component roots (8- or 4-connected)."""
    mask = np.asarray(mask, dtype=bool)
    rows, starts, ends = _runs(mask)
    upper, lower = _overlaps(rows, starts, ends, mask.shape[1], 1 if connectivity == 8 else 0)
    return Runs(rows, starts, ends, _union(rows.size, upper, lower), mask.shape)


def label(mask: np.ndarray, connectivity: int = 8) -> tuple[np.ndarray, int]:
    """Label connected True pixels 1..n in raster order of their first pixel (deterministic); 0 is background."""
    runs = components(mask, connectivity)
    if runs.roots.size == 0:
        return np.zeros(runs.shape, dtype=np.int32), 0
    is_root = runs.roots == np.arange(runs.roots.size)
    ids = np.cumsum(is_root, dtype=np.int32)[runs.roots]
    return runs.paint(ids), int(is_root.sum())


def fill_holes(mask: np.ndarray) -> np.ndarray:
    """Fill background pockets that do not reach the image border (4-connected, the dual of 8-connected fg)."""
    mask = np.asarray(mask, dtype=bool)
    runs = components(~mask, connectivity=4)
    h, w = runs.shape
    touches = (runs.rows == 0) | (runs.rows == h - 1) | (runs.starts == 0) | (runs.ends == w)
    outside = np.zeros(runs.roots.size, dtype=bool)
    outside[runs.roots[touches]] = True
    hole = ~outside[runs.roots]
    if not hole.any():
        return mask.copy()
    return mask | runs.paint(hole.astype(np.int8), np.int8).astype(bool)


def remove_specks(mask: np.ndarray, min_area: int) -> np.ndarray:
    """Drop 8-connected components smaller than `min_area` pixels."""
    runs = components(mask, connectivity=8)
    areas = np.bincount(runs.roots, weights=runs.lengths, minlength=runs.roots.size)
    keep = areas[runs.roots] >= min_area
    if keep.all():  # no speck: the mask itself, without painting it again
        return np.array(mask, dtype=bool, order="C")
    return runs.paint(keep.astype(np.int8), np.int8).astype(bool)
