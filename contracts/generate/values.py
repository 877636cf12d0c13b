"""Hypothesis strategies for single values, from JSON Schema nodes of a provider spec, and for images.

Values are typed Python values (``0.1``, ``True``, ``{"points": [[0.5, 0.5]]}``, image ``bytes``); the draft
renders them on the wire. Images are scenes from ``contracts.generate.scenes`` (objects on plain,
gradient, noisy or packshot backgrounds), encoded as PNG, JPEG or WebP, small unless asked otherwise.
"""

from __future__ import annotations

import base64
import io
import math
import re
import string
from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st
from PIL import Image

from contracts.openapi.fields import ImageLimits
from contracts.openapi.schemas import is_binary, schema_types

_SMALL_SIDE = 16
_SMALL_SPAN = 64
_QUERY_SIDE = 40  # a data: URL in a query string stays under the 4 KiB request line servers allow
_TEXT = string.ascii_letters + string.digits + " ,.-" + "éüß猫"
_URL_NAME = re.compile(r"url$", re.IGNORECASE)


@dataclass(frozen=True)
class Context:
    """Where a value goes: image limits of the operation, whether it travels as text, and in which place."""

    limits: ImageLimits
    location: str = "json"
    near_limits: bool = False

    @property
    def text_wire(self) -> bool:
        return self.location in ("query", "header", "path", "form")


def from_schema(schema: Any, ctx: Context, name: str = "") -> st.SearchStrategy[Any]:
    """Values the schema accepts (enums, bounds with exclusive ends, patterns, nested objects, images)."""
    if not isinstance(schema, dict):
        return st.just("x")
    if "const" in schema:
        return st.just(schema["const"])
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    branches = schema.get("oneOf") or schema.get("anyOf")
    if branches:
        base = {k: v for k, v in schema.items() if k not in ("oneOf", "anyOf", "discriminator")}
        merged = [{**base, **b} for b in branches if isinstance(b, dict)]
        if ctx.text_wire:  # objects and lists have no agreed text form in a query or form field
            merged = [b for b in merged if not {"object", "array"} & set(schema_types(b))] or merged
        return st.one_of([from_schema(b, ctx, name) for b in merged])
    if "allOf" in schema:
        return from_schema(_merge_all_of(schema), ctx, name)
    if is_binary(schema):
        return images(ctx.limits, near_limits=ctx.near_limits)
    types = schema_types(schema) or ["string"]
    types = [t for t in types if t != "null"] or ["null"]
    if len(types) > 1:
        return st.one_of([from_schema({**schema, "type": t}, ctx, name) for t in types])
    kind = types[0]
    if kind == "integer":
        return _integers(schema)
    if kind == "number":
        return _numbers(schema)
    if kind == "boolean":
        return st.booleans()
    if kind == "null":
        return st.none()
    if kind == "array":
        return _arrays(schema, ctx, name)
    if kind == "object":
        return _objects(schema, ctx)
    return _strings(schema, ctx, name)


