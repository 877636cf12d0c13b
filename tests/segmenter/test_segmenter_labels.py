"""Connected components agree with a plain flood fill, label in raster order, and clean masks as documented."""

from __future__ import annotations

from collections import deque

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from mockserver.segmenter.labels import fill_holes, label, remove_specks


def flood_labels(mask: np.ndarray, connectivity: int) -> np.ndarray:
    """Reference labelling: breadth-first flood from each unlabelled pixel in raster order."""
    h, w = mask.shape
    steps = [(-1, 0), (1, 0), (0, -1), (0, 1)]
    if connectivity == 8:
        steps += [(-1, -1), (-1, 1), (1, -1), (1, 1)]
    out = np.zeros((h, w), np.int32)
    n = 0
    for y in range(h):
        for x in range(w):
            if not mask[y, x] or out[y, x]:
                continue
            n += 1
            out[y, x] = n
            queue = deque([(y, x)])
            while queue:
                cy, cx = queue.popleft()
                for dy, dx in steps:
                    ny, nx = cy + dy, cx + dx
                    if 0 <= ny < h and 0 <= nx < w and mask[ny, nx] and not out[ny, nx]:
                        out[ny, nx] = n
                        queue.append((ny, nx))
    return out


@st.composite
def random_masks(draw: st.DrawFn) -> np.ndarray:
    h, w = draw(st.integers(1, 24)), draw(st.integers(1, 24))
    density = draw(st.floats(0.1, 0.9))
    seed = draw(st.integers(0, 2**16))
    return np.random.default_rng(seed).random((h, w)) < density


@settings(max_examples=150, deadline=None)
@given(random_masks(), st.sampled_from([4, 8]))
def test_label_matches_a_flood_fill(mask: np.ndarray, connectivity: int) -> None:
    labels, n = label(mask, connectivity)
    expected = flood_labels(mask, connectivity)
    assert n == int(expected.max())
    assert (labels == expected).all()


@settings(max_examples=80, deadline=None)
@given(random_masks(), st.integers(1, 12))
def test_fill_holes_and_remove_specks(mask: np.ndarray, min_area: int) -> None:
    background = flood_labels(~mask, 4)
    border = set(np.concatenate([background[0], background[-1], background[:, 0], background[:, -1]]).tolist())
    holes = (background > 0) & ~np.isin(background, list(border))
    assert (fill_holes(mask) == (mask | holes)).all()
    objects = flood_labels(mask, 8)
    areas = np.bincount(objects.reshape(-1))
    assert (remove_specks(mask, min_area) == (mask & (areas[objects] >= min_area))).all()


def test_a_long_spiral_is_one_component() -> None:
    """Worst case for pointer jumping: one snake folded across the whole grid."""
    mask = np.zeros((61, 61), bool)
    mask[::4] = True
    for k in range(15):
        mask[4 * k + 1: 4 * k + 4, -1 if k % 2 == 0 else 0] = True
    labels, n = label(mask, 4)
    assert n == 1 and (labels[mask] == 1).all()
