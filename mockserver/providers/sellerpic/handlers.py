"""SellerPic's HTTP layer: read the call, ask the backend, answer in the ``{code,data,msg,success,traceId}``
envelope (or, on the storage paths, as an object store does)."""

from __future__ import annotations

import hashlib
from typing import Any

from flask import Response

import contracts
from contracts import HttpResponse
from contracts.check.errors import json_response, stable_hex
from contracts.check.providers import error_response
from contracts.check.providers.sellerpic import envelope, phrase

from ...core.imagelimits import ImageProblem
from ...core.provider import Call
from .models import Item, Refused, SellerpicBackend
from .settings import PROVIDER

SUCCESS_MSG = "SUCCESS"  # the msg of the documented upload example


def upload(call: Call) -> HttpResponse:
    """``POST /v1/api/upload``: store one image (generic rules only) and hand back its fileKey."""
    from ...core import images  # Pillow: with the first upload, not at start-up or for a poll

    backend: SellerpicBackend = call.backend
    data = _bytes(call.sent.get("file"))
    limits = backend.settings.input_limits(call.operation)
    try:
        info = images.check(data, limits)
    except ImageProblem as exc:
        call.explain(str(exc))
        return _refuse(call, _image_error(exc))
    key = backend.upload(_owner(call), data, "jpg" if info.format == "jpeg" else info.format)
    return _ok(call, {"fileKey": key}, request_id=stable_hex("sellerpic-request", _trace_seed(call), length=32))


def upload_url(call: Call) -> HttpResponse:
    """``GET /v1/api/upload/url``: the legacy presigned flow's fileKey and PUT URL."""
    backend: SellerpicBackend = call.backend
    key, token = backend.presign(_owner(call), str(call.params["format"]))
    url = call.base_url + backend.settings.path("put-presigned-upload", token=token)
    return _ok(call, {"fileKey": key, "imageUrl": url})


def put_presigned(call: Call) -> Any:
    """``PUT <imageUrl>``: 200 with no body while the URL lives, the storage host's 403 afterwards."""
    backend: SellerpicBackend = call.backend
    if not backend.put_presigned(call.path_params["token"], call.request.get_data()):
        return error_response(PROVIDER, "upload_url_expired", call.operation)
    return Response(b"", status=200, content_type=None)


def prompt_segmentation(call: Call) -> HttpResponse:
    """``POST /v1/api/generate/promptSegmentation``: a mask of what ``prompt`` names, as a task."""
    from . import render

    prompt = str(call.params["prompt"])
    return _create(call, {"imageKey": call.params["imageKey"], "prompt": prompt},
                   lambda seg, pixels: render.prompt_mask(seg, pixels, prompt))


def segment_image(call: Call) -> HttpResponse:
    """``POST /v1/api/generate/segmentImage``: a mask of a category, dilated by ``expandPixels``, as a task."""
    from . import render

    backend: SellerpicBackend = call.backend
    kind, expand = str(call.params["type"]), int(call.params.get("expandPixels") or 0)
    recipe = backend.settings.segment_type(kind)
    return _create(call, {"imageKey": call.params["imageKey"], "type": kind, "expandPixels": expand},
                   lambda seg, pixels: render.type_mask(seg, pixels, recipe, expand))


def _create(call: Call, params: dict[str, Any], compute: Any) -> HttpResponse:
    """Checks in the spec's order: imageKey lookup, image rules, concurrency (30003), credits."""
    from . import render

    backend: SellerpicBackend = call.backend
    owner = _owner(call)
    data = backend.image(owner, str(params["imageKey"]))
    if data is None:
        return _refuse(call, "not_found")
    try:
        pixels = render.pixels_of(data, backend.settings.input_limits(call.operation))
    except ImageProblem as exc:
        call.explain(str(exc))
        return _refuse(call, _image_error(exc))
    png = render.encode_png(compute(call.services.segmenter, pixels))
    try:
        task_id = backend.create_task(owner, call.operation, params, png)
    except Refused as refused:
        return _refuse(call, refused.key)
    return _ok(call, {"id": task_id})


