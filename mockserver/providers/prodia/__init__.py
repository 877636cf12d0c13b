"""Prodia v2: ``POST /v2/job`` (SAM 2 / SAM 3 segmentation, multipart in and out) and the async job routes."""

from __future__ import annotations

from ...core.provider import ProviderDef
from .models import ProdiaBackend
from .urls import URLS

PROVIDER = ProviderDef("prodia", URLS, ProdiaBackend)
