"""The reference segmenter on real photographs (tests/data/photos): masks that make sense, every time.

The issue's goals are held on the photos the segmenter was developed on (the tune and validation splits);
the whole set, fresh holdout photos included, is held to floors a little below what the segmenter measures
on it (benchmarks/bench_segmenter_photos.py prints the figures), so a change that makes real photos worse
fails here even if the synthetic scenes still pass.
"""

from __future__ import annotations

from collections import defaultdict
from itertools import pairwise
from pathlib import Path

import numpy as np
import pytest

from mockserver.segmenter import ReferenceSegmenter
from mockserver.segmenter.photoset import WHOLE_FRAME, Answers, Case, Score, answer, load_cases, score

PHOTOS = Path(__file__).resolve().parent.parent / "data" / "photos"
CASES = load_cases(PHOTOS)
WITH_OBJECT = [c for c in CASES if c.has_object]
DEVELOPED = [c for c in WITH_OBJECT if c.split in ("tune", "validation")]
CONTROLS = [c for c in CASES if not c.has_object]

# The goals (mean IoU) on the developed photos; measured 0.665 (cutout), 0.572 / 0.571 / 0.581 (nouns
# at Photoroom and Prodia / tengr / SellerPic thresholds), 0.541 / 0.591 / 0.578 (colours likewise) and 0.688
# (clicks) when they were set.
GOALS = {"cutout": 0.65, "noun": 0.55, "colour": 0.45, "click": 0.60}

# Mean IoU floors over every photo with an object (the holdout split included), per (capability, provider);
# measured 0.619 (cutout), 0.474 (SAM 2), 0.561 / 0.560 / 0.574 (nouns), 0.441 / 0.481 / 0.471 (colours) and
# 0.596 (clicks) when they were set.
FLOORS = {
    ("cutout", "photoroom"): 0.60,
    ("everything", "prodia"): 0.45,
    ("noun", "photoroom"): 0.54,
    ("noun", "tengr"): 0.54,
    ("noun", "prodia"): 0.54,
    ("noun", "sellerpic"): 0.55,
    ("colour", "photoroom"): 0.42,
    ("colour", "prodia"): 0.42,
    ("colour", "tengr"): 0.46,
    ("colour", "sellerpic"): 0.45,
    ("click", "tengr"): 0.57,
}


@pytest.fixture(scope="module")
def answers() -> dict[str, Answers]:
    """Every capability on every photo, computed once per test process."""
    seg = ReferenceSegmenter()
    return {case.name: answer(seg, case) for case in CASES}


@pytest.fixture(scope="module")
def scores(answers: dict[str, Answers]) -> dict[tuple[str, str], list[Score]]:
    grouped: dict[tuple[str, str], list[Score]] = defaultdict(list)
    for case in WITH_OBJECT:
        for s in score(case, answers[case.name]):
            grouped[(s.capability, s.provider)].append(s)
    return grouped


def test_the_set_is_what_users_send() -> None:
    """At least 15 photos with an object, a no-object control, and a holdout split measured only once."""
    assert len(WITH_OBJECT) >= 15 and CONTROLS
    assert {c.split for c in WITH_OBJECT} == {"tune", "validation", "holdout"}
    assert sum(c.split == "holdout" for c in WITH_OBJECT) >= 6
    for case in WITH_OBJECT:
        assert case.noun and case.colour and case.click, case.name
        assert case.main.mean() < WHOLE_FRAME, case.name


@pytest.mark.parametrize("key", sorted(FLOORS), ids=lambda k: "-".join(k))
def test_mean_iou_holds_its_floor(scores, key: tuple[str, str]) -> None:
    values = [s.iou for s in scores[key]]
    assert len(values) == len(WITH_OBJECT)
    assert float(np.mean(values)) >= FLOORS[key], [(s.case, round(s.iou, 2)) for s in scores[key]]


@pytest.mark.parametrize("key", sorted(k for k in FLOORS if k[0] in GOALS), ids=lambda k: "-".join(k))
def test_the_developed_photos_meet_the_goals(scores, key: tuple[str, str]) -> None:
    values = [s.iou for s in scores[key] if s.split != "holdout"]
    assert len(values) == len(DEVELOPED)
    assert float(np.mean(values)) >= GOALS[key[0]], [(s.case, round(s.iou, 2)) for s in scores[key]]


@pytest.mark.parametrize("key", [("cutout", "photoroom"), ("everything", "prodia"), ("noun", "photoroom"),
                                 ("noun", "tengr"), ("noun", "prodia"), ("noun", "sellerpic"), ("colour", "tengr"),
                                 ("colour", "sellerpic"), ("click", "tengr")], ids=lambda k: "-".join(k))
def test_no_empty_answer_on_a_photo_with_an_object(scores, key: tuple[str, str]) -> None:
    assert [s.case for s in scores[key] if s.empty] == []


