"""Photoroom: ``/v2/edit`` (GET and POST), ``/v1/segment`` and ``/v2/account``."""

from __future__ import annotations

from typing import Any

from ...core.provider import ProviderDef
from ...core.services import Services
from .models import PhotoroomBackend, max_body
from .urls import URLS


def _backend(services: Services) -> PhotoroomBackend:
    return PhotoroomBackend(services)


def _credential(request: Any) -> str | None:
    return request.headers.get("x-api-key") or None


PROVIDER = ProviderDef("photoroom", URLS, _backend, max_body=max_body, credential=_credential)
