"""The seed's curl examples, unchanged except for the host, against ``segmock serve``."""

from __future__ import annotations

import io
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

pytestmark = pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")

SEED_EXAMPLES = [
    ["--form", 'referenceBox="originalImage"', "--form", 'segmentation.prompt="laptop, hand, arm"'],
    ["--form", 'referenceBox="originalImage"', "--form", 'segmentation.prompt="tee-shirt"',
     "--form", 'segmentation.negativePrompt="hanger"'],
]


@pytest.mark.parametrize("form", SEED_EXAMPLES, ids=["laptop-hand-arm", "tee-shirt-no-hanger"])
def test_seed_curl_examples_run_against_segmock_serve(serve_process, tmp_path: Path, form: list[str]) -> None:
    server = serve_process("--provider", "photoroom")
    pixels = np.full((480, 640, 3), 235, np.uint8)
    pixels[100:380, 180:460] = (40, 40, 45)
    source = tmp_path / "image.jpeg"
    Image.fromarray(pixels).save(source, "JPEG", quality=90)
    out = tmp_path / "result.png"
    cmd = ["curl", "--silent", "--show-error", "--fail-with-body", "--request", "POST",
           "--url", f"{server.url}/v2/edit", "--header", "x-api-key: YOUR_API_KEY",
           "--form", f'imageFile=@"{source}"', *form, "--output", str(out)]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr + out.read_text(errors="replace") if out.exists() else done.stderr
    result = Image.open(io.BytesIO(out.read_bytes()))
    assert result.format == "PNG" and result.size == (640, 480)
    assert result.mode == "RGBA"


def test_serve_prints_where_each_provider_lives_and_stops_cleanly(serve_process) -> None:
    server = serve_process("--provider", "photoroom")
    output = server.stop()
    assert f"segmock serving on {server.url}" in output
    assert "https://image-api.photoroom.com ->" in output and "https://sdk.photoroom.com ->" in output
    assert server.proc.returncode == 0
