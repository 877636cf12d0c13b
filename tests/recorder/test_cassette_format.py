"""Cassettes are readable YAML with real image files beside them, and rebuild the exact bytes."""

from __future__ import annotations

import gzip
import json

import yaml
from PIL import Image

from contracts import HttpRequest, HttpResponse
from contracts.cassettes import cassette as cassettes
from contracts.wire.multipart import Part, encode


def _save(tmp_path, request, response):
    path = tmp_path / "case.yaml"
    cassettes.save(cassettes.Cassette(None, [cassettes.Interaction(request, response)], "photoroom"), path)
    return path, yaml.safe_load(path.read_text())["interactions"][0]


def test_recorded_images_are_viewable_files_and_deduplicated(recorded):
    document = yaml.safe_load(recorded.cassette.read_text())
    segments = [i for i in document["interactions"] if i["request"]["url"].endswith("/v1/segment")]
    uploads = {p["asset"] for i in segments for p in i["request"]["body"]["multipart"]["parts"]
               if p["name"] == "image_file"}
    assert len(segments) == 2 and len(uploads) == 1  # same image sent twice, stored once
    upload_file = recorded.cassette.parent / uploads.pop()
    assert upload_file.read_bytes() == recorded.upload
    assert Image.open(upload_file).size == (40, 30)
    result = recorded.cassette.parent / segments[0]["response"]["body"]["asset"]
    assert result.suffix == ".png" and Image.open(result).format == "PNG"
    account = document["interactions"][0]["response"]["body"]
    assert account["json"]["plan"] == "basic"  # JSON as a YAML structure, not a string


def test_multipart_with_unusual_framing_rebuilds_exactly(tmp_path, make_png):
    ctype, body = encode([Part("format", b"png", "text/plain"), Part("image_file", make_png(), "image/png", "a.png")],
                         boundary="b0und")
    body = b"preamble text\r\n" + body.replace(b'name="format"', b'name="format"; x-extra="1"')
    request = HttpRequest("POST", "https://sdk.photoroom.com/v1/segment", {"Content-Type": ctype}, body)
    path, node = _save(tmp_path, request, HttpResponse(200, {"Content-Type": "image/png"}, make_png(seed=2)))
    parts = node["request"]["body"]["multipart"]["parts"]
    assert [p["name"] for p in parts] == ["format", "image_file"]
    assert parts[0]["text"] == "png"
    loaded = cassettes.load(path).interactions[0]
    assert loaded.request.body == body
    assert loaded.response.body == make_png(seed=2)


def test_gzip_json_is_readable_and_replays_the_encoded_bytes(tmp_path):
    raw = gzip.compress(json.dumps({"error": {"message": "Forbidden"}}).encode())
    response = HttpResponse(403, {"Content-Type": "application/json", "Content-Encoding": "gzip"}, raw)
    path, node = _save(tmp_path, HttpRequest("GET", "https://image-api.photoroom.com/v2/account"), response)
    assert node["response"]["body"]["json"] == {"error": {"message": "Forbidden"}}
    assert cassettes.load(path).interactions[0].response.body == raw


def test_text_and_odd_json_keep_their_exact_bytes(tmp_path):
    odd_json = b'{"a":1,  "b": [1.50, 2]}'
    response = HttpResponse(200, {"Content-Type": "application/json"}, odd_json)
    request = HttpRequest("POST", "https://inference.prodia.com/v2/job", {"Content-Type": "text/plain"},
                          b"line one  \r\nline two\n")
    path, _ = _save(tmp_path, request, response)
    loaded = cassettes.load(path).interactions[0]
    assert loaded.response.body == odd_json and loaded.request.body == b"line one  \r\nline two\n"
