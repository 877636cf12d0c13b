"""``segmock serve`` options a user types: ``--rate-limit`` takes effect in the provider's own 429 shape, and a
provider or key the specs do not know is refused before anything starts."""

from __future__ import annotations

import contextlib
import io
import json
from typing import Any

import httpx
import pytest
from PIL import Image

import contracts
from mockserver.cli import main

SEGMENT = "/v1/segment"


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (48, 32), (200, 40, 40)).save(out, "PNG")
    return out.getvalue()


def test_rate_limit_flag_gives_photoroom_429_once_the_window_is_full(serve_process: Any) -> None:
    server = serve_process("--provider", "photoroom", "--rate-limit", "photoroom.images_per_minute=1")
    files = {"image_file": ("a.png", _png(), "image/png")}
    with httpx.Client(base_url=server.url, headers={"x-api-key": "k"}, timeout=30) as client:
        answers = [client.post(SEGMENT, files=files) for _ in range(3)]
    assert [r.status_code for r in answers] == [200, 429, 429]
    refused = answers[2]
    documented = contracts.error_response("photoroom", "rate_limited", "remove-background")
    assert json.loads(refused.content) == json.loads(documented.body)
    assert 1 <= int(refused.headers["Retry-After"]) <= 60


def _serve(*args: str) -> tuple[int, str]:
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        try:
            code = main(["serve", "--port", "0", *args])
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 2
    return code, err.getvalue()


@pytest.mark.parametrize(("args", "says"), [
    (("--rate-limit", "nobody.limit=1"), "unknown provider 'nobody'"),
    (("--rate-limit", "photoroom.requests_per_hour=1"), "photoroom has no rate-limit key 'requests_per_hour'"),
    (("--rate-limit", "sellerpic.limit=1"), "sellerpic states no rate limit"),
    (("--rate-limit", "photoroom.limit"), "--rate-limit wants PROVIDER.KEY=NUMBER"),
    (("--provider", "nobody"), "unknown provider(s): nobody"),
])
def test_what_the_specs_do_not_know_is_refused_with_exit_2(args: tuple[str, ...], says: str) -> None:
    code, err = _serve(*args)
    assert code == 2
    assert err.startswith("segmock serve: ") and says in err and err.count("\n") == 1
