"""Prodia v2: ``POST /v2/job`` (SAM 2 / SAM 3 segmentation, multipart in and out) and the async job routes."""

from __future__ import annotations

from typing import Any

from ...core.provider import ProviderDef
from ...core.services import Services
from .models import ProdiaBackend
from .urls import URLS


def _backend(services: Services) -> ProdiaBackend:
    return ProdiaBackend(services)


def _credential(request: Any) -> str | None:
    """The bearer token (``Authorization: Bearer <token>``); anything else is no credential."""
    scheme, _, token = (request.headers.get("Authorization") or "").partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None


PROVIDER = ProviderDef("prodia", URLS, _backend, credential=_credential)
