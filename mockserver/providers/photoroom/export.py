"""Encoding the result: format, quality, DPI and the metadata `preserveMetadata` allows.

Fixed encoder settings and no timestamps, so the same pixels always give the same bytes:

| format | settings | DPI goes to | alpha |
|---|---|---|---|
| PNG | zlib level 1 (the fastest), no optimise pass | `pHYs` (pixels per metre) | kept (RGBA, or L for masks) |
| JPEG | given quality, baseline, 4:2:0, no optimise pass | JFIF density (dots per inch) | none: composited on white |
| WebP | given quality, lossy, method 4 | EXIF XResolution/YResolution, unit inch (WebP has no density field) | kept |
| AVIF | given quality, speed 6, 4:2:0, one thread (libavif through Pillow) | EXIF, as WebP | kept |

DPI is rounded half up to a whole number (JFIF stores integers; the same value is used everywhere).
Input metadata is dropped (EXIF, XMP, ICC profile, text chunks) unless `preserveMetadata` asks:
`xmp` copies the input's XMP packet verbatim; `exifSubset` writes a fresh EXIF block holding only the
input's Copyright (IFD0 0x8298) and UserComment (Exif IFD 0x9286); `exifSubsetWithXmpCompatibility` writes the
same EXIF block and repeats both as an XMP packet (dc:rights, exif:UserComment). `colorSpace=original` keeps the
input's ICC profile (PNG only; the spec refuses it with any other format).
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from fractions import Fraction

from PIL import Image, PngImagePlugin

from ...core.imagelimits import PNG_LEVEL
from .canvas import flatten
from .geometry import round_half_up

CONTENT_TYPES = {"png": "image/png", "jpeg": "image/jpeg", "webp": "image/webp", "avif": "image/avif"}
_ALIASES = {"png": "png", "jpg": "jpeg", "jpeg": "jpeg", "webp": "webp", "avif": "avif"}
_PIL_FORMATS = {"png": "PNG", "jpeg": "JPEG", "webp": "WEBP", "avif": "AVIF"}
_EXIF_IFD = 0x8769
_COPYRIGHT = 0x8298
_USER_COMMENT = 0x9286
_X_RESOLUTION, _Y_RESOLUTION, _RESOLUTION_UNIT = 282, 283, 296
_XMP_PNG_KEY = "XML:com.adobe.xmp"


def normalise_format(name: str | None) -> str:
    """`png` | `jpeg` | `webp` for any spelling the two APIs accept (`jpg` included); ValueError otherwise."""
    key = (name or "png").lower()
    if key not in _ALIASES:
        raise ValueError(f"unsupported export format: {name!r}")
    return _ALIASES[key]


def preserved_metadata(image: Image.Image, mode: str | None) -> tuple[Image.Exif | None, bytes | None]:
    """(EXIF, XMP) to carry over from the decoded input for a `preserveMetadata` value."""
    if mode == "xmp":
        raw = image.info.get("xmp") or image.info.get(_XMP_PNG_KEY)
        if not raw:
            return None, None
        return None, raw if isinstance(raw, bytes) else str(raw).encode("utf-8")
    if mode in ("exifSubset", "exifSubsetWithXmpCompatibility"):
        source = image.getexif()
        exif = Image.Exif()
        if _COPYRIGHT in source:
            exif[_COPYRIGHT] = source[_COPYRIGHT]
        comment = source.get_ifd(_EXIF_IFD).get(_USER_COMMENT)
        if comment is not None:
            exif.get_ifd(_EXIF_IFD)[_USER_COMMENT] = comment
        xmp = _xmp_twin(exif.get(_COPYRIGHT), comment) if mode == "exifSubsetWithXmpCompatibility" else None
        return (exif if len(exif) else None), xmp
    return None, None


def _xmp_twin(copyright_: object, comment: object) -> bytes | None:
    """An XMP packet repeating EXIF Copyright and UserComment (dc:rights, exif:UserComment)."""
    from xml.sax.saxutils import escape

    def text(value: object) -> str:
        raw = value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
        return escape(raw.removeprefix("ASCII\0\0\0").rstrip("\0"))

    items = []
    if copyright_ is not None:
        items.append(f"<dc:rights><rdf:Alt><rdf:li xml:lang=\"x-default\">{text(copyright_)}</rdf:li></rdf:Alt>"
                     "</dc:rights>")
    if comment is not None:
        items.append(f"<exif:UserComment><rdf:Alt><rdf:li xml:lang=\"x-default\">{text(comment)}</rdf:li></rdf:Alt>"
                     "</exif:UserComment>")
    if not items:
        return None
    return ('<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
            '<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/" '
            'xmlns:exif="http://ns.adobe.com/exif/1.0/">' + "".join(items) +
            "</rdf:Description></rdf:RDF></x:xmpmeta>").encode("utf-8")


def encode(
    image: Image.Image,
    fmt: str,
    *,
    quality: Mapping[str, int],
    dpi: float | None = None,
    exif: Image.Exif | None = None,
    xmp: bytes | None = None,
    icc: bytes | None = None,
) -> tuple[bytes, str]:
    """Bytes and content type of `image` (RGBA, RGB or L) in `fmt` (`png`, `jpeg`/`jpg`, `webp`, `avif`)."""
    kind = normalise_format(fmt)
    whole_dpi = round_half_up(Fraction(str(dpi))) if dpi is not None else None
    options: dict[str, object] = {}
    if kind == "png":
        options.update(compress_level=PNG_LEVEL, optimize=False)
        if xmp:
            info = PngImagePlugin.PngInfo()
            info.add_itxt(_XMP_PNG_KEY, xmp.decode("utf-8", "replace"), zip=False)
            options["pnginfo"] = info
    elif kind == "jpeg":
        if image.mode not in ("RGB", "L"):
            image = flatten(image.convert("RGBA")).convert("RGB")
        options.update(quality=int(quality["jpeg"]), optimize=False, progressive=False, subsampling="4:2:0")
    else:
        if kind == "avif":
            options.update(quality=int(quality.get("avif", 90)), speed=6, subsampling="4:2:0", max_threads=1)
        else:
            options.update(quality=int(quality["webp"]), lossless=False, method=4)
        if whole_dpi is not None:
            exif = exif or Image.Exif()
            exif[_X_RESOLUTION] = whole_dpi
            exif[_Y_RESOLUTION] = whole_dpi
            exif[_RESOLUTION_UNIT] = 2
    if whole_dpi is not None and kind in ("png", "jpeg"):
        options["dpi"] = (whole_dpi, whole_dpi)
    if exif is not None:
        options["exif"] = exif
    if xmp and kind != "png":
        options["xmp"] = xmp
    if icc and kind == "png":
        options["icc_profile"] = icc
    buffer = io.BytesIO()
    image.save(buffer, _PIL_FORMATS[kind], **options)
    return buffer.getvalue(), CONTENT_TYPES[kind]