def test_no_whole_frame_answer(scores) -> None:
    assert [(k, s.case) for k, group in scores.items() for s in group if s.whole_frame] == []


def test_a_click_on_an_object_is_answered_on_it(answers: dict[str, Answers]) -> None:
    """The best candidate holds the clicked pixel and is never the whole frame; on the developed photos it lies
    mostly on the object, not the background around it (on the holdout it does not always: see the README)."""
    for case in WITH_OBJECT:
        assert case.click is not None and case.click.point is not None
        best = answers[case.name].click
        assert best is not None
        h, w = best.shape
        x, y = case.click.point
        assert best[int(y * h), int(x * w)], case.name
        assert best.mean() < WHOLE_FRAME, case.name
        if case.split != "holdout":
            assert (best & case.click.target).sum() >= 0.25 * best.sum(), case.name


def test_sam2_everything_never_returns_zero_masks_on_a_photo(answers: dict[str, Answers]) -> None:
    """SAM 2 proposes masks on every photo, the background's regions included; largest first (areas are
    ranked on the analysis grid, so full-size areas of small neighbours may differ by up to a fifth)."""
    for case in CASES:
        areas = [int(m.sum()) for m in answers[case.name].regions]
        assert areas and min(areas) > 0, case.name
        assert all(a >= 0.8 * b for a, b in pairwise(areas)), case.name


def test_a_photo_without_an_object_is_not_cut_out_whole(answers: dict[str, Answers]) -> None:
    for case in CONTROLS:
        assert answers[case.name].cutout.mean() < WHOLE_FRAME, case.name


def _answers(seg: ReferenceSegmenter, case: Case) -> list[np.ndarray]:
    assert case.noun and case.colour and case.click and case.click.point
    cut = seg.salient(case.image)
    out = [cut.alpha, cut.mask]
    out += [d.mask for d in seg.everything(case.image)]
    out += [d.mask for d in seg.text(case.image, f"{case.noun.prompt}, {case.colour.prompt}")]
    out += [d.mask for d in seg.points(case.image, [case.click.point])]
    return out


def test_same_bytes_in_same_bytes_out() -> None:
    """Every answer is byte-identical when computed again by a fresh segmenter on a copy of the input (a
    strided view, after other photos warmed the caches), and has the input's size."""
    picked = [c for c in WITH_OBJECT if c.name in ("messi", "smarties")]
    assert len(picked) == 2
    first = {c.name: _answers(ReferenceSegmenter(), c) for c in picked}
    for case in reversed(picked):
        padded = np.zeros((case.image.shape[0], case.image.shape[1] + 1, 3), np.uint8)
        padded[:, 1:] = case.image
        view = padded[:, 1:]
        again = _answers(ReferenceSegmenter(), Case(case.name, view, case.split, case.kind, case.source, case.main,
                                                      case.noun, case.colour, case.click))
        assert len(again) == len(first[case.name])
        for a, b in zip(first[case.name], again):
            assert a.shape == case.image.shape[:2] and a.dtype == b.dtype
            assert a.tobytes() == b.tobytes()


@pytest.mark.parametrize("noise", [0.0, 6.0])
@pytest.mark.parametrize("edge", [150, 190])
def test_a_product_filling_the_frame_on_three_sides_is_the_cutout(noise: float, edge: int) -> None:
    """A close-up product covers the centre and three sides, the backdrop shows only along the fourth: the
    cutout is the product, not the strip of backdrop (clean or with mild sensor noise)."""
    image = np.zeros((240, 320, 3), np.float32)
    image[:edge] = (45, 38, 32)
    image[edge:] = (120, 132, 150)
    image += np.random.default_rng(7).normal(0.0, noise, image.shape).astype(np.float32)
    image = np.clip(image, 0, 255).astype(np.uint8)
    product = np.zeros((240, 320), bool)
    product[:edge] = True
    mask = ReferenceSegmenter().salient(image).mask
    assert (mask & product).sum() / (mask | product).sum() >= 0.9


def test_an_image_of_only_small_marks_on_white_is_not_answered_empty() -> None:
    """White playing cards drawn on white show only their small red pips, each under the speck size: they are
    the subject (a cutout, a SAM 2 mask), not noise to clean away into an empty answer."""
    image = np.full((240, 320, 3), 255, np.uint8)
    pips = np.zeros((240, 320), bool)
    for y in range(20, 220, 40):
        for x in range(20, 300, 40):
            pips[y : y + 4, x : x + 4] = True
    image[pips] = (210, 30, 40)
    segmenter = ReferenceSegmenter()
    mask = segmenter.salient(image).mask
    assert mask.any() and (mask & pips).sum() / (mask | pips).sum() >= 0.5
    assert segmenter.everything(image)
