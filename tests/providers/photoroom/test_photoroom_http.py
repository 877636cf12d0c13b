"""Photoroom over HTTP, run twice (in-process through respx, and against the live server).

Pixel-level geometry is covered in test_render/test_geometry; here the wiring a client relies on:
statuses, bodies, headers, sizes, quota, auth, limits and the segmenter's output on a real packshot.
"""

from __future__ import annotations

import base64
import io
import json
import zlib
from typing import Any as MockHttp

import numpy as np
import pytest
from photoroom_support import image_of, packshot
from PIL import Image

EDIT = "https://image-api.photoroom.com/v2/edit"
SEGMENT = "https://sdk.photoroom.com/v1/segment"
ACCOUNT = "https://image-api.photoroom.com/v2/account"
KEY = {"x-api-key": "test-key"}


def iou(a: np.ndarray, b: np.ndarray) -> float:
    return float((a & b).sum()) / max(1, float((a | b).sum()))


def post_edit(mock: MockHttp, fields: dict[str, str], image: bytes | None = None, headers=KEY):
    files = {"imageFile": ("in.png", image or packshot()[0], "image/png")}
    return mock.post(EDIT, headers=headers, data=fields, files=files)


def test_cutout_in_place_keeps_the_subject_and_clears_the_background(mock_http: MockHttp) -> None:
    """With referenceBox=originalImage the subject stays where it was (by default it is re-centred)."""
    data, truth = packshot()
    r = post_edit(mock_http, {"referenceBox": "originalImage"}, data)
    assert r.status_code == 200 and r.headers["content-type"] == "image/png"
    out = np.asarray(image_of(r).convert("RGBA"))
    assert out.shape[:2] == truth.shape
    assert iou(out[:, :, 3] > 127, truth) >= 0.9
    assert (out[:, :, 3][~truth & ~_dilate(truth)] == 0).all()
    assert 0.0 <= float(r.headers["x-uncertainty-score"]) < 0.5  # a clear packshot is a confident cutout


def _dilate(mask: np.ndarray, px: int = 3) -> np.ndarray:
    out = mask.copy()
    for dy in range(-px, px + 1):
        for dx in range(-px, px + 1):
            out |= np.roll(np.roll(mask, dy, 0), dx, 1)
    return out


@pytest.mark.parametrize("fields,size", [
    ({}, (400, 300)),
    ({"outputSize": "originalImage"}, (400, 300)),
    ({"outputSize": "1000x800"}, (1000, 800)),
    ({"outputSize": "croppedSubject"}, None),
    ({"outputSize": "originalImage", "maxWidth": "200"}, (200, 150)),
])
def test_output_size_forms(mock_http: MockHttp, fields: dict[str, str], size) -> None:
    r = post_edit(mock_http, fields)
    assert r.status_code == 200
    width, height = image_of(r).size
    if size is None:  # the subject's box: the ellipse is 30 % of the width and 70 % of the height
        assert abs(width - 120) <= 4 and abs(height - 210) <= 4
    else:
        assert (width, height) == size


def test_padding_in_px_on_a_cropped_subject(mock_http: MockHttp) -> None:
    r = post_edit(mock_http, {"outputSize": "croppedSubject", "padding": "20px"})
    alpha = np.asarray(image_of(r).convert("RGBA"))[:, :, 3]
    rows, cols = np.nonzero(alpha > 127)
    assert abs(cols.min() - 20) <= 2 and abs(alpha.shape[1] - 1 - cols.max() - 20) <= 2
    assert abs(rows.min() - 20) <= 2


def test_jpeg_export_has_no_alpha_and_a_background(mock_http: MockHttp) -> None:
    r = post_edit(mock_http, {"export.format": "jpeg", "background.color": "0000FF"})
    assert r.headers["content-type"] == "image/jpeg"
    im = image_of(r)
    assert im.mode == "RGB"
    corner = np.asarray(im)[2, 2]
    assert corner[2] > 200 and corner[0] < 60


def test_export_dpi_is_written(mock_http: MockHttp) -> None:
    r = post_edit(mock_http, {"export.dpi": "300"})
    assert round(image_of(r).info["dpi"][0]) == 300


