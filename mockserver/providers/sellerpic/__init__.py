"""SellerPic: upload (multipart and legacy presigned), segmentation tasks, status, download URLs, usage."""

from __future__ import annotations

from typing import Any

from ...core.provider import ProviderDef
from ...core.services import Services
from .models import SellerpicBackend
from .settings import settings
from .urls import URLS

# The storage URLs are presigned: the client sends no key to them.
PUBLIC = frozenset({"put-presigned-upload", "get-file"})
_FORM_OVERHEAD = 1_000_000


def _backend(services: Services) -> SellerpicBackend:
    return SellerpicBackend(services)


def _credential(request: Any) -> str | None:
    """The token of ``Authorization: Bearer <token>`` (scheme case-insensitive), or None."""
    scheme, _, token = request.headers.get("Authorization", "").strip().partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None


def _max_body(operation: str) -> int | None:
    """The multipart upload is capped from its Content-Length: the file limit plus form overhead."""
    if operation != "upload-asset":
        return None
    limit = settings().input_limits(operation).max_bytes
    return None if limit is None else limit + _FORM_OVERHEAD


PROVIDER = ProviderDef("sellerpic", URLS, _backend, max_body=_max_body, public=PUBLIC, credential=_credential)
