"""Photoroom's URL map: operationId → handler (paths and methods come from ``specs/photoroom.yaml``)."""

from __future__ import annotations

from ...core.provider import on_first_call

handlers = on_first_call(f"{__package__}.handlers")

URLS = {
    "edit-image-get": handlers.edit,
    "edit-image-post": handlers.edit,
    "remove-background": handlers.remove_background,
    "account-details-v2": handlers.account,
    "account-details-v1": handlers.account_v1,
}