def test_text_prompt_selects_by_colour(mock_http: MockHttp) -> None:
    pixels = np.full((240, 360, 3), 240, np.uint8)
    pixels[60:180, 30:130] = (30, 60, 200)   # blue box, left
    pixels[60:180, 230:330] = (200, 40, 40)  # red box, right
    buf = io.BytesIO()
    Image.fromarray(pixels).save(buf, "PNG")
    r = post_edit(mock_http, {"segmentation.prompt": "red", "referenceBox": "originalImage"}, buf.getvalue())
    alpha = np.asarray(image_of(r).convert("RGBA"))[:, :, 3] > 127
    red = np.zeros((240, 360), bool)
    red[60:180, 230:330] = True
    assert iou(alpha, red) >= 0.9


def test_same_request_same_bytes(mock_http: MockHttp) -> None:
    fields = {"outputSize": "500x500", "padding": "0.1", "background.color": "FFFFFF"}
    first, second = post_edit(mock_http, fields), post_edit(mock_http, fields)
    assert first.content == second.content and zlib.crc32(first.content) == zlib.crc32(second.content)


def test_unknown_attributes_are_reported_not_refused(mock_http: MockHttp) -> None:
    r = post_edit(mock_http, {"background.inner": "1"})
    assert r.status_code == 200
    assert r.headers["pr-unsupported-attributes"] == "Unsupported attributes: background.inner"


def test_generative_background_keeps_geometry_and_sets_the_seed_header(mock_http: MockHttp) -> None:
    r = post_edit(mock_http, {"background.prompt": "on a beach", "background.seed": "42", "outputSize": "600x400"})
    assert r.status_code == 200 and image_of(r).size == (600, 400)
    assert r.headers["pr-ai-background-seed"] == "42"


def test_invalid_parameter_gets_photoroom_400(mock_http: MockHttp) -> None:
    r = post_edit(mock_http, {"removeBackground": "maybe"})
    assert r.status_code == 400
    assert r.json() == {"error": {"message": "removeBackground must be boolean"}}


def test_get_with_a_data_url(mock_http: MockHttp) -> None:
    data, _ = packshot(200, 150)
    url = "data:image/png;base64," + base64.b64encode(data).decode()
    r = mock_http.get(EDIT, headers=KEY, params={"imageUrl": url, "outputSize": "300x300"})
    assert r.status_code == 200 and image_of(r).size == (300, 300)


def test_metadata_addresses_are_never_fetched(mock_http: MockHttp) -> None:
    r = mock_http.get(EDIT, headers=KEY, params={"imageUrl": "http://169.254.169.254/latest/meta-data/"})
    assert r.status_code == 400
    assert r.json()["error"]["message"] == "imageUrl: could not be downloaded"


@pytest.mark.parametrize("payload", [b"", b"\x89PNG\r\n\x1a\n\x00\x00", b"not an image at all", packshot()[0][:200]])
def test_broken_images_get_400_never_500(mock_http: MockHttp, payload: bytes) -> None:
    r = post_edit(mock_http, {}, payload or b" ")
    assert r.status_code == 400 and "error" in r.json()


def test_decompression_bomb_is_refused(mock_http: MockHttp) -> None:
    r = post_edit(mock_http, {}, _bomb(100_000, 100_000))
    assert r.status_code == 400


def _bomb(width: int, height: int) -> bytes:
    """A valid PNG header claiming ``width``×``height`` with almost no data."""
    import struct

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = chunk(b"IDAT", zlib.compress(b"\x00" * 64))
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + idat + chunk(b"IEND", b"")


def test_oversized_output_is_refused(mock_http: MockHttp) -> None:
    r = post_edit(mock_http, {"outputSize": "100000x100000"})
    assert r.status_code == 400 and r.json() == {"error": {"message": "outputSize: too large"}}


def test_missing_key(mock_http: MockHttp) -> None:
    r = post_edit(mock_http, {}, headers={})
    assert r.status_code == 400 and r.json() == {"error": {"message": "apiKey: Required"}}


