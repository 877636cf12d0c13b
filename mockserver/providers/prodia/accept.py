"""Read Prodia's ``Accept`` header, including the official client's ``multipart/form-data; image/png`` form."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

_IMAGE_FORMATS = {"image/png": "png", "image/jpeg": "jpeg", "image/webp": "webp"}


@dataclass(frozen=True)
class Output:
    """What the 200 carries: ``multipart`` (job + outputs), one raw ``image``, or the ``json`` job alone."""

    kind: Literal["multipart", "image", "json"]
    format: str
    quality: int | None = None


def negotiate(accept: str | None, default_format: str) -> Output:
    """The response shape for an Accept value (the contract check has already refused unknown values).

    ``multipart/form-data; <type>`` is not standard syntax: the second item is a media type, not a parameter,
    and an image type there picks the outputs' format. A missing header or ``*/*`` is plain multipart.
    MIME parameters (``image/jpeg; quality=80``, documented for tuned JPEG output) are read for ``quality``
    (1..100, lossy formats) and otherwise ignored.
    """
    items = [item.strip().lower() for item in (accept or "").split(";") if item.strip()]
    params = dict(item.split("=", 1) for item in items if "=" in item)
    items = [item for item in items if "=" not in item]
    quality = _quality(params.get("quality"))
    main = items[0] if items else "*/*"
    if main in _IMAGE_FORMATS:
        return Output("image", _IMAGE_FORMATS[main], quality)
    if main == "application/json":
        return Output("json", default_format, quality)
    chosen = next((_IMAGE_FORMATS[item] for item in items[1:] if item in _IMAGE_FORMATS), default_format)
    return Output("multipart", chosen, quality)


def _quality(text: str | None) -> int | None:
    value = (text or "").strip().strip('"')
    return int(value) if value.isdigit() and 1 <= int(value) <= 100 else None


def extension(fmt: str) -> str:
    """File extension of an output format (``jpeg`` files end in ``.jpg``)."""
    return "jpg" if fmt == "jpeg" else fmt


def media_type(fmt: str) -> str:
    return f"image/{fmt}"
