"""Prodia's response bodies: the job JSON, mask images and the multipart ``job`` + ``output`` layout."""

from __future__ import annotations

import datetime as dt
import io
import json
from typing import Any

import numpy as np
from PIL import Image
from werkzeug.datastructures import Headers

from contracts import HttpResponse
from contracts.wire.multipart import Part, encode

from ...core.imagelimits import PNG_LEVEL
from .accept import Output, extension, media_type

_PIL = {"png": "PNG", "jpeg": "JPEG", "webp": "WEBP"}


def timestamp(when: dt.datetime) -> str:
    """ISO-8601 UTC with milliseconds and ``Z``, as both captured job JSONs write it."""
    return when.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"


def from_epoch(seconds: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(seconds, dt.UTC)


def job_json(job: dict[str, Any] | list[str]) -> bytes:
    """Compact JSON, the way the live capture is written."""
    return json.dumps(job, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def encode_image(pixels: np.ndarray, fmt: str, quality: int | None = None) -> bytes:
    """One image file; PNG is lossless, so a mask keeps exactly its two values; JPEG/WebP at ``quality``
    (95 unless the Accept header's ``quality`` parameter says otherwise)."""
    buf = io.BytesIO()
    image = Image.fromarray(pixels)
    if fmt == "jpeg" and image.mode not in ("L", "RGB"):
        image = image.convert("RGB")
    image.save(buf, _PIL[fmt], **({"compress_level": PNG_LEVEL} if fmt == "png" else {"quality": quality or 95}))
    return buf.getvalue()


def mask_pixels(mask: np.ndarray, foreground: int, background: int) -> np.ndarray:
    return np.where(mask, foreground, background).astype(np.uint8)


def completed(job: dict[str, Any], outputs: list[bytes], names: list[str], output: Output) -> HttpResponse:
    """The 200 of ``POST /v2/job`` in the shape ``Accept`` asked for."""
    if output.kind == "json":
        return HttpResponse(200, Headers({"Content-Type": "application/json"}), job_json(job))
    if output.kind == "image":
        return HttpResponse(200, Headers({"Content-Type": media_type(output.format)}), outputs[0])
    parts = [Part("job", job_json(job), "application/json", "job.json")]
    parts += [Part("output", data, media_type(output.format), name) for data, name in zip(outputs, names)]
    content_type, body = encode(parts)
    return HttpResponse(200, Headers({"Content-Type": content_type}), body)


def output_names(template: Any, count: int, fmt: str) -> list[str]:
    """``output_0.png`` … (the template comes from the spec)."""
    return [template(i, extension(fmt)) for i in range(count)]
