"""Photoroom: cross-field rules of ``/v2/edit``, error phrasing, and the v1/v2 error bodies."""

from __future__ import annotations

from typing import Any

from contracts.check.errors import catalog_entry, catalog_key, first_error, json_response
from contracts.check.phrasing import phrase as fill
from contracts.check.rules import (
    Custom,
    ExactlyOne,
    Exclusive,
    Finding,
    ForbiddenWhen,
    Not,
    RequiredWhen,
    equals,
    sent,
)
from contracts.check.violations import Violation
from contracts.wire.exchange import HttpResponse

EDIT = ("edit-image-get", "edit-image-post")
V1_OPERATIONS = ("remove-background",)

# The fields whose docs say "Can't be provided if `removeBackground` is set to `false`" (background.color no
# longer: it now fills padding and transparent areas). URL fields are GET fields, files POST fields: a field the
# operation does not declare is an unsupported attribute, ignored, so it must not trip a rule either.
_NEEDS_REMOVED_BACKGROUND = ("background.prompt", "referenceBox", "ignorePaddingAndSnapOnCroppedSides")
_GET_ONLY = ("background.imageUrl", "background.guidance.imageUrl")
_POST_ONLY = ("background.imageFile", "background.guidance.imageFile")


def _get_takes_urls_only(values: dict[str, Any], ctx: Any) -> list[Finding]:
    """GET /v2/edit accepts ``imageUrl`` only: file fields cannot travel in a query string."""
    return [Finding(name, "forbidden", {"when": "the GET endpoint is used (it accepts imageUrl only)"})
            for name in ("imageFile", "background.imageFile", "background.guidance.imageFile")
            if name in ctx.request.query]


def _ratio(value: Any) -> float | None:
    """A padding/margin value as a fraction of the side (None for px values, which depend on the size)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, str) and value.endswith("%"):
        try:
            return float(value[:-1]) / 100
        except ValueError:
            return None
    return None


def _room_left(values: dict[str, Any], ctx: Any) -> list[Finding]:
    """Padding plus margin must leave room for the subject on each axis (ratio and percent forms)."""
    out = []
    for side_a, side_b in (("Left", "Right"), ("Top", "Bottom")):
        total = 0.0
        for side in (side_a, side_b):
            for kind in ("padding", "margin"):
                value = values.get(f"{kind}{side}", values.get(kind))
                total += _ratio(value) or 0.0
        if total >= 1.0:
            out.append(Finding("padding" if "padding" in values else "margin", "no-room",
                               {"value": round(total, 4)}))
    return out


def _subject_mismatch(values: dict[str, Any], ctx: Any) -> list[Finding]:
    """``beautify.onSubjectMismatch=error`` is itself refused with any mode but ``ai.food`` (the only one with a
    subject check)."""
    mode = values.get("beautify.mode")
    if values.get("beautify.onSubjectMismatch") == "error" and mode is not None and mode != "ai.food":
        return [Finding("beautify.onSubjectMismatch", "forbidden", {"when": f"beautify.mode is {mode}"})]
    return []


def _colour_space(values: dict[str, Any], ctx: Any) -> list[Finding]:
    """``colorSpace=original`` is only valid for a pure PNG cutout: the first conflicting parameter is named."""
    if values.get("colorSpace") != "original":
        return []
    schema = ctx.spec.resolve(ctx.spec.raw["components"]["schemas"]["EditParams"])["properties"]["colorSpace"]
    for conflict in ctx.spec.resolve(schema).get("x-segmock-conflicts-with-original", []):
        name, when = conflict["name"], conflict.get("when")
        if name not in values:
            continue
        value = values[name]
        if when is None or _conflicts(value, when):
            return [Finding("colorSpace", "colour-space", {"with": name})]
    return []


def _conflicts(value: Any, when: Any) -> bool:
    if when == "not-png":
        return str(value).lower() != "png"
    if when == "not-default":
        return value not in ("auto", "originalImage")
    if when == "false":
        return value is False
    return value in (when if isinstance(when, list) else [when])


def _output_size(values: dict[str, Any], ctx: Any) -> list[Finding]:
    size = values.get("outputSize")
    if isinstance(size, str) and "x" in size and size.replace("x", "", 1).isdigit():
        width, height = size.split("x")
        if not width.strip("0") or not height.strip("0"):  # zero, read without int() (no digit-count limit)
            return [Finding("outputSize", "zero-size", {"value": size})]
    return []


RULES = [
    Exclusive(("edit-image-get",), ("background.imageUrl", "background.prompt")),
    Exclusive(("edit-image-post",), ("background.imageFile", "background.prompt")),
    ForbiddenWhen(EDIT, _NEEDS_REMOVED_BACKGROUND, equals("removeBackground", False)),
    ForbiddenWhen(("edit-image-get",), _GET_ONLY, equals("removeBackground", False)),
    ForbiddenWhen(("edit-image-post",), _POST_ONLY, equals("removeBackground", False)),
    ForbiddenWhen(EDIT, ("maxWidth", "maxHeight"), Not(equals("outputSize", "originalImage", "croppedSubject"))),
    ForbiddenWhen(("edit-image-get",), ("background.scaling",), Not(sent("background.imageUrl"))),
    ForbiddenWhen(("edit-image-post",), ("background.scaling",), Not(sent("background.imageFile"))),
    ForbiddenWhen(("edit-image-get",), ("scaling",), Not(sent("imageUrl"))),
    ForbiddenWhen(("edit-image-post",), ("scaling",), Not(sent("imageFile"))),
    Custom(("edit-image-get",), _get_takes_urls_only),
    ExactlyOne(("edit-image-get",), ("imageUrl", "imageFromPrompt.prompt")),
    ExactlyOne(("edit-image-post",), ("imageFile", "imageFromPrompt.prompt")),
    Custom(EDIT, _subject_mismatch),
    Custom(EDIT, _colour_space),
    RequiredWhen(EDIT, ("segmentation.prompt",), sent("segmentation.negativePrompt")),
    Custom(EDIT, _room_left),
    Custom(EDIT, _output_size),
]

TEMPLATES = {
    "required": "{name}: must be provided",
    "empty": "{name}: must be provided",
    "one-of-required": "imageFile: must be provided",
    "type": "{name} must be {expected}",
    "enum": "{name} must be one of {choices}",
    "oneOf": ("{name} must be a number between 0 and 0.49, a percentage string (e.g. \"30%\")"
              " or a pixel value (e.g. \"100px\")"),
    "anyOf": "{name} is invalid",
    "pattern": "{name} has an invalid format",
    "forbidden": "{name} can't be provided if {when}",
    "exclusive": "{name} can't be provided together with {with}",
    "auth": "Forbidden",
    "no-room": "padding and margin leave no room for the subject",
    "zero-size": "outputSize must have a non-zero width and height",
    "colour-space": "colorSpace original can't be combined with {with}",
}
TYPE_WORDS = {"number": "number", "integer": "integer", "boolean": "boolean", "string": "string",
              "object": "object", "array": "array"}


def phrase(rule: str, parameter: str | None, location: str, detail: dict[str, Any]) -> str:
    if rule == "one-of-required" and detail.get("names", [None])[0] == "imageUrl":
        return "imageUrl: must be provided"
    if rule == "anyOf" and _positioning_length(detail.get("limit")):
        rule = "oneOf"  # padding/margin: say which forms are accepted, as the field's documentation does
    return fill(TEMPLATES, rule, parameter, detail, TYPE_WORDS)


def _positioning_length(branches: Any) -> bool:
    """Whether failed ``anyOf`` branches are the spec's PositioningLength (ratio, percentage, pixels)."""
    return isinstance(branches, list) and any(isinstance(b, dict) and str(b.get("pattern", "")).endswith("px$")
                                              for b in branches)


