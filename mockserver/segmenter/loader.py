"""Plug in another segmenter (a real model, say) with ``module:factory``, without touching provider code."""

from __future__ import annotations

import importlib

from .protocol import Segmenter


def load_segmenter(spec: str) -> Segmenter:
    """Import ``module:factory``, call the factory, and check the result speaks the ``Segmenter`` protocol."""
    module_name, sep, attr = spec.partition(":")
    if not sep or not module_name or not attr:
        raise ValueError(f"segmenter must be given as module:factory, got {spec!r}")
    factory = getattr(importlib.import_module(module_name), attr)
    segmenter = factory() if callable(factory) and not isinstance(factory, Segmenter) else factory
    if not isinstance(segmenter, Segmenter):
        missing = [m for m in ("salient", "everything", "text", "points") if not callable(getattr(segmenter, m, None))]
        raise TypeError(f"{spec} does not implement the Segmenter protocol (missing: {', '.join(missing)})")
    return segmenter
