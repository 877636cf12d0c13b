"""Score a segmenter on real photographs with rough, hand-drawn ground truth.

A photo set is a folder of images and a ``cases.json`` that names, per photo, its objects as polygons and
ellipses in pixel coordinates, the main object (what a cutout should keep), a noun prompt, a colour prompt
and a click, each with the objects it should select. The same scoring serves the benchmark, the tests and a
user checking a plugged-in model on their own photos (``evaluate(load_segmenter(...), load_cases(folder))``).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageDraw

from .postprocess import combine
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


def load_cases(folder: str | Path) -> list[Case]:
    """Every photo of a folder's ``cases.json``, in file order, with its ground truth rendered."""
    folder = Path(folder)
    spec = json.loads((folder / "cases.json").read_text())
    cases = []
    for name, entry in spec.items():
        with Image.open(folder / f"{name}.jpg") as img:
            image = np.asarray(img.convert("RGB"))
        size = (image.shape[1], image.shape[0])
        objects = {key: _render(shapes, size) for key, shapes in entry["objects"].items()}

        def union(keys: Sequence[str]) -> np.ndarray:
            out = np.zeros(image.shape[:2], dtype=bool)
            for key in keys:
                out |= objects[key]
            return out

        def prompted(key: str) -> Prompted | None:
            if key not in entry:
                return None
            item = entry[key]
            point = None
            if "point" in item:
                point = ((item["point"][0] + 0.5) / size[0], (item["point"][1] + 0.5) / size[1])
            return Prompted(item.get("prompt", "click"), union(item["target"]), point)

        cases.append(Case(name, image, entry["split"], entry["kind"], entry["source"], union(entry["main"]),
                          prompted("noun"), prompted("colour"), prompted("click")))
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


def _text_scores(segmenter: Segmenter, case: Case, capability: str, item: Prompted) -> list[Score]:
    found, seconds = _timed(lambda: segmenter.text(case.image, item.prompt))
    shape = case.image.shape[:2]
    return [_score(case, capability, provider, combine([d for d in found if d.score >= threshold], shape),
                   item.target, seconds) for provider, threshold in TEXT_THRESHOLDS.items()]


def evaluate(segmenter: Segmenter, cases: Sequence[Case]) -> list[Score]:
    """Every capability on every photo, as each provider mock would answer it.

    Cutout (Photoroom, SellerPic PRODUCT), noun and colour prompts (per provider threshold), the best-scoring
    click candidate (tengr) and SAM 2's automatic masks (Prodia, scored by the mask that best matches the
    main object, and empty when it returns none).
    """
    scores: list[Score] = []
    for case in cases:
        shape = case.image.shape[:2]
        cut, seconds = _timed(lambda: segmenter.salient(case.image))
        scores.append(_score(case, "cutout", "photoroom", cut.mask, case.main, seconds))
        regions, seconds = _timed(lambda: segmenter.everything(case.image))
        best = max(regions, key=lambda d: iou(d.mask, case.main), default=None)
        scores.append(_score(case, "everything", "prodia", best.mask if best else np.zeros(shape, bool), case.main,
                             seconds))
        if case.noun is not None:
            scores.extend(_text_scores(segmenter, case, "noun", case.noun))
        if case.colour is not None:
            scores.extend(_text_scores(segmenter, case, "colour", case.colour))
        if case.click is not None and case.click.point is not None:
            point = case.click.point
            candidates, seconds = _timed(lambda: segmenter.points(case.image, [point]))
            chosen: Detection | None = max(candidates, key=lambda d: d.score, default=None)
            scores.append(_score(case, "click", "tengr", chosen.mask if chosen else np.zeros(shape, bool),
                                 case.click.target, seconds))
    return scores