def _family(operation: str | None) -> str:
    return "v1" if operation in V1_OPERATIONS else "v2"


def _entry(key: str, operation: str | None) -> dict[str, Any]:
    return catalog_entry("photoroom", f"{_family(operation)}.{key}") or catalog_entry("photoroom", key)


def render(violations: list[Violation], operation: str | None) -> HttpResponse:
    """A 400 (or the auth status) in Photoroom's shape, naming the first offending parameter."""
    first = first_error(violations)
    key = _missing_image_key(first, operation) or catalog_key(first)
    entry = _entry(key, operation)
    status = int(entry.get("status", 403 if key == "auth_missing" else 400))
    message = first.message if first is not None and key == "validation" else entry.get("message", "Bad Request")
    kind = entry.get("type", "invalid_request" if key == "validation" else "forbidden")
    return _body(status, message, operation, kind)


def _missing_image_key(first: Violation | None, operation: str | None) -> str | None:
    """No image at all has its own documented answers (v1: "Please provide an image.")."""
    if first is None:
        return None
    if operation in V1_OPERATIONS and (first.rule == "required-body" or first.parameter == "image_file"
                                       and first.rule in ("required", "empty")):
        return "missing_image"
    if first.rule == "one-of-required":
        return "missing_image_url" if operation == "edit-image-get" else "missing_image"
    return None


def render_key(key: str, operation: str | None = None, **fields: Any) -> HttpResponse:
    entry = _entry(key, operation)
    status = int(fields.pop("status", entry.get("status", 400)))
    message = fields.pop("message", entry.get("message", ""))
    headers = fields.pop("headers", {})
    return _body(status, message, operation, fields.pop("type", entry.get("type", key)), headers)


def _body(status: int, message: str, operation: str | None, kind: str,
          headers: dict[str, str] | None = None) -> HttpResponse:
    if _family(operation) == "v1":
        return json_response(status, {"detail": message, "status_code": status, "type": kind}, headers)
    inner = {"detail": message} if status == 402 else {"message": message}
    return json_response(status, {"error": inner}, headers)

