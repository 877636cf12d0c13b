"""The masks of a segmentation artwork: which detections become results, their post-processing, the files.

Computed once at creation from the fetched image (same image and parameters, same bytes); the job engine
only decides when they are revealed.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

import numpy as np
from PIL import Image

from ...core.imagelimits import PNG_LEVEL
from . import settings


def select(segmenter: Any, pixels: np.ndarray, params: dict[str, Any]) -> list[np.ndarray]:
    """The result masks before post-processing, in result order (see the spec's x-segmock-result-count)."""
    if params["method"] == "text":
        return _text(segmenter, pixels, params)
    return _points(segmenter, pixels, params)


def _text(segmenter: Any, pixels: np.ndarray, params: dict[str, Any]) -> list[np.ndarray]:
    from ...segmenter import combine

    found = segmenter.text(pixels, params["textPrompt"])
    kept = sorted((d for d in found if d.score >= params["textConfidence"]), key=lambda d: -d.score)
    cap = params["textMaxDetections"]
    if cap >= 0:
        kept = kept[:cap]
    if params["textCombineMasks"]:
        return [combine(kept) if kept else np.zeros(pixels.shape[:2], dtype=bool)]
    return [d.mask for d in kept]


def _points(segmenter: Any, pixels: np.ndarray, params: dict[str, Any]) -> list[np.ndarray]:
    """Labels do not change a point's role: pointsPositive adds, pointsNegative removes (spec assumption)."""
    positive = _pairs(params.get("pointsPositive"))
    negative = _pairs(params.get("pointsNegative"))
    candidates = segmenter.points(pixels, positive=positive, negative=negative,
                                  multimask=params["pointsMultimask"],
                                  refinement_steps=params["pointsRefinementSteps"])
    if not candidates:
        return [np.zeros(pixels.shape[:2], dtype=bool)]
    if params["pointsMultimask"] and not params["pointsBestMask"]:
        return [d.mask for d in candidates]
    return [max(candidates, key=lambda d: d.score).mask]


def _pairs(group: Any) -> list[tuple[float, float]]:
    points: Sequence[Sequence[float]] = group.get("points", []) if isinstance(group, dict) else []
    return [(float(x), float(y)) for x, y in points]


def finish(mask: np.ndarray, params: dict[str, Any]) -> np.ndarray:
    """maskExpand (negative shrinks), maskTaperedCorners, then the blur of maskBlurSigma / maskKernelSize,
    as uint8 in the spec's foreground/background values."""
    from ...segmenter import expand_mask, feather_mask

    out: np.ndarray = np.asarray(mask, dtype=bool)
    if params["maskExpand"]:
        out = expand_mask(out, params["maskExpand"], tapered=bool(params.get("maskTaperedCorners", False)))
    soft = feather_mask(out, params["maskBlurSigma"], params["maskKernelSize"])
    return _levels(soft)


def _levels(mask: np.ndarray) -> np.ndarray:
    _, foreground, background = settings.mask_values()
    if mask.dtype == bool:
        return np.where(mask, foreground, background).astype(np.uint8)
    if mask.dtype == np.uint8:
        weight = mask.astype(np.float32) / 255.0
    else:
        weight = np.clip(mask.astype(np.float32), 0.0, 1.0)
    return np.rint(background + (foreground - background) * weight).astype(np.uint8)


def encode(mask: np.ndarray, output_format: str) -> tuple[str, bytes]:
    """(file extension, bytes) of one mask in the artwork's outputFormat."""
    fmt = settings.result_format(output_format)
    mode, _, _ = settings.mask_values()
    buf = io.BytesIO()
    image = Image.fromarray(mask, mode="L").convert(mode)
    if fmt.extension == "webp":
        image.save(buf, format="WEBP", lossless=fmt.lossless, quality=100, method=0 if fmt.lossless else 4)
    else:
        image.save(buf, format="PNG", optimize=False, compress_level=PNG_LEVEL)
    return fmt.extension, buf.getvalue()


def encode_cutout(pixels: np.ndarray, alpha: np.ndarray, output_format: str) -> tuple[str, bytes]:
    """(file extension, bytes) of a remove-background result: the input's RGB with the subject alpha (RGBA)."""
    fmt = settings.result_format(output_format)
    rgb = np.asarray(pixels)[:, :, :3].astype(np.uint8)
    image = Image.fromarray(np.dstack([rgb, np.asarray(alpha, dtype=np.uint8)]), mode="RGBA")
    buf = io.BytesIO()
    if fmt.extension == "webp":
        image.save(buf, format="WEBP", lossless=fmt.lossless, quality=100, method=0 if fmt.lossless else 4)
    else:
        image.save(buf, format="PNG", optimize=False)
    return fmt.extension, buf.getvalue()
