"""Photoroom's HTTP layer: read the call, ask the backend and the image pipeline, answer like Photoroom."""

from __future__ import annotations

import hashlib
import re
from typing import Any

from flask import Response, jsonify
from werkzeug.datastructures import MIMEAccept
from werkzeug.http import parse_accept_header

from contracts.check.providers import error_response

from ...core import workgate
from ...core.imagelimits import ImageProblem, Limits
from ...core.provider import Call
from .models import parse_key, subject_alpha, uncertainty

EDIT_URL = "https://app.photoroom.com/api-edit"
_REFERENCE_FILE = re.compile(r"editWithAI\.additionalImages\.[^.]+\.imageFile")


def edit(call: Call) -> Any:
    """``GET|POST /v2/edit``: cut out, position, composite and export, as the real API does."""
    from ...core import images  # the image handlers import Pillow and numpy; account calls never do
    from . import render

    backend, params, operation = call.backend, call.params, call.operation
    denied = backend.admit(call.api_key, operation)
    if denied is not None:
        return denied
    limits = backend.image_limits(operation)
    too_big = _output_too_large(params, backend.limits(operation).get("max_output_pixels"))
    if too_big:
        return error_response("photoroom", "output_size_too_large", operation)
    workgate.reserve(_output_pixels(params))
    # GET takes URLs, POST takes files: a URL field in a POST form is an unsupported attribute, never fetched.
    by_url = operation == "edit-image-get"
    image = _input_image(call, "imageFile", "imageUrl", limits, by_url)
    if image is not None:
        image = _check_upscale(image, params, backend.limits(operation).get("upscale_max_input_pixels", {}))
    background = _input_image(call, "background.imageFile", "background.imageUrl", limits, by_url)
    # The guidance image only steers the (synthetic) AI background, but it is read and checked like any input.
    _input_image(call, "background.guidance.imageFile", "background.guidance.imageUrl", limits, by_url)
    for name in call.sent:  # editWithAI reference uploads: unused by the stand-in, checked like any input
        if _REFERENCE_FILE.fullmatch(name):
            _input_image(call, name, "", limits, False)
    alpha, score, padded = None, None, None
    if image is not None:
        pixels, padded = images.to_arrays(image)  # one copy of the input serves the segmenter and the cutout
        alpha, score = subject_alpha(call.services.segmenter, pixels, params)
    digest = _digest(call)
    try:
        out = render.edit(image, alpha, params, background_image=background,
                          export_quality=_export_quality(call), sandbox=parse_key(call.api_key or "").sandbox,
                          request_digest=digest, padded=padded)
    except ValueError as exc:
        return _refused(operation, exc, "background.color")
    backend.charge(call.api_key, operation)
    headers = dict(out.headers)
    unsupported = sorted({w.parameter for w in call.warnings if w.rule == "unsupported" and w.parameter})
    if unsupported:
        # Names are the client's: control and non-ASCII characters are escaped so the header stays a header.
        names = (name.encode("unicode_escape").decode("ascii") for name in unsupported)
        headers["pr-unsupported-attributes"] = "Unsupported attributes: " + ", ".join(names)
    headers.setdefault("pr-edit-further-url", f"{EDIT_URL}/{digest[:32]}")
    if score is not None:
        headers["x-uncertainty-score"] = score
    return _image_response(out.body, out.content_type, headers)


def remove_background(call: Call) -> Any:
    """``POST /v1/segment``: the Basic-plan cutout, as an image or ``{"base64img"}`` JSON."""
    from ...core import images
    from . import render

    backend, operation = call.backend, call.operation
    denied = backend.admit(call.api_key, operation)
    if denied is not None:
        return denied
    data = call.sent.get("image_file")
    limits = backend.image_limits(operation)
    try:
        image = images.decode(data if isinstance(data, bytes) else b"", limits)
    except ImageProblem as exc:
        call.explain(str(exc))
        key = "image_too_large" if exc.kind in ("image_too_large", "image_too_many_pixels") else "image_invalid"
        return error_response("photoroom", f"v1.{key}", operation)
    pixels = images.to_array(image)
    cutout = call.services.segmenter.salient(pixels)
    alpha = cutout.alpha
    node = backend.operations[operation].node
    try:
        out = render.segment_v1(image, alpha, call.params, size_presets=node["x-segmock-size-presets"],
                                want_json=_wants_json(call.request.headers.get("Accept", "")),
                                sandbox=parse_key(call.api_key or "").sandbox,
                                export_quality=_export_quality(call))
    except ValueError as exc:
        return _refused(operation, exc, "bg_color")
    backend.charge(call.api_key, operation)
    headers = {**out.headers, "x-uncertainty-score": uncertainty(cutout.score)}
    return _image_response(out.body, out.content_type, headers)


