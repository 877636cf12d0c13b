"""The reference segmenter: deterministic, content-aware masks computed with numpy and Pillow.

Providers talk to a ``Segmenter`` (``salient``, ``everything``, ``text``, ``points``); ``ReferenceSegmenter``
is the default and ``load_segmenter("module:factory")`` plugs in another one. ``scenes`` makes synthetic
images with ground truth for tests; ``photoset`` scores a segmenter on real photos with rough ground truth.
"""

from contracts.generate import scenes

from .loader import load_segmenter
from .postprocess import combine, expand_mask, feather_mask, refine
from .protocol import Detection, SalientResult, Segmenter, mask_box
from .reference import ReferenceSegmenter

__all__ = [
    "Detection",
    "ReferenceSegmenter",
    "SalientResult",
    "Segmenter",
    "combine",
    "expand_mask",
    "feather_mask",
    "load_segmenter",
    "mask_box",
    "refine",
    "scenes",
]
