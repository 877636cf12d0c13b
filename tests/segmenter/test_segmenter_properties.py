"""Metamorphic properties: how masks must change when a request parameter changes."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from contracts.generate import scenes
from contracts.generate.scenes import PALETTE, ObjectSpec
from mockserver.segmenter import ReferenceSegmenter, combine, expand_mask
from mockserver.segmenter.background import _median

SEG = ReferenceSegmenter()
COLOURS = sorted(c for c in PALETTE if c not in ("white", "silver", "gray", "beige"))


@st.composite
def small_scenes(draw: st.DrawFn) -> scenes.Scene:
    count = draw(st.integers(1, 3))
    colours = draw(st.lists(st.sampled_from(COLOURS), min_size=count, max_size=count, unique=True))
    specs = [
        ObjectSpec(draw(st.sampled_from(["rect", "ellipse", "rounded", "bottle"])), colour,
                   ((i + 0.5) / count, draw(st.floats(0.35, 0.65))),
                   (0.7 / count, draw(st.floats(0.3, 0.6))))
        for i, colour in enumerate(colours)
    ]
    kind = draw(st.sampled_from(["plain", "gradient", "packshot", "noisy"]))
    return scenes.make_scene(kind, 160, 120, specs, seed=draw(st.integers(0, 3)))


@st.composite
def masks(draw: st.DrawFn) -> np.ndarray:
    h, w = draw(st.integers(8, 60)), draw(st.integers(8, 60))
    mask = np.zeros((h, w), bool)
    for _ in range(draw(st.integers(1, 3))):
        y0, x0 = draw(st.integers(0, h - 1)), draw(st.integers(0, w - 1))
        mask[y0: y0 + draw(st.integers(1, h)), x0: x0 + draw(st.integers(1, w))] = True
    return mask


@settings(max_examples=40)
@given(masks(), st.integers(-30, 30), st.integers(0, 30), st.booleans())
def test_area_never_shrinks_as_expand_grows(mask: np.ndarray, px: int, step: int, tapered: bool) -> None:
    smaller = expand_mask(mask, px, tapered)
    larger = expand_mask(mask, px + step, tapered)
    assert smaller.sum() <= larger.sum()
    assert (smaller <= larger).all()


@settings(max_examples=12)
@given(small_scenes(), st.floats(0, 1), st.floats(0, 1))
def test_detections_never_increase_as_the_threshold_rises(scene: scenes.Scene, a: float, b: float) -> None:
    low, high = sorted((a, b))
    found = SEG.text(scene.image, scene.objects[0].colour_name)
    assert all(0.0 <= d.score <= 1.0 for d in found)
    again = [d.score for d in SEG.text(scene.image, scene.objects[0].colour_name)]
    assert again == [d.score for d in found]
    assert len([d for d in found if d.score >= high]) <= len([d for d in found if d.score >= low])


@settings(max_examples=12)
@given(small_scenes(), st.data())
def test_a_positive_point_on_an_object_is_inside_its_mask(scene: scenes.Scene, data: st.DataObject) -> None:
    obj = data.draw(st.sampled_from(scene.objects))
    inner = expand_mask(obj.mask, -3)
    ys, xs = np.nonzero(inner if inner.any() else obj.mask)
    i = data.draw(st.integers(0, ys.size - 1))
    y, x = int(ys[i]), int(xs[i])
    h, w = obj.mask.shape
    for det in SEG.points(scene.image, [((x + 0.5) / w, (y + 0.5) / h)]):
        assert det.mask[y, x]


@settings(max_examples=12)
@given(small_scenes(), st.data())
def test_a_negative_prompt_never_adds_pixels(scene: scenes.Scene, data: st.DataObject) -> None:
    prompt = data.draw(st.sampled_from(["everything", scene.objects[0].colour_name, "left", "bottle"]))
    negative = data.draw(st.sampled_from([o.colour_name for o in scene.objects] + ["right", "background"]))
    shape = scene.image.shape[:2]
    plain = combine(SEG.text(scene.image, prompt), shape)
    reduced = combine(SEG.text(scene.image, prompt, negative=negative), shape)
    assert (reduced <= plain).all()


@settings(max_examples=12)
@given(small_scenes())
def test_combine_is_the_union_of_the_masks(scene: scenes.Scene) -> None:
    found = SEG.everything(scene.image)
    union = np.zeros(scene.image.shape[:2], bool)
    for det in found:
        union |= det.mask
    assert (combine(found, scene.image.shape[:2]) == union).all()


def shifted_union(mask: np.ndarray, offsets: list[tuple[int, int]]) -> np.ndarray:
    """Reference dilation: the union of the mask shifted by every offset of a structuring element."""
    h, w = mask.shape
    out = np.zeros_like(mask)
    for dy, dx in offsets:
        ys, xs = slice(max(0, dy), min(h, h + dy)), slice(max(0, dx), min(w, w + dx))
        src_y, src_x = slice(max(0, -dy), min(h, h - dy)), slice(max(0, -dx), min(w, w - dx))
        out[ys, xs] |= mask[src_y, src_x]
    return out


def element(px: int, tapered: bool) -> list[tuple[int, int]]:
    """Offsets of the documented structuring element: a square, or rectangles inscribed in the disc."""
    angles = np.radians([0.0, 22.5, 45.0, 67.5, 90.0]) if tapered else [np.pi / 4]
    rects = [(round(px * np.cos(a)), round(px * np.sin(a))) if tapered else (px, px) for a in angles]
    return sorted({(dy, dx) for wx, wy in rects for dy in range(-wy, wy + 1) for dx in range(-wx, wx + 1)})


@settings(max_examples=60, deadline=None)
@given(masks(), st.integers(-7, 7), st.booleans())
def test_expand_is_dilation_by_its_structuring_element(mask: np.ndarray, px: int, tapered: bool) -> None:
    if px >= 0:
        expected = shifted_union(mask, element(px, tapered))
    else:
        expected = ~shifted_union(~mask, element(-px, tapered))
    if not mask.any() or mask.all():
        expected = mask
    assert (expand_mask(mask, px, tapered) == expected).all()


@settings(max_examples=40, deadline=None)
@given(st.lists(st.floats(-1e6, 1e6, width=64), min_size=1, max_size=60), st.sampled_from([np.float64, np.float32]))
def test_the_fits_median_is_numpys(values: list[float], dtype: type) -> None:
    """The background fit's own median gives exactly ``np.median``'s number (masks must not move)."""
    arr = np.array(values, dtype=dtype)
    assert _median(arr) == np.median(arr)
    rows = np.stack([arr, arr[::-1], arr * 2])
    assert np.array_equal(_median(rows), np.median(rows, axis=1))
