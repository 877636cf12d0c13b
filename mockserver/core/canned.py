"""Canned masks: the mask a test queued for the next call of an operation, used in place of the segmenter's.

The operator's injector (``mockserver.operator.hooks``) draws a queued ``mask`` answer and puts it on the
request's ``flask.g``; ``CannedMaskSegmenter`` wraps whatever segmenter the app uses and, during that one
request, answers every question with that mask. The provider still renders its normal output around it
(Photoroom composes a cutout, tengr expands and encodes result files, Prodia colours its mask), so a canned
mask exercises the same answer shapes as a computed one.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

import numpy as np
from flask import g, has_app_context
from PIL import Image

from ..segmenter.protocol import Detection, Point, SalientMode, SalientResult, mask_box

G_KEY = "segmock_canned_mask"
LABEL = "canned"


class CannedMaskError(ValueError):
    """The bytes sent as a canned mask are not an image."""


def decode_mask(data: bytes) -> np.ndarray:
    """A boolean mask from image bytes: the alpha channel where the image has one, else pixels above mid-grey."""
    try:
        with Image.open(io.BytesIO(data)) as img:
            img.load()
            plane = img.getchannel("A") if "A" in img.getbands() else img.convert("L")
    except Exception as exc:
        raise CannedMaskError(f"the mask is not a readable image ({exc})") from None
    return np.asarray(plane) > 127


def encode_mask(mask: Any) -> bytes:
    """PNG bytes for a mask given as PNG bytes, or as a 2-D array (bool, or 0..255)."""
    if isinstance(mask, (bytes, bytearray)):
        return bytes(mask)
    array = np.asarray(mask)
    if array.ndim != 2:
        raise CannedMaskError(f"a mask array must be 2-D (height, width), not of shape {array.shape}")
    plane = (array > 0 if array.dtype == bool else array > 127).astype(np.uint8) * 255
    out = io.BytesIO()
    Image.fromarray(plane, "L").save(out, "PNG")
    return out.getvalue()


def use(mask: np.ndarray) -> None:
    """Answer this request's segmentation with ``mask``."""
    setattr(g, G_KEY, mask)


def _current() -> np.ndarray | None:
    return g.get(G_KEY) if has_app_context() else None


def _fit(mask: np.ndarray, image: np.ndarray) -> np.ndarray:
    """The mask at the image's size (nearest neighbour), so one canned mask serves any input."""
    height, width = image.shape[:2]
    if mask.shape == (height, width):
        return mask
    plane = Image.fromarray(mask.astype(np.uint8) * 255, "L").resize((width, height), Image.Resampling.NEAREST)
    return np.asarray(plane) > 127


class CannedMaskSegmenter:
    """A segmenter that defers to ``inner`` except during a request that drew a canned mask."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def _detections(self, image: np.ndarray, count: int = 1) -> list[Detection] | None:
        mask = _current()
        if mask is None:
            return None
        fitted = _fit(mask, image)
        return [Detection.from_mask(fitted, 1.0, LABEL) for _ in range(count)]

    def salient(self, image: np.ndarray, *, use_alpha: bool = False) -> SalientResult:
        mask = _current()
        if mask is None:
            return self.inner.salient(image, use_alpha=use_alpha)
        fitted = _fit(mask, image)
        return SalientResult(alpha=fitted.astype(np.uint8) * 255, mask=fitted, box=mask_box(fitted), score=1.0)

    def everything(self, image: np.ndarray) -> list[Detection]:
        found = self._detections(image)
        return found if found is not None else self.inner.everything(image)

    def text(self, image: np.ndarray, prompt: str, *, negative: str | None = None,
             salient_mode: SalientMode = None) -> list[Detection]:
        found = self._detections(image)
        return found if found is not None else self.inner.text(image, prompt, negative=negative,
                                                                salient_mode=salient_mode)

    def points(self, image: np.ndarray, positive: Sequence[Point], negative: Sequence[Point] = (), *,
               multimask: bool = True, refinement_steps: int = 0) -> list[Detection]:
        found = self._detections(image, 3 if multimask else 1)  # the three nested candidates, all the same
        if found is not None:
            return found
        return self.inner.points(image, positive, negative, multimask=multimask, refinement_steps=refinement_steps)
