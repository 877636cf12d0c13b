"""The error a status fault answers with, in the shape the provider really uses.

The provider's error catalog (``x-segmock-errors``) is the source: an explicit ``error`` key, else the
conventional key for the status (``rate_limited`` for 429, ``credits_exhausted`` for 402 …), else any
catalog entry with that status, else the provider's ``server_error`` body carrying the requested status and
its reason phrase (a 502/503 from the provider's edge keeps the provider's body format). A rule covering
several providers may name an error key only some of them list; the others answer by status.
"""

from __future__ import annotations

from http import HTTPStatus

import contracts
from contracts.check.providers import error_response

from .faults import FaultRule

CONVENTIONAL = {
    402: ("credits_exhausted", "insufficient_credits"),
    429: ("rate_limited",),
    500: ("server_error",),
    401: ("auth_invalid",),
    403: ("forbidden", "auth_invalid"),
    404: ("not_found",),
    400: ("validation",),
}
DEFAULT_RETRY_AFTER = 1


def catalog_key(provider: str, status: int) -> str | None:
    """The catalog entry that best describes ``status`` for this provider (None: no entry has it)."""
    catalog = contracts.spec(provider).errors
    for key in CONVENTIONAL.get(status, ()):
        if key in catalog:
            return key
    for key, entry in catalog.items():
        if "." not in key and isinstance(entry, dict) and entry.get("status") == status:
            return key
    return None


def fault_answer(provider: str, operation: str, rule: FaultRule) -> contracts.HttpResponse:
    """The provider-shaped error response a ``status`` rule asks for."""
    catalog = contracts.spec(provider).errors
    fields: dict[str, object] = {}
    key = rule.error if rule.error in catalog else None  # a rule for every provider may name one's key
    if key is None:
        key = catalog_key(provider, int(rule.status or 500))
        if key is None:
            key = "server_error"
            fields["message"] = _reason(int(rule.status or 500))
    status = rule.status if rule.status is not None else int(catalog[key].get("status", 500))
    if rule.status is not None:
        fields["status"] = rule.status
    if status == 429 or rule.retry_after is not None:
        fields["headers"] = {"Retry-After": str(rule.retry_after if rule.retry_after is not None
                                                else DEFAULT_RETRY_AFTER)}
    return error_response(provider, key, operation, **fields)


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return f"HTTP {status}"

