"""tengr.ai: asynchronous segmentation artworks (create, get, list), their mask files and webhooks."""

from __future__ import annotations

from ...core.provider import ProviderDef
from .models import TengrBackend, job_settings
from .urls import URLS

PROVIDER = ProviderDef("tengr", URLS, TengrBackend, jobs=job_settings)
