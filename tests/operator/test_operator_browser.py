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
