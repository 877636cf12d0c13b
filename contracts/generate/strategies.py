"""Hypothesis strategies for requests to the providers, valid and invalid, built from the specs and rule tables.

>>> from hypothesis import given
>>> from contracts.strategies import valid_requests, invalid_requests
>>> @given(valid_requests("tengr", "create-segmentation-artwork"))
... def test_my_client_sends_what_tengr_accepts(request): ...

- ``valid_requests(provider, operation)`` yields ``contracts.HttpRequest`` objects the provider accepts:
  every required field, a random subset of optional ones, values drawn from each schema (enums, ranges with
  exclusive ends, patterns, number-or-string forms such as ``"30%"`` and ``"100px"``, ``[x, y]`` points in 0..1
  with one label each), the rule table enforced (one image source, nothing a condition forbids), and images
  generated as PNG/JPEG/WebP scenes. URLs the server would fetch are ``data:`` URLs; webhook fields are left
  out (nothing ever leaves the machine).
- ``invalid_requests(provider, operation)`` yields ``InvalidRequest(request, expected, description)``: a valid
  request with exactly one thing broken; ``expected`` is the ``ExpectedViolation`` (parameter and rule)
  ``contracts.validate_request`` must report, and the provider must refuse the request naming it.
- ``boundary_requests(provider, operation, boundary)`` yields requests carrying one documented numeric limit,
  or one step beyond it (``contracts.strategies.boundaries`` lists them from the spec's keywords).
- ``images(provider, operation)`` yields image bytes the operation accepts; ``near_limits=True`` (on any of
  these) draws sides at the documented maximum/minimum instead of the small, fast default.

Every strategy takes ``token`` (the API key put in the spec's auth header) and ``base_url`` (send to the
mock or anywhere else; the default is the provider's real URL, which ``segmock_respx`` answers in-process).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from hypothesis import reject
from hypothesis import strategies as st

from contracts.generate.drafts import Draft, enforce, get_path, protected, repair, set_path
from contracts.generate.mutations import ExpectedViolation, Mutation, mutations
from contracts.generate.values import Context, from_schema
from contracts.generate.values import images as _images
from contracts.openapi.documents import spec as load_spec
from contracts.openapi.examples import auth_headers
from contracts.openapi.fields import Boundary, Field, ImageLimits, boundaries, fields, input_limits, media_types
from contracts.openapi.schemas import is_binary
from contracts.wire.exchange import HttpRequest

__all__ = [
    "Boundary",
    "BoundaryRequest",
    "ExpectedViolation",
    "InvalidRequest",
    "boundaries",
    "boundary_requests",
    "can_be_invalid",
    "check",
    "images",
    "invalid_requests",
    "valid_requests",
]

DEFAULT_TOKEN = "segmock-test-key"
_MAX_OPTIONAL = 6
_STRUCTURAL = ("unknown-field", "oneOf", "anyOf", "required", "type", "const")


@dataclass(frozen=True)
class InvalidRequest:
    """A request built to break exactly one rule: ``expected`` says which, ``description`` how."""

    request: HttpRequest
    expected: ExpectedViolation
    description: str

    def __repr__(self) -> str:
        return f"InvalidRequest({self.request.method} {self.request.path}: {self.description} -> {self.expected})"


@dataclass(frozen=True)
class BoundaryRequest:
    """A request whose ``boundary.path`` is set to ``boundary.value``; accepted or rejected per ``boundary``."""

    request: HttpRequest
    boundary: Boundary


def images(provider: str, operation: str, *, near_limits: bool = False) -> st.SearchStrategy[bytes]:
    """Image bytes within the operation's documented formats and sizes (``x-segmock-*`` limits of its spec)."""
    return _images(input_limits(provider, operation), near_limits=near_limits)


def valid_requests(provider: str, operation: str, *, media_type: str | None = None, near_limits: bool = False,
                   token: str = DEFAULT_TOKEN, base_url: str | None = None, include: Iterable[str] = (),
                   fixed: Mapping[str, Any] | None = None) -> st.SearchStrategy[HttpRequest]:
    """Requests the provider accepts (see the module docstring); ``include`` names optional fields to always
    send, ``fixed`` pins values by path (``{"maskExpand": 0}``)."""
    return _drafts(provider, operation, media_type, near_limits, token, base_url, tuple(include),
                   dict(fixed or {})).map(lambda d: d.request())


def invalid_requests(provider: str, operation: str, *, media_type: str | None = None, token: str = DEFAULT_TOKEN,
                     base_url: str | None = None) -> st.SearchStrategy[InvalidRequest]:
    """Requests with exactly one broken rule, each carrying the ``ExpectedViolation`` it is built to cause."""
    base = _drafts(provider, operation, media_type, False, token, base_url, (), {})

    @st.composite
    def build(draw: st.DrawFn) -> InvalidRequest:
        draft = draw(base)
        options = mutations(draft)
        if not options:
            reject()
        mutation: Mutation = draw(st.sampled_from(options))
        broken = draft.copy()
        new = _new_value(draw, broken, near_limits=False)
        if not mutation.apply(broken, new):
            reject()
        remaining = repair(broken, set(mutation.protect), new)
        if any(not protected(v.parameter, mutation.protect) for v in remaining):
            reject()
        return InvalidRequest(broken.request(), mutation.expected, mutation.description)

    return build()


