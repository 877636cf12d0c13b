"""Helpers the provider modules share to build their error responses from the spec's error catalog."""

from __future__ import annotations

import hashlib
import json
import uuid
from typing import Any

from werkzeug.datastructures import Headers

from contracts.check.violations import Violation, errors_only
from contracts.openapi.documents import spec
from contracts.wire.exchange import HttpResponse


def catalog_entry(provider: str, key: str) -> dict[str, Any]:
    """An entry of ``x-segmock-errors`` (``{}`` when the provider does not list it)."""
    entry = spec(provider).errors.get(key)
    return dict(entry) if isinstance(entry, dict) else {}


def first_error(violations: list[Violation]) -> Violation | None:
    errors = errors_only(violations)
    return errors[0] if errors else None


def catalog_key(violation: Violation | None) -> str:
    """Which catalog entry answers a violation: auth problems and everything else (validation)."""
    if violation is not None and violation.rule == "auth":
        return "auth_missing"
    return "validation"


def json_response(status: int, body: Any, headers: dict[str, str] | None = None) -> HttpResponse:
    data = json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()
    return HttpResponse(status, Headers({"Content-Type": "application/json", **(headers or {})}), data)


def stable_hex(*parts: Any, length: int = 32) -> str:
    """A deterministic id from the given parts (same request, same id, on any machine)."""
    digest = hashlib.sha256("\x1f".join(str(p) for p in parts).encode()).hexdigest()
    return digest[:length]


def stable_uuid(*parts: Any) -> str:
    return str(uuid.UUID(stable_hex(*parts), version=4))
