"""How closely a mock answers like the real provider: replay recorded requests into it and compare.

Byte equality is meaningless for generated masks, so the comparison is by what clients rely on: status,
content type, the headers the spec declares, the JSON shape (keys and value types), image size and mode,
and the overlap (IoU) of the recorded and mocked masks. The mock is reached through ``send``; ``from_wsgi``
builds one for any WSGI app (segmock's Flask mock or a test's stand-in), so no server is needed.
"""

from __future__ import annotations

import io
import json
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import numpy as np
from PIL import Image, UnidentifiedImageError
from werkzeug.datastructures import Headers
from werkzeug.test import Client

from contracts.cassettes.cassette import Interaction
from contracts.cassettes.verify import decoded
from contracts.openapi.documents import spec
from contracts.wire.exchange import HttpRequest, HttpResponse

Send = Callable[[HttpRequest], HttpResponse]
ALWAYS_NOTABLE = ("retry-after",)


def from_wsgi(app: Callable[..., Any]) -> Send:
    """A ``send`` that calls a WSGI app in-process (werkzeug's test client: real WSGI, no sockets)."""
    client = Client(app)

    def send(request: HttpRequest) -> HttpResponse:
        parts = urlsplit(request.url)
        headers = [(k, v) for k, v in request.headers.items() if k.lower() not in ("host", "content-length")]
        resp = client.open(parts.path or "/", method=request.method, query_string=parts.query, headers=headers,
                           data=request.body, base_url=f"{parts.scheme or 'http'}://{parts.netloc or 'localhost'}")
        return HttpResponse(resp.status_code, Headers(list(resp.headers.items())), resp.get_data())

    return send


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    recorded: str
    mocked: str


@dataclass
class ExchangeFidelity:
    index: int
    operation: str
    checks: list[Check] = field(default_factory=list)
    iou: float | None = None

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks)


def json_shape(value: Any) -> Any:
    """Keys and value types, not values: what a client's parsing code depends on."""
    if isinstance(value, dict):
        return {k: json_shape(v) for k, v in sorted(value.items())}
    if isinstance(value, list):
        return [json_shape(value[0])] if value else []
    if isinstance(value, bool) or value is None:
        return type(value).__name__
    if isinstance(value, (int, float)):
        return "number"
    return type(value).__name__


def shape_differences(recorded: Any, mocked: Any, path: str = "$") -> list[str]:
    if isinstance(recorded, dict) and isinstance(mocked, dict):
        out = [f"{path}.{k} missing in mock" for k in recorded if k not in mocked]
        out += [f"{path}.{k} only in mock" for k in mocked if k not in recorded]
        for k in recorded.keys() & mocked.keys():
            out += shape_differences(recorded[k], mocked[k], f"{path}.{k}")
        return out
    if isinstance(recorded, list) and isinstance(mocked, list):
        return shape_differences(recorded[0], mocked[0], f"{path}[0]") if recorded and mocked else []
    return [] if recorded == mocked else [f"{path}: recorded {recorded}, mock {mocked}"]


def _json(response: HttpResponse) -> Any:
    if response.mimetype != "application/json" and not response.mimetype.endswith("+json"):
        return None
    try:
        return json.loads(response.body)
    except ValueError:
        return None


def _image(response: HttpResponse) -> Image.Image | None:
    if not response.mimetype.startswith("image/"):
        return None
    try:
        img = Image.open(io.BytesIO(response.body))
        img.load()
        return img
    except (UnidentifiedImageError, OSError):
        return None


def mask_of(img: Image.Image) -> np.ndarray:
    """The foreground of a cut-out (alpha channel) or of a grey mask (bright pixels)."""
    if "A" in img.getbands():
        return np.asarray(img.getchannel("A")) >= 128
    return np.asarray(img.convert("L")) >= 128


def iou(recorded: Image.Image, mocked: Image.Image) -> float:
    a = mask_of(recorded)
    b_img = mocked if mocked.size == recorded.size else mocked.resize(recorded.size, Image.Resampling.NEAREST)
    b = mask_of(b_img)
    union = np.logical_or(a, b).sum()
    return 1.0 if union == 0 else float(np.logical_and(a, b).sum() / union)