def boundary_requests(provider: str, operation: str, boundary: Boundary, *, media_type: str | None = None,
                      token: str = DEFAULT_TOKEN, base_url: str | None = None) -> st.SearchStrategy[BoundaryRequest]:
    """Otherwise-valid requests carrying ``boundary.value`` at ``boundary.path``."""
    media = media_type if media_type is not None else _media_with(provider, operation, boundary.field)
    return _drafts(provider, operation, media, False, token, base_url, (boundary.field,),
                   {boundary.path: boundary.value}).map(lambda d: BoundaryRequest(d.request(), boundary))


def can_be_invalid(provider: str, operation: str) -> bool:
    """Whether the contract lets a request to this operation be wrong at all (credentials, a constrained
    field or a cross-field rule); a public file URL with a free-form token cannot."""
    from contracts.generate.drafts import rules_for
    from contracts.openapi.fields import security_header

    if security_header(provider, operation) or rules_for(provider, operation):
        return True
    medias: list[str | None] = [*media_types(provider, operation)] or [None]
    for media in medias:
        for f in fields(provider, operation, media):
            if not f.name or is_binary(f.schema):
                continue
            if f.location != "path" and (f.required or _constrained(f.schema)):
                return True
            if f.location == "path" and "pattern" in f.schema:
                return True
    return False


def _constrained(schema: Any) -> bool:
    keys = {"enum", "const", "pattern", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "minLength",
            "maxLength", "minItems", "maxItems", "oneOf", "anyOf", "required", "format"}
    if not isinstance(schema, dict):
        return False
    if keys & set(schema) or schema.get("type") in ("number", "integer", "boolean"):
        return True
    return any(_constrained(v) for v in (schema.get("properties") or {}).values())


def _media_with(provider: str, operation: str, name: str) -> str | None:
    for media in media_types(provider, operation):
        if any(f.name == name for f in fields(provider, operation, media)):
            return media
    return None


# -- drafts ------------------------------------------------------------------------------------------------

def _excluded(f: Field) -> bool:
    """Fields valid requests leave out: callbacks the server would deliver off the machine, and object/list
    values in a query or form field (their text encoding is undocumented)."""
    if "webhook" in f.name.lower() or "callback" in f.name.lower():
        return True
    types = f.schema.get("type")
    return f.on_the_wire_as_text and f.location != "form" and types in ("object", "array") or (
        f.location in ("query", "form") and types == "object" and "properties" not in f.schema)


def _drafts(provider: str, operation: str, media_type: str | None, near_limits: bool, token: str,
            base_url: str | None, include: tuple[str, ...], fixed: dict[str, Any]) -> st.SearchStrategy[Draft]:
    declared: list[str | None] = [*media_types(provider, operation)] or [None]
    choices = [media_type] if media_type is not None else declared
    spec = load_spec(provider)
    op = spec.operations[operation]
    headers = auth_headers(spec, token) if op.node.get("security", spec.raw.get("security")) else {}

    @st.composite
    def build(draw: st.DrawFn) -> Draft:
        media = draw(st.sampled_from(choices))
        catalogue = {f.name: f for f in fields(provider, operation, media)}
        draft = Draft(provider, operation, media, catalogue, {}, dict(headers), base_url)
        new = _new_value(draw, draft, near_limits)
        optional = sorted(n for n, f in catalogue.items() if not f.required and not _excluded(f) and n not in include)
        chosen = draw(st.sets(st.sampled_from(optional), max_size=_MAX_OPTIONAL)) if optional else set()
        for name, f in catalogue.items():
            if f.required or name in chosen or name in include:
                draft.values[name] = new(name)
        keep = {*include, *fixed}
        enforce(draft, keep, new, lambda names: draw(st.sampled_from(names)))
        for path, value in fixed.items():
            parent = re.sub(r"(\.[^.\[\]]+|\[\d+\])$", "", path)
            if path not in catalogue and parent != path and not _holds(draft.values, parent):
                reject()  # this draw has no container at that path (an empty list of points, another branch)
            set_path(draft.values, path, value, catalogue)
        remaining = repair(draft, keep, new)
        if any(not protected(v.parameter, keep) or v.rule in _STRUCTURAL and fixed and (
                v.parameter not in fixed or v.rule not in ("type", "const")) for v in remaining):
            reject()
        return draft

    return build()


def _holds(values: dict[str, Any], path: str) -> bool:
    try:
        return isinstance(get_path(values, path), (dict, list))
    except (KeyError, IndexError, TypeError):
        return False


def _new_value(draw: st.DrawFn, draft: Draft, near_limits: bool) -> Any:
    limits: ImageLimits = input_limits(draft.provider, draft.operation)

    def new(name: str) -> Any:
        f = draft.fields[name]
        return draw(from_schema(f.schema, Context(limits, f.location, near_limits), name))

    return new


def check(request: HttpRequest | InvalidRequest, provider: str) -> list[Any]:
    """The errors ``validate_request`` reports for a generated request (handy in assertions)."""
    req = request.request if isinstance(request, InvalidRequest) else request
    from contracts.check.validation import validate_request

    return [v for v in validate_request(provider, req) if v.severity == "error"]

