"""Score a segmenter on real photographs with rough, hand-drawn ground truth.

A photo set is a folder of images and a ``cases.json`` that names, per photo, its objects as polygons and
ellipses in pixel coordinates, the main object (what a cutout should keep), a noun prompt, a colour prompt
and a click, each with the objects it should select. The same scoring serves the benchmark, the tests and a
user checking a plugged-in model on their own photos (``evaluate(load_segmenter(...), load_cases(folder))``).
"""

from __future__ import annotations

import functools
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageDraw

from .protocol import Detection, Segmenter

# A mask covering at least this share of the frame is "the whole frame" (no rough ground truth comes close).
WHOLE_FRAME = 0.95

# Text thresholds as each provider mock applies them: Photoroom keeps even odds, tengr's textConfidence and
# Prodia's confidence_threshold defaults, SellerPic combines every detection.
TEXT_THRESHOLDS: dict[str, float] = {"photoroom": 0.5, "tengr": 0.2, "prodia": 0.5, "sellerpic": 0.0}


@dataclass(frozen=True)
class Prompted:
    """A prompt (or a click, as normalised x, y) and the ground truth it should select."""

    prompt: str
    target: np.ndarray = field(repr=False)
    point: tuple[float, float] | None = None


@dataclass(frozen=True)
class Case:
    """One photo with its ground truth; ``main`` is empty on a control photo that has no object."""

    name: str
    image: np.ndarray = field(repr=False)
    split: str
    kind: str
    source: str
    main: np.ndarray = field(repr=False)
    noun: Prompted | None = None
    colour: Prompted | None = None
    click: Prompted | None = None

    @property
    def has_object(self) -> bool:
        return bool(self.main.any())


def _render(shapes: Sequence[dict[str, Any]], size: tuple[int, int]) -> np.ndarray:
    """Boolean mask (h, w) of polygons and ellipses given in pixel coordinates."""
    canvas = Image.new("L", size, 0)
    draw = ImageDraw.Draw(canvas)
    for shape in shapes:
        if "polygon" in shape:
            draw.polygon([tuple(p) for p in shape["polygon"]], fill=255)
        else:
            draw.ellipse(tuple(shape["ellipse"]), fill=255)
    return np.asarray(canvas) >= 128


def _union(objects: dict[str, np.ndarray], keys: Sequence[str], shape: tuple[int, int]) -> np.ndarray:
    out = np.zeros(shape, dtype=bool)
    for key in keys:
        out |= objects[key]
    return out


def _prompted(entry: dict[str, Any], key: str, objects: dict[str, np.ndarray], shape: tuple[int, int]) -> (
        Prompted | None):
    """The noun, colour or click of a photo's entry, its point normalised to 0..1 (pixel centres)."""
    if key not in entry:
        return None
    item = entry[key]
    point = None
    if "point" in item:
        point = ((item["point"][0] + 0.5) / shape[1], (item["point"][1] + 0.5) / shape[0])
    return Prompted(item.get("prompt", "click"), _union(objects, item["target"], shape), point)


def load_cases(folder: str | Path) -> list[Case]:
    """Every photo of a folder's ``cases.json``, in file order, with its ground truth rendered."""
    folder = Path(folder)
    spec = json.loads((folder / "cases.json").read_text())
    cases = []
    for name, entry in spec.items():
        with Image.open(folder / f"{name}.jpg") as img:
            image = np.asarray(img.convert("RGB"))
        shape = (image.shape[0], image.shape[1])
        objects = {key: _render(shapes, (shape[1], shape[0])) for key, shapes in entry["objects"].items()}
        cases.append(Case(name, image, entry["split"], entry["kind"], entry["source"],
                          _union(objects, entry["main"], shape), _prompted(entry, "noun", objects, shape),
                          _prompted(entry, "colour", objects, shape), _prompted(entry, "click", objects, shape)))
    return cases


def iou(a: np.ndarray, b: np.ndarray) -> float:
    """Intersection over union of two boolean masks (1.0 when both are empty)."""
    union = float((a | b).sum())
    return float((a & b).sum()) / union if union else 1.0


