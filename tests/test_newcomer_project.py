"""A newcomer's first project, green using only what the README documents (the issue's definition of done).

A small user project with its own clients for all four providers, per-directory configurations (function,
module and session scope), failure paths tested in-process, canned answers and a Hypothesis property test, run
by pytest with the installed plugin. Nothing in it imports from segmock beyond ``from mockserver import
MockConfig``; everything else is the fixtures and their README-documented methods.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

ROOT = Path(__file__).resolve().parents[1]

CLIENTS = '''
"""The app's own provider clients, written from the providers' docs (nothing here knows about segmock)."""
import base64
import time

import httpx
import requests


class ProviderError(Exception):
    pass


class Photoroom:
    def __init__(self, api_key, base_url="https://sdk.photoroom.com", retries=2):
        self.api_key, self.base_url, self.retries = api_key, base_url, retries

    def cutout(self, image: bytes) -> bytes:
        for attempt in range(self.retries + 1):
            r = requests.post(f"{self.base_url}/v1/segment", headers={"x-api-key": self.api_key},
                              files={"image_file": ("in.jpg", image, "image/jpeg")})
            if r.status_code == 429 and attempt < self.retries:
                time.sleep(min(float(r.headers.get("Retry-After", "0")), 0.01))
                continue
            if r.status_code != 200:
                raise ProviderError(f"photoroom {r.status_code}: {r.text}")
            return r.content

    def images_left(self) -> int:
        r = requests.get("https://image-api.photoroom.com/v2/account", headers={"x-api-key": self.api_key})
        r.raise_for_status()
        return r.json()["images"]["available"]


class Tengr:
    def __init__(self, api_key, base_url="https://api.tengr.ai"):
        self.http = httpx.Client(base_url=base_url, headers={"Authorization": f"Bearer {api_key}"})

    def masks(self, image: bytes, prompt: str, max_polls: int = 10) -> list[bytes]:
        url = "data:image/jpeg;base64," + base64.b64encode(image).decode()
        created = self.http.post("/v2/artworks/segmentation",
                                 json={"imageUrl": url, "method": "text", "textPrompt": prompt})
        if created.status_code != 202:
            raise ProviderError(f"tengr {created.status_code}: {created.text}")
        for _ in range(max_polls):
            artwork = self.http.get(f"/v2/artworks/{created.json()['id']}").json()
            if artwork["status"] == "succeeded":
                return [self.http.get(url).content for url in artwork["results"]]
            if artwork["status"] in ("failed", "canceled"):
                raise ProviderError(f"tengr artwork {artwork['status']}")
        raise ProviderError("tengr artwork did not finish")


class Sellerpic:
    def __init__(self, api_key, base_url="https://api.sellerpic.ai"):
        self.http = httpx.Client(base_url=base_url, headers={"Authorization": f"Bearer {api_key}"})

    def _data(self, r):
        body = r.json()
        if not body.get("success"):
            raise ProviderError(f"sellerpic {body.get('code')}: {body.get('msg')}")
        return body["data"]

    def prompt_mask(self, image: bytes, prompt: str, max_polls: int = 10) -> bytes:
        key = self._data(self.http.post("/v1/api/upload", files={"file": ("in.jpg", image, "image/jpeg")}))["fileKey"]
        task = self._data(self.http.post("/v1/api/generate/promptSegmentation",
                                         json={"imageKey": key, "prompt": prompt}))["id"]
        for _ in range(max_polls):
            (item,) = self._data(self.http.get("/v1/api/generate", params={"id": task}))["resultList"]
            if item["status"] == "SUCCESS":
                return httpx.get(item["fileUrl"]).content
            if item["status"] == "FAILED":
                raise ProviderError(f"sellerpic task failed: {item['errorMsg']}")
        raise ProviderError("sellerpic task did not finish")


class Prodia:
    def __init__(self, token, base_url="https://inference.prodia.com"):
        self.http = httpx.Client(base_url=base_url, headers={"Authorization": f"Bearer {token}"})

    def regions(self, image: bytes) -> bytes:
        job = b'{"type": "inference.segment.v1", "config": {}}'
        r = self.http.post("/v2/job", headers={"Accept": "image/png"},
                           files={"input": ("image.jpg", image, "image/jpeg"),
                                  "job": ("job.json", job, "application/json")})
        if r.status_code != 200:
            raise ProviderError(f"prodia {r.status_code}: {r.text}")
        return r.content
'''

HELPERS = '''
import io

import numpy as np
from PIL import Image


def shoe() -> bytes:
    with open("tests/data/shoe.jpg", "rb") as fh:
        return fh.read()


def mask(png: bytes) -> np.ndarray:
    with Image.open(io.BytesIO(png)) as im:
        return np.asarray(im.convert("RGBA"))[..., 3] if "A" in im.getbands() else np.asarray(im.convert("L"))
'''

HAPPY = '''
from helpers import mask, shoe
from myapp.clients import Photoroom, Prodia, Sellerpic, Tengr


def test_photoroom_cutout_costs_a_fifth_of_an_image(segmock_requests):
    client = Photoroom("sk_test")
    cut = mask(client.cutout(shoe()))
    assert cut.shape == (300, 400) and 0 < (cut > 127).mean() < 0.6
    assert client.images_left() == 1000 - 0.2


def test_tengr_polls_until_the_masks_are_there(segmock_respx):
    (one,) = Tengr("tk").masks(shoe(), "red")
    assert mask(one).shape == (300, 400)
    assert [e.status for e in segmock_respx.requests(operation="get-artwork")] == [200, 200]  # polls:2


def test_sellerpic_task_round_trip(segmock_respx):
    assert mask(Sellerpic("sp").prompt_mask(shoe(), "red")).max() == 255


def test_prodia_sam2_regions(segmock_respx):
    assert mask(Prodia("pt").regions(shoe())).shape == (300, 400)
'''

FAILURES = '''
import numpy as np
import pytest

from helpers import mask, shoe
from myapp.clients import Photoroom, Prodia, ProviderError, Sellerpic, Tengr


def test_photoroom_retries_a_429(segmock_requests):
    segmock_requests.fault("photoroom", "remove-background", status=429, times=2)
    Photoroom("sk_test").cutout(shoe())
    assert [e.status for e in segmock_requests.requests()] == [429, 429, 200]


def test_photoroom_out_of_credits_is_an_error(segmock_requests):
    segmock_requests.answer("photoroom", "remove-background", error="v1.credits_exhausted")
    with pytest.raises(ProviderError, match="402"):
        Photoroom("sk_test").cutout(shoe())
    assert segmock_requests.requests()[0].fault == "answer"


def test_a_failed_tengr_artwork_is_an_error(segmock_respx):
    segmock_respx.force("failed", provider="tengr")
    with pytest.raises(ProviderError, match="failed"):
        Tengr("tk").masks(shoe(), "red")


def test_sellerpic_busy_is_an_error(segmock_respx):
    segmock_respx.answer("sellerpic", "prompt-segmentation", error="concurrency_limit")
    with pytest.raises(ProviderError, match="sellerpic"):
        Sellerpic("sp").prompt_mask(shoe(), "red")


def test_a_canned_prodia_mask(segmock_respx):
    top = np.zeros((300, 400), dtype=bool)
    top[:100] = True
    segmock_respx.answer("prodia", "create-job", mask=top)
    got = mask(Prodia("pt").regions(shoe()))
    assert (got[:100] == 255).all() and (got[100:] == 0).all()


def test_a_canned_answer_off_the_contract_is_refused(segmock_respx):
    with pytest.raises(ValueError):
        segmock_respx.answer("tengr", "get-artwork", json={"id": 1})
'''

FAST_CONFTEST = '''
import pytest


@pytest.fixture
def segmock_config(segmock_config):
    return segmock_config.replace(job_progression="immediate")
'''

FAST = '''
from helpers import shoe
from myapp.clients import Tengr


def test_the_first_poll_already_has_the_masks(segmock_respx):
    Tengr("tk").masks(shoe(), "red")
    assert len(segmock_respx.requests(operation="get-artwork")) == 1


def test_live_too(segmock_server):
    Tengr("tk", base_url=segmock_server.url_for("tengr")).masks(shoe(), "red")
    assert len(segmock_server.requests(operation="get-artwork")) == 1
'''

STRICT_CONFTEST = '''
import pytest
from mockserver import MockConfig


@pytest.fixture(scope="session")
def segmock_config():
    return MockConfig(api_keys=("sk_live_ours",))
'''

STRICT = '''
import pytest

from helpers import shoe
from myapp.clients import Photoroom, ProviderError


def test_only_our_key(segmock_requests):
    assert Photoroom("sk_live_ours").cutout(shoe())
    with pytest.raises(ProviderError, match="403"):
        Photoroom("someone-else").cutout(shoe())
'''

DEFAULT_KEYS = '''
from helpers import shoe
from myapp.clients import Photoroom


def test_any_key_here(segmock_requests):
    assert Photoroom("someone-else").cutout(shoe())
'''

PROPERTIES = '''
from hypothesis import HealthCheck, given, settings, strategies as st

from helpers import shoe
from myapp.clients import Tengr


@settings(max_examples=5, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(prompt=st.sampled_from(["red", "white", "left", "largest", "shoe"]))
def test_every_prompt_polls_twice(segmock_respx, prompt):
    segmock_respx.reset()
    Tengr("tk").masks(shoe(), prompt)
    assert len(segmock_respx.requests(operation="get-artwork")) == 2

'''


def test_a_newcomers_project_runs_green(pytester: pytest.Pytester) -> None:
    data = pytester.path / "tests" / "data"
    data.mkdir(parents=True)
    shutil.copy(ROOT / "tests" / "data" / "shoe.jpg", data / "shoe.jpg")
    pytester.makepyfile(**{
        "myapp/__init__": "",
        "myapp/clients": CLIENTS,
        "tests/helpers": HELPERS,
        "tests/test_happy": HAPPY,
        "tests/test_failures": FAILURES,
        "tests/test_properties": PROPERTIES,
        "tests/fast/conftest": FAST_CONFTEST,
        "tests/fast/test_fast": FAST,
        "tests/strict/conftest": STRICT_CONFTEST,
        "tests/strict/test_strict": STRICT,
        "tests/other/test_default_keys": DEFAULT_KEYS,
    })
    (pytester.path / "conftest.py").write_text("import sys, pathlib\n"
                                               "sys.path[:0] = [str(pathlib.Path(__file__).parent / 'tests')]\n")
    result = pytester.runpytest("-p", "no:cacheprovider", "-p", "no:randomly", "-q")
    result.assert_outcomes(passed=15)
