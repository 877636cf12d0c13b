"""Photoroom: ``/v2/edit`` (GET and POST), ``/v1/segment`` and ``/v2/account``."""

from __future__ import annotations

from ...core.provider import ProviderDef, on_first_call
from .urls import URLS

models = on_first_call(f"{__package__}.models")

PROVIDER = ProviderDef("photoroom", URLS, models.PhotoroomBackend, max_body=models.max_body)
