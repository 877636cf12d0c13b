"""``segmock serve --prodia-async-segment``: the async path a user whose account permits it can exercise."""

from __future__ import annotations

from typing import Any

import httpx
from prodia_support import AUTH, input_part, job_part

from contracts.generate.scenes import standard_scenes
from contracts.wire.multipart import encode

SCENE = next(s for s in standard_scenes() if s.name == "plain-two")


def _create(base: str) -> httpx.Response:
    content_type, body = encode([job_part({"type": "inference.segment.v2", "config": {"prompt": "blue"}}),
                                 input_part(SCENE.encode("png"))])
    return httpx.post(f"{base}/v2/job/async", content=body, headers={**AUTH, "Content-Type": content_type},
                      timeout=30)


def test_serve_flag_permits_async_segment_jobs(serve_process: Any) -> None:
    server = serve_process("--provider", "prodia", "--prodia-async-segment", "--job-progression", "immediate")
    created = _create(server.url)
    assert created.status_code == 201 and created.json()["state"]["current"] == "processed"
    job_id = created.json()["id"]
    names = httpx.get(f"{server.url}/v2/job/async/{job_id}/output", headers=AUTH, timeout=30).json()
    assert names == ["output_0.png"]
    mask = httpx.get(f"{server.url}/v2/job/async/{job_id}/output/output_0.png", headers=AUTH, timeout=30)
    assert mask.status_code == 200 and mask.content.startswith(b"\x89PNG")