def get_task(call: Call) -> HttpResponse:
    """``GET /v1/api/generate?id=``: the task's result items (each poll counts toward the progression)."""
    backend: SellerpicBackend = call.backend
    items = backend.poll(_owner(call), str(call.params["id"]))
    if items is None:
        return _refuse(call, "not_found")
    result_list = [{"id": item.id, "fileUrl": _file_url(call, item, "png", False), "status": item.status,
                    "errorCode": item.error_code, "errorMsg": item.error_msg} for item in items]
    return _ok(call, {"resultList": result_list})


def get_download_url(call: Call) -> HttpResponse:
    """``GET /v1/api/download``: a 12 h URL for one result item (the same URL until it expires)."""
    backend: SellerpicBackend = call.backend
    fmt, result_id, uhd = str(call.params["downloadFormat"]), str(call.params["id"]), bool(call.params.get("uhd"))
    allowed = backend.settings.download_formats()
    if fmt not in allowed:
        message = phrase("enum", "downloadFormat", "query", {"choices": ", ".join(allowed)})
        return error_response(PROVIDER, "validation", call.operation, message=message, seed=_trace_seed(call))
    owner = _owner(call)
    item = backend.result(owner, result_id)
    if item is None:
        return _refuse(call, "wrong_id_kind" if backend.is_task(owner, result_id) else "not_found")
    return _ok(call, {"name": f"{result_id}.{fmt}", "status": item.status,
                      "fileUrl": _file_url(call, item, fmt, uhd), "errorMsg": item.error_msg})


def get_usage(call: Call) -> HttpResponse:
    """``GET /v1/api/usage``: total, used and remaining credits (refunds of failed tasks included)."""
    backend: SellerpicBackend = call.backend
    return _ok(call, backend.usage(_owner(call)))


def get_file(call: Call) -> Any:
    """``GET <fileUrl>``: the mask in the URL's format while the URL lives, the storage host's 403 after."""
    from . import render

    backend: SellerpicBackend = call.backend
    url = backend.download(call.path_params["token"])
    png = None if url is None else backend.mask(url.result_id)
    if url is None or png is None:
        return error_response(PROVIDER, "download_url_expired", call.operation)
    body, content_type = render.export(png, url.format, backend.settings.uhd_max_side() if url.uhd else None)
    return Response(body, status=200, content_type=content_type)


def _file_url(call: Call, item: Item, fmt: str, uhd: bool) -> str | None:
    if not item.succeeded:
        return None
    backend: SellerpicBackend = call.backend
    token = backend.download_token(item.id, fmt, uhd)
    return call.base_url + backend.settings.path("get-file", token=token)


def _ok(call: Call, data: Any, **extra: Any) -> HttpResponse:
    return json_response(200, {**envelope(0, SUCCESS_MSG, data, seed=_trace_seed(call)), **extra})


def _refuse(call: Call, key: str) -> HttpResponse:
    return error_response(PROVIDER, key, call.operation, seed=_trace_seed(call))


def _image_error(exc: ImageProblem) -> str:
    """The catalog entry for an image problem (``images`` names SellerPic's entries; anything else is invalid)."""
    return exc.kind if exc.kind in contracts.spec(PROVIDER).errors else "image_invalid"


def _owner(call: Call) -> str:
    return call.backend.owner(call.api_key or "")


def _bytes(value: Any) -> bytes:
    if isinstance(value, str):
        return value.encode("utf-8", "surrogateescape")
    return value if isinstance(value, bytes) else b""


def _trace_seed(call: Call) -> str:
    """The seed of a response's traceId (and request_id): the request's digest and its sequence number on this
    server (a counter every worker shares). A traceId names one request: two polls of one task differ, while a
    fresh server answering the same requests in the same order gives the same bytes."""
    number = call.services.counters.add("sellerpic", "requests", 1)
    return f"{_digest(call)}:{int(number or 0)}"


def _digest(call: Call) -> str:
    """What the request was (method, path, query, body): the seed of its traceId and request_id."""
    h = hashlib.sha256()
    for part in (call.request.method, call.request.full_path, call.api_key or ""):
        h.update(part.encode("utf-8", "surrogateescape") + b"\x00")
    h.update(call.request.get_data(cache=True))
    return h.hexdigest()
