"""``segmock scaffold-provider``: in a copy of the checkout, the new provider loads, is served by ``segmock
serve`` at its spec's path, answers in its spec's shapes and passes the generic provider tests."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from cli_support import ROOT, CliServer

NAME = "acme"
GENERIC_TESTS = ("tests/contracts/openapi/test_documents.py", "tests/contracts/openapi/test_extensions.py",
                 "tests/properties/test_prop_requests.py")


@pytest.fixture(scope="module")
def checkout(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the checkout with ``acme`` scaffolded into it (the real checkout is never touched)."""
    root = tmp_path_factory.mktemp("checkout")
    skip = shutil.ignore_patterns("__pycache__", "node_modules", "artifacts", ".hypothesis")
    for part in ("contracts", "mockserver", "specs", "tests"):
        shutil.copytree(ROOT / part, root / part, ignore=skip)
    shutil.copy(ROOT / "pyproject.toml", root)
    done = _python(root, "-m", "mockserver.cli", "scaffold-provider", NAME, "--root", str(root))
    assert done.returncode == 0, done.stderr
    return root


def _python(root: Path, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(root), "SEGMOCK_CACHE_DIR": str(root / ".cache")}
    return subprocess.run([sys.executable, *args], cwd=root, env=env, capture_output=True, text=True,
                          timeout=timeout)


def test_the_new_provider_has_the_fixed_shape(checkout: Path) -> None:
    folder = checkout / "mockserver" / "providers" / NAME
    assert sorted(p.name for p in folder.glob("*.py")) == sorted(
        f"{n}.py" for n in ("__init__", "settings", "models", "handlers", "render", "urls"))
    assert (checkout / "specs" / f"{NAME}.yaml").is_file()
    assert (checkout / "contracts" / "check" / "providers" / f"{NAME}.py").is_file()


def test_segmock_serve_serves_it_in_its_own_shapes(checkout: Path) -> None:
    server = CliServer("serve", "--provider", NAME, "--state-dir", str(checkout / "state"),
                       "--rate-limit", f"{NAME}.limit=2", root=checkout,
                       env={"SEGMOCK_CACHE_DIR": str(checkout / ".cache")})
    try:
        with httpx.Client(base_url=server.url, timeout=30) as client:
            assert client.get("/__segmock/health").status_code == 200
            account = client.get("/v1/account", headers={"Authorization": "Bearer k-1"})
            assert account.status_code == 200 and account.json() == {"id": "k-1", "credits": 100}
            missing = client.get("/v1/account")
            assert missing.status_code == 401 and missing.json()["error"]["code"] == "auth_missing"
            client.get("/v1/account", headers={"Authorization": "Bearer k-1"})
            limited = client.get("/v1/account", headers={"Authorization": "Bearer k-1"})
            assert limited.status_code == 429 and limited.headers["Retry-After"].isdigit()
    finally:
        printed = server.stop()
    assert f"{NAME}" in printed and "https://api.acme.example ->" in printed
    checked = _python(checkout, "-c", (
        "import json, httpx, contracts\n"
        "r = httpx.Request('GET', 'https://api.acme.example/v1/account', headers={'Authorization': 'Bearer k'})\n"
        "ok = contracts.HttpResponse(200, {'Content-Type': 'application/json'}, b'{\"id\":\"k\",\"credits\":1}')\n"
        "found = contracts.validate_request('acme', r) + contracts.validate_response('acme', r, ok)\n"
        "print(json.dumps(len(found)))"))
    assert checked.returncode == 0, checked.stderr
    assert json.loads(checked.stdout) == 0


def test_it_passes_the_generic_provider_tests(checkout: Path) -> None:
    done = _python(checkout, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-k", NAME, *GENERIC_TESTS, timeout=300)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    summary = done.stdout.strip().splitlines()[-1]
    assert "passed" in summary and "skipped" not in summary and "failed" not in summary, summary
    assert int(summary.split()[0]) >= 6, summary


def test_an_existing_provider_or_a_bad_name_is_refused(checkout: Path) -> None:
    for name in ("photoroom", "Bad-Name"):
        done = _python(checkout, "-m", "mockserver.cli", "scaffold-provider", name, "--root", str(checkout))
        assert done.returncode == 2 and done.stderr.startswith("segmock: "), done.stderr
