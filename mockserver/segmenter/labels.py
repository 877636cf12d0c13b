"""Connected-component labelling and the clean-ups built on it (hole filling, speck removal).

numpy has no labelling, and scipy is not a dependency; labelling runs of pixels instead of pixels keeps the
Python-level union-find to a few thousand items on the working grid.
"""

from __future__ import annotations

import numpy as np


def _runs(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Row, start and (exclusive) end of every horizontal run of True, in raster order."""
    h, w = mask.shape
    padded = np.zeros((h, w + 2), dtype=np.int8)
    padded[:, 1:-1] = mask
    diff = np.diff(padded, axis=1)
    rows_s, starts = np.nonzero(diff == 1)
    _, ends = np.nonzero(diff == -1)
    return rows_s, starts, ends


def _find(parent: list[int], i: int) -> int:
    while parent[i] != i:
        parent[i] = parent[parent[i]]
        i = parent[i]
    return i


def label(mask: np.ndarray, connectivity: int = 8) -> tuple[np.ndarray, int]:
    """Label connected True pixels 1..n in raster order of their first pixel (deterministic); 0 is background."""
    mask = np.asarray(mask, dtype=bool)
    rows, starts, ends = _runs(mask)
    n_runs = rows.size
    out = np.zeros(mask.shape, dtype=np.int32)
    if n_runs == 0:
        return out, 0
    reach = 1 if connectivity == 8 else 0
    parent = list(range(n_runs))
    row_first = np.searchsorted(rows, np.arange(mask.shape[0] + 1))
    for r in range(1, mask.shape[0]):
        a0, a1 = row_first[r - 1], row_first[r]
        b0, b1 = row_first[r], row_first[r + 1]
        if a0 == a1 or b0 == b1:
            continue
        # Runs of the previous row overlapping run j: start_prev < end_j + reach and end_prev + reach > start_j.
        lo = np.searchsorted(ends[a0:a1] + reach, starts[b0:b1], side="right")
        hi = np.searchsorted(starts[a0:a1], ends[b0:b1] + reach, side="left")
        for j, (k0, k1) in enumerate(zip(lo.tolist(), hi.tolist())):
            for k in range(k0, k1):
                ra, rb = _find(parent, a0 + k), _find(parent, b0 + j)
                if ra != rb:
                    parent[max(ra, rb)] = min(ra, rb)
    roots = np.array([_find(parent, i) for i in range(n_runs)], dtype=np.int64)
    _, ids = np.unique(roots, return_inverse=True)
    ids = ids.astype(np.int32) + 1
    flat = out.reshape(-1)
    w = mask.shape[1]
    lengths = ends - starts
    offsets = np.repeat(rows * w + starts - np.cumsum(lengths) + lengths, lengths) + np.arange(lengths.sum())
    flat[offsets] = np.repeat(ids, lengths)
    return out, int(ids.max())


def fill_holes(mask: np.ndarray) -> np.ndarray:
    """Fill background pockets that do not reach the image border (4-connected, the dual of 8-connected fg)."""
    mask = np.asarray(mask, dtype=bool)
    labels, n = label(~mask, connectivity=4)
    if n == 0:
        return mask.copy()
    border = np.concatenate([labels[0], labels[-1], labels[:, 0], labels[:, -1]])
    outside = np.zeros(n + 1, dtype=bool)
    outside[border] = True
    outside[0] = True
    return mask | ~outside[labels]


def remove_specks(mask: np.ndarray, min_area: int) -> np.ndarray:
    """Drop 8-connected components smaller than `min_area` pixels."""
    labels, n = label(mask, connectivity=8)
    if n == 0:
        return np.asarray(mask, dtype=bool).copy()
    areas = np.bincount(labels.reshape(-1), minlength=n + 1)
    keep = areas >= min_area
    keep[0] = False
    return keep[labels]