def test_quota_is_spent_by_successes_only_and_402_when_exhausted(mock_http: MockHttp) -> None:
    backend = mock_http.services.backends.get("photoroom")
    start = mock_http.get(ACCOUNT, headers=KEY).json()["images"]["available"]
    assert post_edit(mock_http, {}).status_code == 200
    assert post_edit(mock_http, {"removeBackground": "maybe"}).status_code == 400
    assert mock_http.get(ACCOUNT, headers=KEY).json()["images"]["available"] == start - 1
    backend = mock_http.services.backends["photoroom"]
    backend.set_available(KEY["x-api-key"], 0)
    r = post_edit(mock_http, {})
    assert r.status_code == 402 and "API credits exhausted" in r.json()["error"]["detail"]


def test_sandbox_keys_are_free_and_watermarked(mock_http: MockHttp) -> None:
    sandbox = {"x-api-key": "sandbox_test-key"}
    plain = post_edit(mock_http, {"outputSize": "400x300"})
    marked = post_edit(mock_http, {"outputSize": "400x300"}, headers=sandbox)
    assert marked.status_code == 200 and marked.content != plain.content
    assert mock_http.get(ACCOUNT, headers=KEY).json()["images"]["available"] == 999


def test_remove_background_sizes_crop_and_channels(mock_http: MockHttp) -> None:
    data, _ = packshot(1250, 800)
    files = {"image_file": ("in.png", data, "image/png")}
    preview = mock_http.post(SEGMENT, headers=KEY, files=files, data={"size": "preview"})
    assert preview.status_code == 200 and image_of(preview).size == (625, 400)
    cropped = mock_http.post(SEGMENT, headers=KEY, files=files, data={"crop": "true", "size": "preview"})
    w, h = image_of(cropped).size
    assert w < 625 and h < 400
    mask = mock_http.post(SEGMENT, headers=KEY, files=files, data={"channels": "alpha", "format": "jpg"})
    assert mask.headers["content-type"] == "image/jpeg" and image_of(mask).mode == "L"


def test_remove_background_as_json(mock_http: MockHttp) -> None:
    files = {"image_file": ("in.png", packshot()[0], "image/png")}
    r = mock_http.post(SEGMENT, headers={**KEY, "Accept": "application/json"}, files=files)
    assert r.headers["content-type"].startswith("application/json")
    png = base64.b64decode(r.json()["base64img"])
    assert Image.open(io.BytesIO(png)).size == (400, 300)


def test_remove_background_missing_image(mock_http: MockHttp) -> None:
    r = mock_http.post(SEGMENT, headers=KEY, files={"format": (None, "png")})
    assert r.status_code == 400
    assert r.json() == {"detail": "Please provide an image.", "status_code": 400, "type": "missing_image"}


def test_body_over_the_limit_is_refused_from_the_headers(segmock_server) -> None:
    """A Content-Length above the limit is answered before a byte of the body is sent."""
    import socket

    with socket.create_connection(("127.0.0.1", segmock_server.port), timeout=10) as sock:
        head = ("POST /v1/segment HTTP/1.1\r\nHost: sdk.photoroom.com\r\nx-api-key: k\r\n"
                "Content-Type: multipart/form-data; boundary=x\r\nContent-Length: 64000000\r\n\r\n")
        sock.sendall(head.encode())
        reply = b""
        while b"\r\n\r\n" not in reply or len(reply.split(b"\r\n\r\n", 1)[1]) < _content_length(reply):
            chunk = sock.recv(65536)
            if not chunk:
                break
            reply += chunk
    head_part, _, payload = reply.decode("latin-1").partition("\r\n\r\n")
    assert " 400 " in head_part.split("\r\n", 1)[0]
    body = json.loads(payload)
    assert body["status_code"] == 400 and body["type"]


def _content_length(reply: bytes) -> int:
    for line in reply.split(b"\r\n\r\n", 1)[0].split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            return int(line.split(b":", 1)[1])
    return 0


def test_requests_clients_work_in_process(segmock_requests, segmock_app) -> None:
    import requests

    data, _ = packshot()
    r = requests.post(EDIT, headers=KEY, files={"imageFile": ("in.png", data, "image/png")},
                      data={"outputSize": "200x200"})
    assert r.status_code == 200 and Image.open(io.BytesIO(r.content)).size == (200, 200)
    assert requests.get(ACCOUNT, headers=KEY).json()["plan"] == "plus"


def test_one_fixture_is_enough(segmock_respx) -> None:
    import httpx

    r = httpx.get(ACCOUNT, headers=KEY)
    assert r.status_code == 200 and json.loads(r.content)["images"]["available"] == 1000
