"""SellerPic: upload (multipart and legacy presigned), segmentation tasks, status, download URLs, usage."""

from __future__ import annotations

from ...core.provider import ProviderDef, on_first_call
from .settings import settings
from .urls import URLS

models = on_first_call(f"{__package__}.models")

_FORM_OVERHEAD = 1_000_000


def _max_body(operation: str) -> int | None:
    """The multipart upload is capped from its Content-Length: the file limit plus form overhead."""
    if operation != "upload-asset":
        return None
    limit = settings().input_limits(operation).max_bytes
    return None if limit is None else limit + _FORM_OVERHEAD


PROVIDER = ProviderDef("sellerpic", URLS, models.SellerpicBackend, max_body=_max_body)