@dataclass(frozen=True)
class Score:
    """One answer compared with its ground truth."""

    case: str
    split: str
    capability: str
    provider: str
    iou: float
    empty: bool
    whole_frame: bool
    off_target: bool
    ms_per_mp: float


def _score(case: Case, capability: str, provider: str, mask: np.ndarray, target: np.ndarray,
           seconds: float) -> Score:
    area = float(mask.sum())
    inside = float((mask & target).sum())
    megapixels = case.image.shape[0] * case.image.shape[1] / 1e6
    return Score(case.name, case.split, capability, provider, iou(mask, target), area == 0,
                 area >= WHOLE_FRAME * mask.size, area > 0 and inside < 0.5 * area, 1000.0 * seconds / megapixels)


def _timed(fn: Callable[[], Any]) -> tuple[Any, float]:
    """Result and CPU seconds of a call (CPU time: wall time on a shared machine includes waiting for a core)."""
    start = time.process_time()
    out = fn()
    return out, time.process_time() - start


@dataclass(frozen=True)
class Answers:
    """What a segmenter answered on one photo: every capability once, with the CPU seconds each took."""

    cutout: np.ndarray = field(repr=False)
    regions: list[np.ndarray] = field(repr=False)
    noun: list[tuple[float, np.ndarray]] = field(repr=False)
    colour: list[tuple[float, np.ndarray]] = field(repr=False)
    click: np.ndarray | None = field(repr=False)
    seconds: dict[str, float]


def answer(segmenter: Segmenter, case: Case) -> Answers:
    """Run every capability on a photo: cutout, SAM 2 regions, noun and colour prompts, the best click candidate."""
    seconds: dict[str, float] = {}
    cut, seconds["cutout"] = _timed(lambda: segmenter.salient(case.image))
    regions, seconds["everything"] = _timed(lambda: [d.mask for d in segmenter.everything(case.image)])
    prompted: dict[str, list[tuple[float, np.ndarray]]] = {}
    for key, item in (("noun", case.noun), ("colour", case.colour)):
        found: list[Detection] = []
        if item is not None:
            found, seconds[key] = _timed(functools.partial(segmenter.text, case.image, item.prompt))
        prompted[key] = [(d.score, d.mask) for d in found]
    click = None
    if case.click is not None and case.click.point is not None:
        point = case.click.point
        candidates, seconds["click"] = _timed(lambda: segmenter.points(case.image, [point]))
        best: Detection | None = max(candidates, key=lambda d: d.score, default=None)
        click = best.mask if best is not None else np.zeros(case.image.shape[:2], bool)
    return Answers(cut.mask, regions, prompted["noun"], prompted["colour"], click, seconds)


def score(case: Case, answers: Answers) -> list[Score]:
    """Compare one photo's answers with its ground truth, per capability and provider.

    Cutout (Photoroom, SellerPic PRODUCT), SAM 2's automatic masks (Prodia: the mask that best matches the
    main object, empty when there is none), noun and colour prompts at each provider's threshold, and the
    best-scoring click candidate (tengr).
    """
    shape = case.image.shape[:2]
    t = answers.seconds
    out = [_score(case, "cutout", "photoroom", answers.cutout, case.main, t["cutout"])]
    best = max(answers.regions, key=lambda m: iou(m, case.main), default=np.zeros(shape, bool))
    out.append(_score(case, "everything", "prodia", best, case.main, t["everything"]))
    for key, item, found in (("noun", case.noun, answers.noun), ("colour", case.colour, answers.colour)):
        if item is None:
            continue
        for provider, threshold in TEXT_THRESHOLDS.items():
            kept = [m for s, m in found if s >= threshold]
            mask = np.logical_or.reduce(kept) if kept else np.zeros(shape, bool)
            out.append(_score(case, key, provider, mask, item.target, t[key]))
    if case.click is not None and answers.click is not None:
        out.append(_score(case, "click", "tengr", answers.click, case.click.target, t["click"]))
    return out


def evaluate(segmenter: Segmenter, cases: Sequence[Case]) -> list[Score]:
    """Every capability on every photo, as each provider mock would answer it (see ``score``)."""
    return [s for case in cases for s in score(case, answer(segmenter, case))]
