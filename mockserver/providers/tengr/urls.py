"""tengr's URL map: operationId → handler (paths and methods come from ``specs/tengr.yaml``)."""

from __future__ import annotations

from ...core.provider import on_first_call

handlers = on_first_call(f"{__package__}.handlers")

URLS = {
    "create-segmentation-artwork": handlers.create,
    "get-artwork": handlers.get,
    "list-artworks": handlers.list_artworks,
    "get-artwork-result": handlers.result,
    "create-remove-background-artwork": handlers.create_remove_background,
    "rotate-webhook-secret": handlers.rotate_webhook_secret,
}
