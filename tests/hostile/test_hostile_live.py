"""The hostile corpus against the real server (``segmock serve --workers 2`` on loopback): every request that
once broke segmock's promise — a 500, a poisoned store, a body or prompt that bought seconds of work, a
bomb — is answered with the provider's documented refusal, the server keeps serving, nothing is stored, and
its resident memory stays bounded."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from hostile_corpus import png, png_bomb
from served import PeakSampler, Served

import contracts

BEARER = {"Authorization": "Bearer hostile-key"}
PHOTOROOM = {"x-api-key": "hostile-key"}
DEEP_ARRAY = "[" * 1000 + "]" * 1000
DEEP_OBJECT = '{"a":' * 1000 + "1" + "}" * 1000
WORK_MEMORY_MB = 512
SERVER_BUDGET = 1024 * 2**20  # two workers' interpreters, specs and caches, plus the work budget


@dataclass
class Case:
    """One hostile request and the answer it must get."""

    provider: str
    method: str
    path: str
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    statuses: tuple[int, ...] = (400,)
    says: str | None = None  # a word the refusal must contain (the field it names, the limit)


def _multipart(parts: list[tuple[str, str | None, str | None, bytes]]) -> tuple[dict[str, str], bytes]:
    boundary = "hostile-boundary"
    out = b""
    for name, filename, content_type, data in parts:
        disposition = f'form-data; name="{name}"' + (f'; filename="{filename}"' if filename else "")
        out += f"--{boundary}\r\nContent-Disposition: {disposition}\r\n".encode()
        if content_type:
            out += f"Content-Type: {content_type}\r\n".encode()
        out += b"\r\n" + data + b"\r\n"
    return {"Content-Type": f"multipart/form-data; boundary={boundary}"}, out + f"--{boundary}--\r\n".encode()


def _json(provider: str, path: str, text: str, headers: dict[str, str] = BEARER, **kw: Any) -> Case:
    return Case(provider, "POST", path, {**headers, "Content-Type": "application/json"}, text.encode(), **kw)


def _prodia_job(job: str, input_bytes: bytes = b"", path: str = "/v2/job", **kw: Any) -> Case:
    parts = [("job", "job.json", "application/json", job.encode())]
    if input_bytes:
        parts.append(("input", "input.png", "image/png", input_bytes))
    headers, body = _multipart(parts)
    return Case("prodia", "POST", path, {**BEARER, **headers}, body, **kw)


def _edit(fields: dict[str, str], image: bytes | None = None, **kw: Any) -> Case:
    parts: list[tuple[str, str | None, str | None, bytes]] = [(k, None, None, v.encode()) for k, v in fields.items()]
    if image is not None:
        parts.append(("imageFile", "input.png", "image/png", image))
    headers, body = _multipart(parts)
    return Case("photoroom", "POST", "/v2/edit", {**PHOTOROOM, **headers}, body, **kw)


def _tengr(**fields: Any) -> str:
    return json.dumps({"imageUrl": "https://example.com/a.png", "method": "text", "textPrompt": "cat", **fields})


SELLERPIC_REFUSAL = (200,)  # SellerPic's documented refusal: HTTP 200 with success:false (checked below)

CASES: dict[str, Case] = {
    "prodia-type-list": _json("prodia", "/v2/job", '{"type": ["x"]}'),
    "prodia-async-type-nulls": _json("prodia", "/v2/job/async?price=true",
                                     '{"config": {"prompt": "0"}, "type": [null, null]}'),
    "prodia-sam2-input-null": _prodia_job('{"type": "inference.segment.v1"}', b"[null]"),
    "prodia-sam3-input-null": _prodia_job('{"type": "inference.segment.v2", "config": {"prompt": "cat"}}', b"[null]"),
    "prodia-job-deep": _prodia_job(DEEP_OBJECT, png()),
    "prodia-confidence-nan": _prodia_job(
        '{"type": "inference.segment.v2", "config": {"prompt": "cat", "confidence_threshold": NaN}}', png()),
    "prodia-prompt-501": _prodia_job(json.dumps({"type": "inference.segment.v2", "config": {"prompt": "c" * 501}}),
                                     png(), says="prompt"),
    "tengr-deep-array": _json("tengr", "/v2/artworks/segmentation", _tengr()[:-1] + f', "x": {DEEP_ARRAY}}}'),
    "tengr-deep-object": _json("tengr", "/v2/artworks/segmentation", DEEP_OBJECT),
    "tengr-nan-blur": _json("tengr", "/v2/artworks/segmentation", _tengr()[:-1] + ', "maskBlurSigma": NaN}'),
    "tengr-infinity-confidence": _json("tengr", "/v2/artworks/segmentation",
                                       _tengr()[:-1] + ', "textConfidence": Infinity}'),
    "tengr-8mb-body": _json("tengr", "/v2/artworks/segmentation",
                            _tengr(textPrompt="cat " * 2_000_000)),
    "tengr-long-prompt": _json("tengr", "/v2/artworks/segmentation", _tengr(textPrompt="red bottle " * 200),
                               says="textPrompt"),
    "sellerpic-deep": _json("sellerpic", "/v1/api/generate/promptSegmentation",
                            '{"imageKey": ' + DEEP_ARRAY + ', "prompt": "cat"}', statuses=SELLERPIC_REFUSAL),
    "photoroom-200kb-prompt": _edit({"segmentation.prompt": "red bottle " * 20_000}, png(), says="segmentation.prompt"),
    "photoroom-output-10000": _edit({"outputSize": "10000x10000"}, png(), says="outputSize"),
    "photoroom-output-digits": _edit({"outputSize": "9" * 5000 + "x1"}, png(), says="outputSize"),
    "photoroom-bomb": _edit({}, png_bomb()),
    "photoroom-truncated": _edit({}, png(64, 64)[:60]),
    "photoroom-1200-parts": _edit({f"f{i}": "x" for i in range(1200)}, png(), says="parts"),
    "photoroom-unknown-path": Case("photoroom", "GET", "/v2/edit/nothing-here", PHOTOROOM, statuses=(404,)),
    "photoroom-wrong-method": Case("photoroom", "DELETE", "/v2/edit", PHOTOROOM, statuses=(405,)),
    "tengr-wrong-method": Case("tengr", "PUT", "/v2/artworks/segmentation", BEARER, statuses=(404,), says="Cannot PUT"),
    "sellerpic-wrong-method": Case("sellerpic", "DELETE", "/v1/api/upload", BEARER, statuses=(405,)),
    "prodia-wrong-method": Case("prodia", "DELETE", "/v2/job", BEARER, statuses=(405,)),
}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    served = Served(tmp_path_factory.mktemp("hostile-served"), "--work-memory-mb", str(WORK_MEMORY_MB))
    yield served
    served.stop()


@pytest.fixture(scope="module")
def peak(server: Served) -> Iterator[PeakSampler]:
    with PeakSampler(server) as sampler:
        yield sampler


def _send(server: Served, case: Case) -> httpx.Response:
    return httpx.request(case.method, server.url + case.path, headers=case.headers, content=case.body, timeout=60)


def _provider_shaped(case: Case, response: httpx.Response) -> list[str]:
    """What is wrong with the answer's shape: the spec's response for a routed request, the provider's error
    body for an unrouted one."""
    request = contracts.HttpRequest(case.method, "http://127.0.0.1" + case.path, case.headers, case.body)
    if contracts.spec(case.provider).find(case.method, request.path) is not None:
        return [str(v) for v in contracts.validate_response(case.provider, request, contracts.as_response(response))]
    problems = []
    if response.status_code == 405 and not response.headers.get("Allow"):
        problems.append("a 405 without Allow")
    if case.provider != "prodia":  # Prodia's router answers text/plain
        body = response.json()
        keys = {"photoroom": {"error"}, "tengr": {"message", "statusCode"},
                "sellerpic": {"code", "msg", "success"}}[case.provider]
        if not keys <= set(body):
            problems.append(f"not {case.provider}'s error body: {body}")
    return problems


@pytest.mark.parametrize("name", list(CASES))
def test_hostile_request_gets_the_documented_refusal(server: Served, peak: PeakSampler, name: str) -> None:
    case = CASES[name]
    response = _send(server, case)
    assert response.status_code in case.statuses, (response.status_code, response.text[:300])
    if case.statuses == SELLERPIC_REFUSAL:
        assert response.json()["success"] is False, response.text[:300]
    assert _provider_shaped(case, response) == []
    if case.says:
        assert case.says in response.text, response.text[:300]
    assert "30MB" not in response.text or name.startswith("photoroom-bomb")
    assert server.up()


def test_a_poison_request_is_refused_and_nothing_is_stored(server: Served) -> None:
    key = {"Authorization": "Bearer poison-key"}
    case = _json("tengr", "/v2/artworks/segmentation", _tengr()[:-1] + ', "textPrompt": "\\ud800"}', headers=key)
    response = _send(server, case)
    assert response.status_code == 400 and response.json()["statusCode"] == 400, response.text[:300]
    listed = httpx.get(server.url + "/v2/artworks", headers=key, timeout=10)
    assert listed.status_code == 200 and listed.json() == []
    assert httpx.get(server.url + "/__segmock/", timeout=10).status_code == 200


def test_json_like_form_fields_never_break_the_upload(server: Served) -> None:
    headers, body = _multipart([("file", "a.png", "image/png", png()), ("meta", None, None, b'{"a": {"b": [1]}}'),
                                ("list", None, None, b"[null, {}]"), ("file2", None, None, b"{}")])
    case = Case("sellerpic", "POST", "/v1/api/upload", {**BEARER, **headers}, body)
    response = _send(server, case)
    assert response.status_code == 200, response.text[:300]
    assert _provider_shaped(case, response) == []


def test_the_server_stays_within_its_memory(server: Served, peak: PeakSampler) -> None:
    """Runs after the corpus (module order): all of it, bombs included, never took the server past its budget."""
    for name in ("photoroom-bomb", "photoroom-output-10000", "tengr-8mb-body"):
        assert _send(server, CASES[name]).status_code < 500
    assert server.up()
    assert peak.peak < SERVER_BUDGET, f"peak RSS {peak.peak / 2**20:.0f} MiB"




def test_unsupported_field_names_are_escaped_in_the_header_that_names_them(server: Served) -> None:
    case = _edit({"x\x01\u00e9\U0001f600": "1"}, png())
    response = _send(server, case)
    assert response.status_code == 200, response.text[:300]
    assert response.headers["pr-unsupported-attributes"] == "Unsupported attributes: x\\x01\\xe9\\U0001f600"


def test_a_chunked_body_over_the_budget_is_refused_while_it_is_read(server: Served) -> None:
    """No Content-Length to check up front: the budget applies as the body is read (2 MB against 1 MB)."""
    body = _tengr(textPrompt="cat " * 500_000).encode()

    def chunks() -> Iterator[bytes]:
        for start in range(0, len(body), 65536):
            yield body[start:start + 65536]

    response = httpx.post(server.url + "/v2/artworks/segmentation", content=chunks(), timeout=60,
                          headers={**BEARER, "Content-Type": "application/json"})
    assert response.status_code == 400 and "larger than" in response.text, response.text[:300]
    assert server.up()
