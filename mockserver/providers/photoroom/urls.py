"""Photoroom's URL map: operationId → handler (paths and methods come from ``specs/photoroom.yaml``)."""

from . import handlers

URLS = {
    "edit-image-get": handlers.edit,
    "edit-image-post": handlers.edit,
    "remove-background": handlers.remove_background,
    "account-details-v2": handlers.account,
    "account-details-v1": handlers.account_v1,
}
