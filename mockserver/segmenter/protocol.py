"""The contract between the mock providers and whatever computes their masks.

The HTTP layer only talks to a `Segmenter`; the numpy reference implements it, and a user can plug in a
real model that does too (see `loader.load_segmenter`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Literal, Protocol, runtime_checkable

import numpy as np

Box = tuple[int, int, int, int]
Point = tuple[float, float]
SalientMode = Literal["keepSalientObject", "ignoreSalientObject"] | None


def mask_box(mask: np.ndarray) -> Box:
    """Bounding box (x0, y0, x1, y1) of the nonzero pixels of a mask (boolean, or uint8 such as alpha), x1/y1
    exclusive (PIL crop order); (0, 0, 0, 0) if empty."""
    # The largest byte of each row (cheaper than ``any``), then of each column between the rows found.
    mask = np.asarray(mask)
    flags = mask if mask.dtype == np.uint8 else np.asarray(mask, dtype=bool).view(np.uint8)
    rows = np.flatnonzero(flags.max(axis=1)) if flags.size else np.zeros(0, dtype=np.intp)
    if rows.size == 0:
        return (0, 0, 0, 0)
    y0, y1 = int(rows[0]), int(rows[-1]) + 1
    cols = np.flatnonzero(flags[y0:y1].max(axis=0))
    return (int(cols[0]), y0, int(cols[-1]) + 1, y1)


@dataclass(frozen=True, eq=False)
class Detection:
    """One mask with its confidence.

    The mask is rendered on first access: callers filter by `score` first, and at 16 MP every mask they do
    not keep would cost a full-resolution upsample.
    """

    score: float
    label: str
    render: Callable[[], np.ndarray] = field(repr=False)

    @cached_property
    def mask(self) -> np.ndarray:
        """Boolean HxW mask at the input's resolution."""
        return self.render()

    @cached_property
    def box(self) -> Box:
        return mask_box(self.mask)

    @classmethod
    def from_mask(cls, mask: np.ndarray, score: float, label: str) -> Detection:
        """Wrap an already computed mask (what a plugged-in model usually has)."""
        frozen = np.asarray(mask, dtype=bool)
        return cls(score=float(score), label=label, render=lambda: frozen)


@dataclass(frozen=True, eq=False)
class SalientResult:
    """The default cutout: soft alpha for compositing, binary mask for counting, and a confidence.

    `score` is in [0, 1]; 1 - score is what Photoroom reports as `x-uncertainty-score`.
    """

    alpha: np.ndarray
    mask: np.ndarray
    box: Box
    score: float


@runtime_checkable
class Segmenter(Protocol):
    """What every provider mock needs from a segmentation engine.

    Images are uint8 HxWx3 or HxWx4 arrays; every mask returned has the input's height and width.
    """

    def salient(self, image: np.ndarray, *, use_alpha: bool = False) -> SalientResult:
        """Foreground cutout (Photoroom remove-background, `keepSalientObject`)."""
        ...

    def everything(self, image: np.ndarray) -> list[Detection]:
        """Every distinct region but the background, area descending (Prodia SAM 2)."""
        ...

    def text(
        self,
        image: np.ndarray,
        prompt: str,
        *,
        negative: str | None = None,
        salient_mode: SalientMode = None,
    ) -> list[Detection]:
        """Detections for a comma-separated prompt (SAM 3, tengr text, Photoroom and SellerPic prompts)."""
        ...

    def points(
        self,
        image: np.ndarray,
        positive: Sequence[Point],
        negative: Sequence[Point] = (),
        *,
        multimask: bool = True,
        refinement_steps: int = 0,
    ) -> list[Detection]:
        """Masks selected by normalised [x, y] clicks (tengr points mode)."""
        ...
