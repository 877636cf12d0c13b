"""segmock: offline, deterministic mocks of text-guided image-segmentation APIs."""

from .app import create_app
from .config import MockConfig

__all__ = ["MockConfig", "create_app"]
