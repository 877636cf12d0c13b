"""Prodia's current docs: the v2 generation type of the examples, job times from the mock's clock (frozen on
request for byte-identical answers), and MIME parameters on Accept."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from PIL import Image
from prodia_support import AUTH, IN_PROCESS_ONLY, JOB_URL, read_multipart, segment

from contracts.generate.scenes import standard_scenes

SCENES = {s.name: s for s in standard_scenes()}

FLUX_V2 = {"type": "inference.flux-fast.schnell.txt2img.v2", "config": {"prompt": "a red cup", "width": 512,
                                                                      "height": 384}}


def when(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


def test_flux_v2_from_the_docs_examples_is_served(mock_http) -> None:
    r = mock_http.post(JOB_URL + "?price=true", json=FLUX_V2, headers={**AUTH, "Accept": "multipart/form-data"})
    assert r.status_code == 200, r.text
    parsed = read_multipart(r)
    assert parsed.job["config"] == {"prompt": "a red cup", "width": 512, "height": 384, "steps": 4}
    assert parsed.job["price"] == {"product": "inference-flux-schnell-large-steps-4", "dollars": 0.0025}
    assert Image.open(io.BytesIO(parsed.outputs[0][2])).size == (512, 384)


def test_sync_jobs_are_stamped_now_and_expire_in_the_future(mock_http) -> None:
    image = SCENES["gradient-three"].encode("png")
    before = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
    job = read_multipart(segment(mock_http, {"type": "inference.segment.v1"}, image)).job
    created, expires = when(job["created_at"]), when(job["expires_at"])
    assert before <= created <= dt.datetime.now(dt.UTC) + dt.timedelta(seconds=1)
    assert expires - created == dt.timedelta(seconds=300) and expires > dt.datetime.now(dt.UTC)


def test_accept_with_a_quality_parameter(mock_http) -> None:
    image = SCENES["gradient-three"].encode("png")
    job = {"type": "inference.segment.v1"}
    low = segment(mock_http, job, image, accept="image/jpeg; quality=20")
    high = segment(mock_http, job, image, accept="image/jpeg; quality=95")
    assert low.status_code == high.status_code == 200
    assert low.headers["content-type"] == "image/jpeg" and len(low.content) < len(high.content)
    assert segment(mock_http, job, image, accept="image/png; foo=bar").status_code == 200


@IN_PROCESS_ONLY
class TestFrozenClock:
    @pytest.fixture
    def segmock_config(self, segmock_config):
        return segmock_config.replace(clock="frozen:2025-01-01T00:00:00Z")

    def test_same_request_gives_the_same_bytes(self, mock_http) -> None:
        image = SCENES["gradient-three"].encode("webp", quality=95)
        job = {"type": "inference.segment.v1"}
        first, second = segment(mock_http, job, image), segment(mock_http, job, image)
        assert first.status_code == 200 and first.content == second.content
        assert read_multipart(first).job["created_at"] == "2025-01-01T00:00:00.000Z"
        other = segment(mock_http, {"type": "inference.sam2.segment.v1"}, image)
        assert read_multipart(other).job["id"] != read_multipart(first).job["id"]


def test_clock_settings_are_checked() -> None:
    from mockserver.config import MockConfig

    with pytest.raises(ValueError, match="frozen"):
        MockConfig(clock="yesterday").validate()
    with pytest.raises(ValueError, match="ISO 8601"):
        MockConfig(clock="frozen:soon").validate()
