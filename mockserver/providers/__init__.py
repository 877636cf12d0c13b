"""The provider folders, one per spec; :mod:`mockserver.core.registry` finds and loads them."""

from __future__ import annotations

from ..core.registry import available, load

__all__ = ["available", "load"]
