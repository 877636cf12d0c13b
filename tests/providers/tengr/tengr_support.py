"""Helpers for the tengr tests: URLs, small scenes as data URLs, polling, and a loopback webhook receiver."""

from __future__ import annotations

import base64
import io
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import numpy as np
from PIL import Image

from contracts.generate.scenes import ObjectSpec, Scene, make_scene

BASE = "https://api.tengr.ai"
CREATE = f"{BASE}/v2/artworks/segmentation"
LIST = f"{BASE}/v2/artworks"
KEY = "tengr-test-key"
TERMINAL = ("succeeded", "failed", "canceled")


def artwork_url(artwork_id: str) -> str:
    return f"{BASE}/v2/artworks/{artwork_id}"


def auth(key: str = KEY) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def two_objects(width: int = 160, height: int = 120) -> Scene:
    """A red ellipse left and a blue rectangle right on a plain background (ground truth per object)."""
    return make_scene("plain", width=width, height=height, objects=[
        ObjectSpec("ellipse", "red", (0.28, 0.5), (0.3, 0.5)),
        ObjectSpec("rect", "blue", (0.72, 0.5), (0.28, 0.55)),
    ], name="tengr-two")


def data_url(scene: Scene, fmt: str = "png") -> str:
    return f"data:image/{fmt};base64," + base64.b64encode(scene.encode(fmt)).decode()  # type: ignore[arg-type]


def text_body(image_url: str, prompt: str = "red", **extra: Any) -> dict[str, Any]:
    return {"imageUrl": image_url, "method": "text", "textPrompt": prompt, **extra}


def decode_mask(data: bytes) -> np.ndarray:
    """A result as an HxW uint8 array (webp masks decode as RGB with equal channels)."""
    image = Image.open(io.BytesIO(data))
    if image.mode == "RGB":
        pixels = np.asarray(image)
        assert (pixels[..., 0] == pixels[..., 1]).all() and (pixels[..., 1] == pixels[..., 2]).all()
    return np.asarray(image.convert("L"))


def iou(a: np.ndarray, b: np.ndarray) -> float:
    union = np.logical_or(a, b).sum()
    return float(np.logical_and(a, b).sum() / union) if union else 1.0


def poll(get: Callable[[], Any], max_polls: int = 20) -> list[Any]:
    """Responses of successive polls, up to and including the first terminal one (bounded by ``max_polls``)."""
    seen = []
    for _ in range(max_polls):
        response = get()
        seen.append(response)
        if response.status_code != 200 or response.json()["status"] in TERMINAL:
            break
    return seen


def wait_for(condition: Callable[[], Any], timeout: float = 10.0) -> Any:
    """The first truthy value of ``condition()``, or its last value once ``timeout`` has passed."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.01)


@dataclass
class Delivery:
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """Records every POST; answers the queued statuses in order, then 200."""

    url: str
    statuses: list[int] = field(default_factory=list)
    received: list[Delivery] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def answer(self, headers: dict[str, str], body: bytes) -> int:
        with self.lock:
            self.received.append(Delivery(headers, body))
            return self.statuses.pop(0) if self.statuses else 200

    def count(self) -> int:
        with self.lock:
            return len(self.received)


@contextmanager
def _serving(handler: type[BaseHTTPRequestHandler]) -> Iterator[int]:
    """Serve ``handler`` on 127.0.0.1 (OS-chosen port) from a thread; yields the port."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


class _Quiet(BaseHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        return


@contextmanager
def receiver(statuses: list[int] | None = None) -> Iterator[Receiver]:
    """A webhook receiver on loopback answering ``statuses`` in order, then 200."""
    box: list[Receiver] = []

    class Handler(_Quiet):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            status = box[0].answer({k.lower(): v for k, v in self.headers.items()}, body)
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

    with _serving(Handler) as port:
        box.append(Receiver(f"http://127.0.0.1:{port}/tengr-hook", list(statuses or [])))
        yield box[0]


@contextmanager
def file_server(payload: bytes, content_type: str = "image/png") -> Iterator[str]:
    """Serves ``payload`` at every GET path on loopback (an imageUrl the mock fetches over HTTP)."""

    class Handler(_Quiet):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

    with _serving(Handler) as port:
        yield f"http://127.0.0.1:{port}/scene.png"
