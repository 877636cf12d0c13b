"""Per-provider contract knowledge that OpenAPI cannot hold: rule tables, phrasing, error rendering.

Each provider module defines ``RULES`` (its cross-field rule table), ``phrase(rule, parameter, location,
detail)`` and ``render(violations, operation)`` (violations → the provider's documented error response).
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any

from contracts.check.violations import Violation
from contracts.wire.exchange import HttpResponse


def provider_module(name: str) -> ModuleType:
    """The contract module of provider ``name``."""
    return importlib.import_module(f"{__name__}.{name}")


def render_error(provider: str, violations: list[Violation], operation: str | None = None) -> HttpResponse:
    """The error response the provider sends for these violations (its status, content type and body)."""
    return provider_module(provider).render(violations, operation)


def error_response(provider: str, key: str, operation: str | None = None, **fields: Any) -> HttpResponse:
    """The response for a named entry of the provider's error catalog (``x-segmock-errors``)."""
    return provider_module(provider).render_key(key, operation, **fields)
