"""The inspector in a real headless browser (Debian's chromium): a request made here shows up with its
overlay decoded by the browser; a screenshot is saved to ``tests/artifacts/``."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import httpx
import pytest
from operator_support import KEY, packshot

CHROMIUM = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (.ci/run installs it)")


def chromium(profile: Path, *args: str) -> str:
    command = [str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
               "--disable-background-networking", "--disable-component-update", "--disable-sync",
               "--disable-dev-shm-usage", f"--user-data-dir={profile}", *args]
    done = subprocess.run(command, capture_output=True, text=True, timeout=90)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def test_a_request_appears_with_its_overlay(live: Any, tmp_path: Path) -> None:
    with httpx.Client(base_url=live.url) as http:
        http.get("/v2/account", headers=KEY)
        answer = http.post("/v1/segment", headers=KEY, files={"image_file": ("p.png", packshot(400, 300), "image/png")})
        assert answer.status_code == 200
    (entry,) = live.requests(operation="remove-background")

    dom = chromium(tmp_path / "profile", "--virtual-time-budget=5000", "--dump-dom", live.inspector_url)
    article = re.search(rf'<article[^>]*id="request-{entry.seq}".*?</article>', dom, re.S)
    assert article, dom[:2000]
    assert 'data-operation="remove-background"' in article.group(0)
    overlay = re.search(r'<img[^>]*class="overlay"[^>]*>', article.group(0))
    assert overlay and f"/requests/{entry.seq}/overlay/0.png" in overlay.group(0)
    assert 'data-loaded="256"' in overlay.group(0), "the browser did not decode the overlay PNG"

    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / "inspector.png"
    shot.unlink(missing_ok=True)
    chromium(tmp_path / "profile", "--window-size=1200,900", "--hide-scrollbars", f"--screenshot={shot}",
             live.inspector_url)
    assert shot.stat().st_size > 10_000


def test_an_async_job_and_an_error_show_their_state_input_and_body(tmp_path: Path) -> None:
    import base64

    from mockserver.app import create_app
    from mockserver.config import MockConfig
    from mockserver.pytest_plugin import LiveServer

    server = LiveServer(create_app(MockConfig(providers=("photoroom", "tengr"), state_dir=tmp_path / "s"))).start()
    try:
        tengr = {"Authorization": "Bearer k"}
        with httpx.Client(base_url=server.url) as http:
            image = "data:image/png;base64," + base64.b64encode(packshot(160, 120)).decode()
            created = http.post("/v2/artworks/segmentation", headers=tengr,
                                json={"imageUrl": image, "method": "text", "textPrompt": "red"}).json()
            for _ in range(2):
                final = http.get(f"/v2/artworks/{created['id']}", headers=tengr).json()
            assert final["status"] == "succeeded"
            assert http.get(final["results"][0].replace("https://api.tengr.ai", "")).status_code == 200
            assert http.post("/v2/edit", headers=KEY, files={"imageFile": ("a.png", packshot(), "image/png")},
                             data={"padding": "0.6"}).status_code == 400
        dom = chromium(tmp_path / "profile", "--virtual-time-budget=5000", "--dump-dom", server.inspector_url)
    finally:
        server.stop()
    cards = {m.group(1): m.group(0) for m in re.finditer(r'<article[^>]*id="request-(\d+)".*?</article>', dom, re.S)}
    assert re.search(r'<img[^>]*class="input"[^>]*data-loaded="\d+"', cards["1"]), "no decoded input on the job"
    assert '<strong class="job-status">succeeded</strong>' in cards["3"]
    assert re.search(r'<img[^>]*class="overlay"[^>]*data-loaded="\d+"', cards["4"]), "no decoded result mask"
    assert "padding must be a number between 0 and 0.49" in cards["5"] and 'class="error-body"' in cards["5"]