def account(call: Call) -> Any:
    """``GET /v2/account``: images left and the plan."""
    return jsonify(call.backend.account(call.api_key))


def account_v1(call: Call) -> Any:
    """``GET /v1/account`` (legacy): the same allowance, reported as ``credits``."""
    images = call.backend.account(call.api_key)["images"]
    return jsonify({"credits": images})


def _refused(operation: str, exc: ValueError, colour_field: str) -> Any:
    """A value the schema lets through but the renderer cannot read (a colour name, say) is a 400."""
    text = str(exc)
    message = f"{colour_field} must be a hex color or a color name" if "colo" in text.lower() else text
    return error_response("photoroom", "validation", operation, message=message)


def _input_image(call: Call, file_field: str, url_field: str, limits: Limits, by_url: bool) -> Any:
    from ...core import images

    data = call.sent.get(file_field)
    if isinstance(data, str):
        data = data.encode("utf-8", "surrogateescape")
    if data is None and by_url and call.sent.get(url_field):
        data = call.services.fetch(call.sent[url_field], limits.max_bytes or 30_000_000)
    if data is None:
        return None
    return images.decode(data, limits)


def _output_pixels(params: dict[str, Any]) -> int:
    """The pixels of an explicit ``outputSize=WxH`` (0 for the sizes that follow the input)."""
    size = params.get("outputSize")
    if not isinstance(size, str) or "x" not in size:
        return 0
    width, _, height = size.partition("x")
    if not (width.isdigit() and height.isdigit()):
        return 0
    if len(width) > 9 or len(height) > 9:  # int() refuses thousands of digits; any such size is too large
        return 10**18
    return int(width) * int(height)


def _output_too_large(params: dict[str, Any], max_pixels: int | None) -> bool:
    return bool(max_pixels) and _output_pixels(params) > max_pixels  # type: ignore[operator]


def _check_upscale(image: Any, params: dict[str, Any], caps: dict[str, int]) -> Any:
    """The input the upscaler gets: as sent when within the model's limit, else per ``upscale.downscaleIfNeeded``
    (``never``, the default: a 400; ``always``: downscaled to the limit; ``skipUpscaleIfNotNeeded``: downscaled
    when 4x the result still reaches the original size, else left as is and not upscaled)."""
    mode = params.get("upscale.mode")
    if mode not in caps or image.width * image.height <= caps[mode]:
        return image
    from PIL import Image

    from . import render

    strategy = params.get("upscale.downscaleIfNeeded") or "never"
    if strategy == "never":
        raise ImageProblem("validation", f"upscale.mode {mode} accepts at most {caps[mode]} input pixels")
    size = render.budget_size(image.size, int(caps[mode]))
    if strategy == "skipUpscaleIfNotNeeded" and (size[0] * 4 < image.width or size[1] * 4 < image.height):
        params["upscale.mode"] = None
        return image
    return image.resize(size, Image.Resampling.LANCZOS)


def _export_quality(call: Call) -> dict[str, int]:
    spec = call.ctx.spec
    schema = spec.resolve(spec.raw["components"]["schemas"]["EditParams"])["properties"]["export.format"]
    return dict(spec.resolve(schema).get("x-segmock-export-quality", {}))


def _wants_json(accept: str) -> bool:
    """JSON only when the client asks for it and for no image type (a browser-style */* gets the image)."""
    parsed = parse_accept_header(accept, MIMEAccept)
    types = [value for value, quality in parsed if quality > 0]
    return "application/json" in types and not any(t.startswith("image/") for t in types)


def _digest(call: Call) -> str:
    """A digest of what the client sent: seeds and URLs derived from it are stable for the same request."""
    h = hashlib.sha256()
    for name in sorted(call.sent):
        value = call.sent[name]
        h.update(name.encode())
        h.update(value if isinstance(value, bytes) else repr(value).encode())
    return h.hexdigest()


def _image_response(body: bytes, content_type: str, headers: dict[str, str]) -> Response:
    resp = Response(body, status=200, content_type=content_type)
    for key, value in headers.items():
        resp.headers[key] = value
    return resp