def _merge_all_of(schema: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {k: v for k, v in schema.items() if k != "allOf"}
    for part in schema["allOf"]:
        if not isinstance(part, dict):
            continue
        for key, value in part.items():
            if key == "properties":
                out["properties"] = {**out.get("properties", {}), **value}
            elif key == "required":
                out["required"] = sorted({*out.get("required", []), *value})
            else:
                out.setdefault(key, value)
    return out


def _integers(schema: dict[str, Any]) -> st.SearchStrategy[int]:
    low, high = _bounds(schema, integer=True)
    if low is None and high is None:
        return st.integers(0 if schema.get("format") == "int64" else -(2 ** 31), 2 ** 31)
    return st.integers(low, high)


def _bounds(schema: dict[str, Any], integer: bool) -> tuple[Any, Any]:
    low, high = schema.get("minimum"), schema.get("maximum")
    if "exclusiveMinimum" in schema:
        low = schema["exclusiveMinimum"] + 1 if integer else schema["exclusiveMinimum"]
    if "exclusiveMaximum" in schema:
        high = schema["exclusiveMaximum"] - 1 if integer else schema["exclusiveMaximum"]
    if integer:
        low = None if low is None else int(-(-low // 1))
        high = None if high is None else int(high // 1)
    return low, high


def _numbers(schema: dict[str, Any]) -> st.SearchStrategy[float | int]:
    low, high = _bounds(schema, integer=False)
    floats = st.floats(min_value=-1e6 if low is None else low, max_value=1e6 if high is None else high,
                       exclude_min="exclusiveMinimum" in schema, exclude_max="exclusiveMaximum" in schema,
                       allow_nan=False, allow_infinity=False, allow_subnormal=False)
    whole = [v for v in (low, high) if v is not None and float(v).is_integer()]
    ints = st.integers(int(low) if low is not None else -10 ** 6, int(high) if high is not None else 10 ** 6)
    if low is not None and high is not None and int(high) < int(low) + ("exclusiveMinimum" in schema):
        return floats
    lo_ok = ints.filter(lambda v: ("exclusiveMinimum" not in schema or v > low) and
                        ("exclusiveMaximum" not in schema or v < high))
    return st.one_of(floats, lo_ok) if whole or (low is None and high is None) else floats


def _strings(schema: dict[str, Any], ctx: Context, name: str) -> st.SearchStrategy[str]:
    fmt = schema.get("format")
    if _URL_NAME.search(name.split(".")[-1]) or (fmt == "uri" and "image" in name.lower()):
        return image_urls(ctx.limits, tiny=ctx.location == "query")
    if fmt == "uuid":
        return st.uuids().map(str)
    if fmt == "uri":
        return st.from_regex(r"https://example\.com/[a-z0-9]{1,12}", fullmatch=True)
    if fmt == "date-time":
        return st.datetimes().map(lambda d: d.isoformat() + "Z")
    if "pattern" in schema:
        pattern = re.compile(schema["pattern"], re.ASCII)
        return st.from_regex(pattern, fullmatch=True).map(lambda s: _small_numbers(s, pattern))
    low = max(int(schema.get("minLength", 1)), 1)
    high = max(low, min(int(schema.get("maxLength", 24)), low + 24))
    alphabet = string.ascii_letters + string.digits + " -" if ctx.location == "header" else _TEXT
    head = st.sampled_from(string.ascii_letters)
    return st.tuples(head, st.text(alphabet, min_size=low - 1, max_size=high - 1)).map("".join)


def _small_numbers(value: str, pattern: re.Pattern[str]) -> str:
    """Patterned strings keep embedded numbers short (``\\d+x\\d+`` sizes stay renderable by default)."""
    shorter = re.sub(r"\d{4,}", lambda m: m.group()[:3].lstrip("0") or "1", value)
    return shorter if pattern.fullmatch(shorter) else value


def _arrays(schema: dict[str, Any], ctx: Context, name: str) -> st.SearchStrategy[list[Any]]:
    low = int(schema.get("minItems", 0))
    high = int(schema.get("maxItems", low + 3))
    if is_binary(schema.get("items")):
        high = min(high, low + 1)
    return st.lists(from_schema(schema.get("items", {}), ctx, name), min_size=low, max_size=max(low, high))


def _objects(schema: dict[str, Any], ctx: Context) -> st.SearchStrategy[dict[str, Any]]:
    props: dict[str, Any] = schema.get("properties") or {}
    required = [n for n in schema.get("required", []) if n in props]
    optional = [n for n in props if n not in required]

    @st.composite
    def build(draw: st.DrawFn) -> dict[str, Any]:
        chosen = draw(st.sets(st.sampled_from(optional), max_size=len(optional))) if optional else set()
        out = {n: draw(from_schema(props[n], ctx, n)) for n in props if n in required or n in chosen}
        return pair_labels(out, draw, props)

    return build()


def pair_labels(value: dict[str, Any], draw: st.DrawFn, props: dict[str, Any]) -> dict[str, Any]:
    """Point prompts carry one label per point (the SAM convention the rule tables check)."""
    points, labels = value.get("points"), value.get("labels")
    if isinstance(points, list) and isinstance(labels, list) and len(labels) != len(points):
        item = props.get("labels", {}).get("items", {"type": "integer", "minimum": 0, "maximum": 1})
        extra = draw(st.lists(_integers({"minimum": 0, "maximum": 1, **item}), min_size=len(points),
                              max_size=len(points)))
        value["labels"] = (labels + extra)[: len(points)]
    return value


# -- images ------------------------------------------------------------------------------------------------

_DRAW_PIXELS = 96 * 96
_PIL = {"png": "PNG", "jpeg": "JPEG", "webp": "WEBP"}
_SHAPES = ("rect", "ellipse", "rounded", "bottle")
_KINDS = ("plain", "gradient", "noisy", "packshot")


def images(limits: ImageLimits = ImageLimits(), *, near_limits: bool = False, formats: tuple[str, ...] | None = None,
           max_side: int | None = None) -> st.SearchStrategy[bytes]:
    """Encoded scenes with one or two objects, in a format the limits allow.

    Sides are small (16–80 px, or just above a documented minimum) unless ``near_limits``, which draws a side
    at the documented maximum or minimum (the other side stays small so the test stays fast).
    """
    from contracts.generate.scenes import PALETTE, ObjectSpec, make_scene

    usable = tuple(f for f in (formats or limits.formats) if f in limits.formats) or limits.formats
    low = max(_SMALL_SIDE, limits.min_side or 0)
    high = low + _SMALL_SPAN if max_side is None else max(low, max_side)
    if limits.max_side:
        high = min(high, limits.max_side)
    sides = st.integers(low, max(low, high))
    if near_limits:
        edges = [s for s in (limits.max_side, limits.min_side) if s]
        if edges:
            sides = st.one_of(st.sampled_from(edges), sides)
    obj = st.builds(ObjectSpec, st.sampled_from(_SHAPES), st.sampled_from(sorted(PALETTE)),
                    st.tuples(st.floats(0.3, 0.7), st.floats(0.3, 0.7)),
                    st.tuples(st.floats(0.2, 0.6), st.floats(0.2, 0.6)))

    @st.composite
    def build(draw: st.DrawFn) -> bytes:
        width, height = draw(sides), draw(sides)
        if near_limits and max(width, height) > 1024:  # one long side is enough to test the limit
            width, height = (width, low) if width >= height else (low, height)
        # Large sides are drawn at a fraction of the size and scaled up: same scene, a fraction of the cost.
        scale = max(1, math.ceil(math.sqrt(width * height / _DRAW_PIXELS)))
        scene = make_scene(draw(st.sampled_from(_KINDS)), max(1, width // scale), max(1, height // scale),
                           draw(st.lists(obj, min_size=1, max_size=2)), seed=draw(st.integers(0, 2 ** 16)))
        picture = Image.fromarray(scene.image)
        if picture.size != (width, height):
            picture = picture.resize((width, height), Image.Resampling.BILINEAR)
        fmt = draw(st.sampled_from(usable))
        buf = io.BytesIO()
        picture.save(buf, _PIL[fmt], **({} if fmt == "png" else {"quality": 90}))
        return buf.getvalue()

    return build()


def image_urls(limits: ImageLimits = ImageLimits(), *, tiny: bool = False) -> st.SearchStrategy[str]:
    """``data:`` URLs of generated images: the mock decodes them in place, so no request leaves the machine."""
    formats = tuple(f for f in ("jpeg", "png") if f in limits.formats) or limits.formats
    return images(limits, formats=formats, max_side=_QUERY_SIDE if tiny else None).map(
        lambda data: f"data:image/{_kind(data)};base64,{base64.b64encode(data).decode()}")


def _kind(data: bytes) -> str:
    from contracts.generate.drafts import sniff

    return sniff(data) or "png"
