"""``mockserver.core.provider``: every provider folder fills in the same ``ProviderDef``, and loading one imports
neither its handlers nor its models until a request needs them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from mockserver.core import registry
from mockserver.core.provider import Deferred, on_first_call

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("name", registry.available())
def test_every_deferred_name_of_a_provider_resolves_to_a_callable(name: str) -> None:
    provider = registry.load(name)
    deferred = [*provider.urls.values(), provider.backend, provider.max_body]
    deferred += [provider.jobs] if provider.jobs is not None else []
    for entry in deferred:
        if isinstance(entry, Deferred):
            assert callable(entry.target), entry
    assert set(provider.urls) >= set(provider.spec.operations) - provider.spec.unmocked


def test_a_misspelt_name_is_refused_on_first_call_with_the_module_and_name() -> None:
    handlers = on_first_call("mockserver.providers.photoroom.handlers")
    with pytest.raises(AttributeError, match=r"mockserver.providers.photoroom.handlers has no callable 'edt'"):
        handlers.edt(None)


SERVE_ONE_JSON_CALL = """
import json, sys, tempfile
from pathlib import Path
from mockserver import MockConfig, create_app
app = create_app(MockConfig(state_dir=Path(tempfile.mkdtemp())))
client = app.test_client()
statuses = [client.get("/v2/account", headers={"x-api-key": "k"}).status_code,  # Photoroom
            client.get("/v2/artworks", headers={"Authorization": "Bearer k"}).status_code,  # tengr
            client.get("/v1/api/usage", headers={"Authorization": "Bearer k"}).status_code]  # SellerPic
print(json.dumps({"statuses": statuses, "modules": sorted(sys.modules)}))
"""


def test_json_calls_need_no_imaging_library_and_no_other_provider() -> None:
    """Start-up and the first JSON calls (an account, a list of artworks, the usage) load neither numpy nor
    Pillow, nor Prodia's folder, which was not called: its ``urls`` only (``benchmarks/bench_startup.py``
    measures what that saves)."""
    done = subprocess.run([sys.executable, "-c", SERVE_ONE_JSON_CALL], cwd=ROOT, capture_output=True, text=True,
                          check=True)
    answer = json.loads(done.stdout)
    assert answer["statuses"] == [200, 200, 200]
    loaded = set(answer["modules"])
    assert not {"numpy", "PIL"} & loaded
    prodia = {f"mockserver.providers.prodia.{module}" for module in ("models", "handlers", "render")}
    assert not loaded & {*prodia, "mockserver.segmenter"}
