"""Operator test helpers: the key the operator tests use, a packshot, a stand-in segmenter.

The stand-in segmenter (non-white pixels are the subject) keeps these tests about the journal, faults and
inspector, independent of the reference segmenter's tuning.
"""

from __future__ import annotations

import io
import types
from typing import Any

import numpy as np
from PIL import Image

KEY = {"x-api-key": "sk_test_operator"}


class WhiteBackgroundSegmenter:
    """Everything not near-white is the subject."""

    def salient(self, image: np.ndarray, *, use_alpha: bool = False) -> Any:
        alpha = (np.asarray(image)[..., :3].min(axis=2) < 240).astype(np.uint8) * 255
        return types.SimpleNamespace(alpha=alpha, mask=alpha > 0, box=(0, 0, 1, 1), score=1.0)


def packshot(width: int = 96, height: int = 64) -> bytes:
    """A red square on white, centred (left and right thirds are background)."""
    img = Image.new("RGB", (width, height), (255, 255, 255))
    img.paste((200, 30, 30), (width // 3, height // 4, 2 * width // 3, 3 * height // 4))
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return buf.getvalue()
