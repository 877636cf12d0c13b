"""tengr.ai: asynchronous segmentation artworks (create, get, list), their mask files and webhooks."""

from __future__ import annotations

from typing import Any

from ...core.provider import ProviderDef
from ...core.services import Services
from .models import TengrBackend, job_settings
from .urls import URLS

JOBS = job_settings


def _backend(services: Services) -> TengrBackend:
    return TengrBackend(services)


def _credential(request: Any) -> str | None:
    """The key of ``Authorization: Bearer <key>`` (None when absent, blank or another scheme)."""
    scheme, _, key = request.headers.get("Authorization", "").partition(" ")
    return key.strip() or None if scheme.lower() == "bearer" else None


PROVIDER = ProviderDef("tengr", URLS, _backend, public=frozenset({"get-artwork-result"}), credential=_credential)
