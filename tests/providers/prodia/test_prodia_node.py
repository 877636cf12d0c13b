"""The official ``prodia`` npm client (``prodia/v2``) against ``segmock serve``: the seed's SAM 2 and SAM 3
examples unchanged except for ``baseUrl``, and the client's error classes for a bad token, a bad config and an
unknown job type. The pinned client is installed by ``.ci/run`` (``npm ci`` in ``tests/providers/prodia/js``);
a checkout without it skips these tests and says how to install it."""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image
from prodia_support import TOKEN, iou

from contracts.generate.scenes import standard_scenes
from mockserver.providers.prodia import standin

JS = Path(__file__).parent / "js"
NODE = shutil.which("node")
RUN_TIMEOUT = 120

pytestmark = pytest.mark.skipif(NODE is None, reason="node is not installed (CI installs it: .ci/run)")


@pytest.fixture(scope="module")
def client_dir() -> Path:
    """The JS folder with ``node_modules/prodia`` installed (by ``.ci/run``, never by a test)."""
    if not (JS / "node_modules" / "prodia" / "package.json").exists():
        pytest.skip("the prodia npm client is not installed: (cd tests/providers/prodia/js && npm ci)")
    return JS


@pytest.fixture
def prodia_server(serve_process: Any) -> Any:
    return serve_process("--provider", "prodia", "--api-key", TOKEN)


def run_node(script: Path, cwd: Path, base_url: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PRODIA_TOKEN": TOKEN, "PRODIA_BASE_URL": f"{base_url}/v2"}
    assert NODE is not None
    return subprocess.run([NODE, str(script)], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=RUN_TIMEOUT)


def saved_masks(stdout: str) -> int:
    found = re.search(r"Saved (\d+) mask files", stdout)
    assert found, stdout
    return int(found.group(1))


def read_mask(path: Path, size: tuple[int, int]) -> np.ndarray:
    image = Image.open(path)
    assert image.format == "PNG" and image.size == size
    pixels = np.asarray(image)
    assert set(np.unique(pixels)) <= {0, 255}
    return pixels == 255


def test_seed_sam2_and_sam3_examples_run_unchanged(client_dir: Path, prodia_server: Any, tmp_path: Path) -> None:
    sam2 = run_node(client_dir / "sam2.mjs", tmp_path, prodia_server.url)
    assert sam2.returncode == 0, sam2.stderr
    generated = Image.open(io.BytesIO((tmp_path / "input.jpg").read_bytes()))
    assert generated.format == "JPEG" and generated.size == (1024, 1024)
    count = saved_masks(sam2.stdout)
    masks = [read_mask(tmp_path / f"mask_{i}.png", generated.size) for i in range(count)]
    scene = standin.scene("a cute robot cat on a colorful background", "1024x1024")
    for obj in scene.objects:
        assert max(iou(obj.mask, m) for m in masks) >= 0.9, f"SAM 2 missed the {obj.name}"

    for leftover in tmp_path.glob("mask_*.png"):
        leftover.unlink()
    sam3 = run_node(client_dir / "sam3.mjs", tmp_path, prodia_server.url)
    assert sam3.returncode == 0, sam3.stderr
    count = saved_masks(sam3.stdout)
    assert sorted(p.name for p in tmp_path.glob("mask_*.png")) == sorted(f"mask_{i}.png" for i in range(count))
    for i in range(count):
        read_mask(tmp_path / f"mask_{i}.png", generated.size)


def test_client_error_classes_fire(client_dir: Path, prodia_server: Any, tmp_path: Path) -> None:
    scene = next(s for s in standard_scenes() if s.name == "plain-two")
    (tmp_path / "input.jpg").write_bytes(scene.encode("jpeg"))
    done = run_node(client_dir / "errors.mjs", tmp_path, prodia_server.url)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["badToken"] == {"error": "ProdiaBadResponseError", "message": "401 token is invalid"}
    assert result["badConfig"]["error"] == "ProdiaUserError"
    assert "jsonschema validation failed" in result["badConfig"]["message"]
    assert "maximum: got 2, want 1" in result["badConfig"]["message"] and "(id: " in result["badConfig"]["message"]
    assert result["unknownType"]["error"] == "ProdiaCapacityError"
    assert result["ok"] == {"error": None}
