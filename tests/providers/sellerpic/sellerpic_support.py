"""Helpers the SellerPic HTTP tests share: the documented calls, images built on the spot, mask checks."""

from __future__ import annotations

import io
import struct
import zlib
from typing import Any

import httpx
import numpy as np
from PIL import Image

from contracts.generate.scenes import ObjectSpec, Scene, make_scene
from mockserver.core.dispatch import backend_of
from mockserver.providers import load

API = "https://api.sellerpic.ai/v1/api"
KEY = "test-key"
AUTH = {"Authorization": f"Bearer {KEY}"}
BOUNDARY = "segmock-test-boundary"


def two_objects(width: int = 320, height: int = 240) -> Scene:
    """A red ellipse and a blue rectangle on a plain background."""
    return make_scene("plain", width, height, [ObjectSpec("ellipse", "red", (0.3, 0.5), (0.3, 0.45)),
                                               ObjectSpec("rect", "blue", (0.72, 0.5), (0.28, 0.5))])


def packshot(width: int = 240, height: int = 180) -> Scene:
    return make_scene("packshot", width, height, [ObjectSpec("rounded", "red", (0.5, 0.5), (0.35, 0.5))])


def png(pixels: np.ndarray, **options: Any) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(pixels).save(buf, "PNG", **options)
    return buf.getvalue()


def plain_png(width: int, height: int) -> bytes:
    return png(np.full((height, width, 3), 200, np.uint8))


def animated(fmt: str) -> bytes:
    """Three frames of a tiny animation in ``fmt`` (GIF, WEBP or PNG, i.e. APNG)."""
    frames = [Image.new("RGB", (48, 32), (60 * i, 90, 200 - 60 * i)) for i in range(3)]
    buf = io.BytesIO()
    frames[0].save(buf, fmt, save_all=True, append_images=frames[1:], duration=100, loop=0)
    return buf.getvalue()


def png_header_only(width: int, height: int) -> bytes:
    """A PNG that claims ``width`` x ``height`` pixels but carries almost no data (a decompression bomb)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = chunk(b"IDAT", zlib.compress(b"\x00" * 64))
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + idat + chunk(b"IEND", b"")


def multipart(data: bytes, filename: str = "in.png", content_type: str = "image/png") -> tuple[bytes, dict[str, str]]:
    """A fixed-boundary multipart body, so the same upload is the same request bytes."""
    body = (f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{filename}\"\r\n"
            f"Content-Type: {content_type}\r\n\r\n").encode() + data + f"\r\n--{BOUNDARY}--\r\n".encode()
    return body, {**AUTH, "Content-Type": f"multipart/form-data; boundary={BOUNDARY}"}


def upload(mock: Any, data: bytes, headers: dict[str, str] | None = None) -> httpx.Response:
    body, sent = multipart(data)
    return mock.post(f"{API}/upload", content=body, headers={**sent, **(headers or {})})


def ok(response: httpx.Response) -> Any:
    """``data`` of a successful envelope (fails the test on any other answer)."""
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["success"] is True and body["code"] == 0, body
    return body["data"]


def refused(response: httpx.Response, status: int, code: int) -> dict[str, Any]:
    """The error envelope, checked for its HTTP status and business code."""
    assert response.status_code == status, response.text
    body = response.json()
    assert (body["success"], body["code"], body["data"]) == (False, code, None), body
    return body


def file_key(mock: Any, data: bytes) -> str:
    return str(ok(upload(mock, data))["fileKey"])


def prompt_task(mock: Any, image_key: str, prompt: str = "red", headers: dict[str, str] = AUTH) -> httpx.Response:
    return mock.post(f"{API}/generate/promptSegmentation", json={"imageKey": image_key, "prompt": prompt},
                     headers=headers)


def type_task(mock: Any, image_key: str, kind: str, expand: int | None = None) -> httpx.Response:
    body: dict[str, Any] = {"imageKey": image_key, "type": kind}
    if expand is not None:
        body["expandPixels"] = expand
    return mock.post(f"{API}/generate/segmentImage", json=body, headers=AUTH)


def poll(mock: Any, task_id: str, headers: dict[str, str] = AUTH) -> httpx.Response:
    return mock.get(f"{API}/generate", params={"id": task_id}, headers=headers)


def item(mock: Any, task_id: str) -> dict[str, Any]:
    (only,) = ok(poll(mock, task_id))["resultList"]
    return dict(only)


def finish(mock: Any, task_id: str, polls: int = 10) -> dict[str, Any]:
    """Poll until the item is SUCCESS or FAILED (a bounded loop: the default progression needs two)."""
    for _ in range(polls):
        current = item(mock, task_id)
        if current["status"] in ("SUCCESS", "FAILED"):
            return current
    raise AssertionError(f"task {task_id} did not finish in {polls} polls")


def download(mock: Any, result_id: str, fmt: str = "png", **extra: Any) -> httpx.Response:
    return mock.get(f"{API}/download", params={"downloadFormat": fmt, "id": result_id, **extra}, headers=AUTH)


def mask_of(response: httpx.Response) -> np.ndarray:
    assert response.status_code == 200, response.text
    with Image.open(io.BytesIO(response.content)) as im:
        return np.asarray(im.convert("L"))


def masks_of(mock: Any, data: bytes, create: Any) -> np.ndarray:
    """Upload ``data``, create a task with ``create(mock, key)``, finish it and fetch its PNG mask."""
    task_id = ok(create(mock, file_key(mock, data)))["id"]
    done = finish(mock, task_id)
    assert done["status"] == "SUCCESS", done
    return mask_of(mock.get(done["fileUrl"]))


def iou(a: np.ndarray, b: np.ndarray) -> float:
    return float((a & b).sum()) / max(1, float((a | b).sum()))


def backend(mock: Any) -> Any:
    """The SellerPic backend of the app under test (for the test hooks: pricing tasks)."""
    return backend_of(load("sellerpic"), mock.services)


def clock(mock: Any) -> Any:
    return mock.services.jobs.clock
