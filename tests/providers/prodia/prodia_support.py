"""Shared helpers for the Prodia tests: job requests as the official clients build them, multipart parsing."""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from typing import Any

import httpx
import numpy as np
import pytest
from PIL import Image

from contracts.wire.multipart import Part, encode
from contracts.wire.rawmultipart import boundary_of, split

JOB_URL = "https://inference.prodia.com/v2/job"
ASYNC_URL = "https://inference.prodia.com/v2/job/async"
TOKEN = "segmock-prodia-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
CLIENT_ACCEPT = "multipart/form-data; multipart/form-data"


def job_part(job: Any) -> Part:
    """The ``job`` part as the official client appends it (a ``job.json`` file part)."""
    return Part("job", json.dumps(job).encode(), "application/json", "job.json")


def input_part(data: bytes, filename: str = "image.jpg", content_type: str = "image/jpeg") -> Part:
    """An ``input`` part as the official client labels every image (``image.jpg``, image/jpeg)."""
    return Part("input", data, content_type, filename)


def post_job(mock: Any, parts: list[Part], *, accept: str | None = CLIENT_ACCEPT, url: str = JOB_URL,
             token: str | None = TOKEN) -> httpx.Response:
    content_type, body = encode(parts)
    headers = {"Content-Type": content_type}
    if accept is not None:
        headers["Accept"] = accept
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    return mock.post(url, content=body, headers=headers)


def segment(mock: Any, job: dict[str, Any], image: bytes, **kwargs: Any) -> httpx.Response:
    """Inputs first, then the job: the official client's part order."""
    return post_job(mock, [input_part(image), job_part(job)], **kwargs)


@dataclass
class Multipart:
    """A multipart response read back: the job JSON and the output parts (filename, type, bytes)."""

    job: dict[str, Any]
    outputs: list[tuple[str | None, str | None, bytes]]


def read_multipart(response: httpx.Response) -> Multipart:
    boundary = boundary_of(response.headers["Content-Type"])
    assert boundary, response.headers["Content-Type"]
    raw = split(response.content, boundary)
    assert raw is not None, "not a well-formed multipart body"
    jobs = [p for p in raw.parts if p.name == "job"]
    assert len(jobs) == 1
    outputs = [(p.filename, p.content_type, p.data) for p in raw.parts if p.name == "output"]
    return Multipart(json.loads(jobs[0].data), outputs)


def mask_array(data: bytes) -> np.ndarray:
    image = Image.open(io.BytesIO(data))
    assert image.format == "PNG" and image.mode == "L", (image.format, image.mode)
    return np.asarray(image)


def iou(a: np.ndarray, b: np.ndarray) -> float:
    union = np.logical_or(a, b).sum()
    return float(np.logical_and(a, b).sum() / union) if union else 1.0


def encoded(pixels: np.ndarray, fmt: str, **options: Any) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(pixels).save(buf, fmt, **options)
    return buf.getvalue()


def solid(width: int, height: int, fmt: str = "PNG") -> bytes:
    """A plain image of the given size (for the size limits)."""
    return encoded(np.full((height, width, 3), 200, np.uint8), fmt)


IN_PROCESS_ONLY = pytest.mark.parametrize("mock_http", ["inprocess"], indirect=True)
"""For tests about what the mock computes rather than how it travels: one transport is enough (each run
segments an image), while the tests about the wire run over both."""
