"""segmock: offline, deterministic mocks of text-guided image-segmentation APIs.

``create_app`` and ``MockConfig`` are imported lazily so that ``import mockserver.segmenter`` or
``mockserver.jobs`` (in worker processes, or a user's own tests) does not pay for Flask and openapi-core.
"""

from __future__ import annotations

from typing import Any

__all__ = ["MockConfig", "create_app"]


def __getattr__(name: str) -> Any:
    if name == "create_app":
        from .app import create_app

        return create_app
    if name == "MockConfig":
        from .config import MockConfig

        return MockConfig
    raise AttributeError(name)
