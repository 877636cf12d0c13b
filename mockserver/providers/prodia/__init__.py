"""Prodia v2: ``POST /v2/job`` (SAM 2 / SAM 3 segmentation, multipart in and out) and the async job routes."""

from __future__ import annotations

from ...core.provider import ProviderDef, on_first_call
from .urls import URLS

models = on_first_call(f"{__package__}.models")

PROVIDER = ProviderDef("prodia", URLS, models.ProdiaBackend)
