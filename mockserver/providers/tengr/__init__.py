"""tengr.ai: asynchronous segmentation artworks (create, get, list), their mask files and webhooks."""

from __future__ import annotations

from ...core.provider import ProviderDef, on_first_call
from .urls import URLS

models = on_first_call(f"{__package__}.models")

PROVIDER = ProviderDef("tengr", URLS, models.TengrBackend, jobs=models.job_settings)