def _declared_headers(provider: str, operation: str, status: int) -> set[str]:
    s = spec(provider)
    responses = s.operations[operation].node.get("responses", {})
    node = s.resolve(responses.get(str(status), responses.get(f"{status // 100}XX", {})))
    return {name.lower() for name in node.get("headers", {})}


def compare(provider: str, operation: str, recorded: HttpResponse,
            mocked: HttpResponse) -> tuple[list[Check], float | None]:
    """The checks for one recorded response against the mock's answer to the same request."""
    recorded, mocked = decoded(recorded), decoded(mocked)
    checks = [Check("status", recorded.status == mocked.status, str(recorded.status), str(mocked.status)),
              Check("content-type", recorded.mimetype == mocked.mimetype, recorded.mimetype, mocked.mimetype)]
    notable = (_declared_headers(provider, operation, recorded.status) | set(ALWAYS_NOTABLE))
    wanted = sorted(h for h in notable if h in {k.lower() for k, _ in recorded.headers.items()})
    missing = [h for h in wanted if h not in {k.lower() for k, _ in mocked.headers.items()}]
    if wanted:
        checks.append(Check("headers", not missing, ", ".join(wanted), "missing " + ", ".join(missing) if missing
                            else "all present"))
    rec_json, mock_json = _json(recorded), _json(mocked)
    if rec_json is not None and mock_json is not None:
        diffs = shape_differences(json_shape(rec_json), json_shape(mock_json))
        checks.append(Check("json-shape", not diffs, "shape", "; ".join(diffs[:5]) or "same"))
    overlap = None
    rec_img, mock_img = _image(recorded), _image(mocked)
    if rec_img is not None and mock_img is not None:
        checks.append(Check("image-size", rec_img.size == mock_img.size, "x".join(map(str, rec_img.size)),
                            "x".join(map(str, mock_img.size))))
        checks.append(Check("image-mode", rec_img.mode == mock_img.mode, rec_img.mode, mock_img.mode))
        overlap = iou(rec_img, mock_img)
    return checks, overlap


def fidelity(provider: str, interactions: Iterable[Interaction], send: Send) -> list[ExchangeFidelity]:
    """Replay each recorded request into the mock and compare the answers (unknown operations skipped)."""
    out = []
    s = spec(provider)
    for n, interaction in enumerate(interactions, 1):
        found = s.find(interaction.request.method, interaction.request.path)
        if found is None:
            continue
        operation = found[0].operation_id
        checks, overlap = compare(provider, operation, interaction.response, send(interaction.request))
        out.append(ExchangeFidelity(n, operation, checks, overlap))
    return out


def by_operation(results: list[ExchangeFidelity]) -> dict[str, dict[str, Any]]:
    """Per operation: exchanges, how many passed each check, mask IoU (mean and worst), first mismatches."""
    table: dict[str, dict[str, Any]] = defaultdict(lambda: {"exchanges": 0, "checks": {}, "ious": [],
                                                            "mismatches": []})
    for r in results:
        row = table[r.operation]
        row["exchanges"] += 1
        for c in r.checks:
            passed, total = row["checks"].get(c.name, (0, 0))
            row["checks"][c.name] = (passed + c.ok, total + 1)
            if not c.ok and len(row["mismatches"]) < 5:
                row["mismatches"].append(f"#{r.index} {c.name}: recorded {c.recorded}, mock {c.mocked}")
        if r.iou is not None:
            row["ious"].append(r.iou)
    return dict(table)


def render(results: list[ExchangeFidelity]) -> str:
    lines = []
    for operation, row in by_operation(results).items():
        checks = ", ".join(f"{name} {p}/{t}" for name, (p, t) in row["checks"].items())
        lines.append(f"{operation}: {row['exchanges']} exchange(s); {checks}")
        if row["ious"]:
            lines.append(f"    mask IoU mean {np.mean(row['ious']):.3f}, worst {min(row['ious']):.3f}")
        lines += [f"    {m}" for m in row["mismatches"]]
    return "\n".join(lines) or "no exchanges of known operations"
