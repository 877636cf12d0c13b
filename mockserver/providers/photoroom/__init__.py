"""Photoroom: ``/v2/edit`` (GET and POST), ``/v1/segment`` and ``/v2/account``."""

from __future__ import annotations

from ...core.provider import ProviderDef
from .models import PhotoroomBackend, max_body
from .urls import URLS

PROVIDER = ProviderDef("photoroom", URLS, PhotoroomBackend, max_body=max_body)
