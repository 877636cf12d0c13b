"""A provider's request budget: how much a single request may make the mock read and parse.

Read from the spec's top-level ``x-segmock-request-budget`` (documented figures where the provider gives them,
each chosen one recorded there as an ``x-segmock-assumption``), so a small request never buys big work:
bodies are capped before they are read, JSON nesting before it is parsed, free text before it is segmented.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from contracts.openapi.documents import spec as load_spec
from contracts.openapi.schemas import is_binary
from contracts.wire.jsonbody import MAX_DEPTH


@dataclass(frozen=True)
class RequestBudget:
    """``max_body_bytes``: any body that carries no uploaded file (JSON, urlencoded, text parts);
    ``max_upload_body_bytes``: a multipart or raw body that does (its own per-file limits still apply);
    ``max_json_depth``: nesting of a JSON body or JSON-valued part; ``max_form_parts``: parts of a form;
    ``max_text_chars``: length of each free-text field in ``text_fields`` (prompts)."""

    max_body_bytes: int = 1_000_000
    max_upload_body_bytes: int | None = None
    max_json_depth: int = MAX_DEPTH
    max_form_parts: int = 1_000
    max_text_chars: int | None = None
    text_fields: tuple[str, ...] = ()

    def body_limit(self, uploads: bool) -> int:
        """The byte limit of a request body, depending on whether the operation takes uploaded files."""
        if uploads and self.max_upload_body_bytes is not None:
            return self.max_upload_body_bytes
        return self.max_body_bytes


@functools.cache
def request_budget(provider: str) -> RequestBudget:
    """The provider's budget (defaults for anything its spec leaves out)."""
    raw = load_spec(provider).raw.get("x-segmock-request-budget") or {}
    known = {k: v for k, v in raw.items() if k in RequestBudget.__dataclass_fields__}
    if "text_fields" in known:
        known["text_fields"] = tuple(known["text_fields"])
    return RequestBudget(**known)


@functools.cache
def takes_uploads(provider: str, operation: str) -> bool:
    """Whether the operation's body can carry a file: a raw image body, or a form part of binary type."""
    spec = load_spec(provider)
    body = spec.resolve(spec.operations[operation].node.get("requestBody") or {})
    for media, node in (body.get("content") or {}).items():
        if media.startswith("image/") or media == "application/octet-stream":
            return True
        props = spec.resolve((node or {}).get("schema") or {}).get("properties") or {}
        for prop in props.values():
            prop = spec.resolve(prop)
            items = spec.resolve(prop.get("items") or {}) if isinstance(prop, dict) else {}
            if is_binary(prop) or is_binary(items):
                return True
    return False
