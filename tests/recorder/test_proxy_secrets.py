"""No secret reaches disk: not in the cassette, its assets, the report, nor the console."""

from __future__ import annotations

import json

import httpx


def test_keys_are_absent_from_every_written_file(cli, upstream, tmp_path, api_key, make_png):
    field_secret = "field-secret-7c1d2e3f4a5b"
    query_secret = "query-secret-0a9b8c7d6e5f"
    custom_secret = "custom-header-secret-112233"
    server = cli("record", "--provider", "photoroom", "--upstream", upstream.url,
                 "--cassette", str(tmp_path / "c.yaml"), "--report", str(tmp_path / "report.json"),
                 "--redact-header", "X-Team-Token", "--redact-query", "sig", "--redact-field", "webhook_secret")
    with httpx.Client(base_url=server.url, timeout=30) as client:
        client.get("/v2/account", headers={"x-api-key": api_key, "X-Team-Token": custom_secret})
        client.get("/v2/account", headers={"Authorization": f"Bearer {api_key}", "x-api-key": api_key})
        client.post("/v1/segment", headers={"x-api-key": api_key}, params={"sig": query_secret},
                    files={"image_file": ("a.png", make_png(), "image/png")},
                    data={"api_key": api_key, "webhook_secret": field_secret, "format": "png"})
        client.post("/v1/segment", headers={"x-api-key": api_key},
                    json={"config": {"token": field_secret}, "prompt": "a shoe"})
    output = server.stop()

    written = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert any(p.suffix == ".png" for p in written) and (tmp_path / "report.json").exists()
    for path in written:
        data = path.read_bytes()
        for secret in (api_key, field_secret, query_secret, custom_secret):
            assert secret.encode() not in data, f"{secret} leaked into {path.name}"
    for secret in (api_key, field_secret, query_secret, custom_secret):
        assert secret not in output

    cassette = (tmp_path / "c.yaml").read_text()
    assert "X-Api-Key: REDACTED" in cassette and "Bearer REDACTED" in cassette
    assert "text: REDACTED" in cassette  # the multipart api_key field, blanked in place
    report = json.loads((tmp_path / "report.json").read_text())
    assert len(report["exchanges"]) == 4


def test_keys_in_big_bodies_never_reach_disk(cli, upstream, tmp_path, api_key, standin_bytes):
    field_secret = "field-secret-big-5e6f7a8b9c"
    server = cli("record", "--provider", "photoroom", "--upstream", upstream.url,
                 "--cassette", str(tmp_path / "c.yaml"), "--report", str(tmp_path / "report.json"),
                 "--redact-field", "webhook_secret")
    with httpx.Client(base_url=server.url, timeout=60) as client:
        response = client.post("/v1/segment", headers={"x-api-key": api_key, "X-Standin-Size": str(2 << 20)},
                               files={"image_file": ("a.png", standin_bytes(2 << 20, seed=3), "image/png")},
                               data={"api_key": api_key, "webhook_secret": field_secret})
    output = server.stop()

    assert response.status_code == 200
    written = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert sum(p.stat().st_size for p in written) > 4 << 20  # both big bodies are on disk, as assets
    for path in written:
        data = path.read_bytes()
        for secret in (api_key, field_secret):
            assert secret.encode() not in data, f"{secret} leaked into {path.name}"
    assert api_key not in output and field_secret not in output
    assert (tmp_path / "c.yaml").read_text().count("text: REDACTED") == 2
