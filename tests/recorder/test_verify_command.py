"""``segmock verify``: exit 0 on clean cassettes, 1 on violations, 2 on usage errors; VCR.py cassettes too."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import yaml

from contracts import HttpRequest, HttpResponse
from contracts.cassettes import cassette as cassettes


def _dirty_cassette(path):
    interactions = [
        cassettes.Interaction(HttpRequest("GET", "https://image-api.photoroom.com/v2/account", {"x-api-key": "k"}),
                              HttpResponse(200, {"Content-Type": "application/json"},
                                           json.dumps({"plan": "basic", "images": {"available": "x"}}))),
        cassettes.Interaction(HttpRequest("GET", "https://image-api.photoroom.com/v2/edit?background.blur.radius=9",
                                          {"x-api-key": "k"}),
                              HttpResponse(400, {"Content-Type": "application/json"},
                                           json.dumps({"error": {"message": "invalid"}}))),
    ]
    return cassettes.save(cassettes.Cassette(None, interactions, "photoroom"), path)


def _vcr_cassette(path, png_bytes, status=200):
    document = {"version": 1, "interactions": [{
        "request": {"method": "POST", "uri": "https://sdk.photoroom.com/v1/segment", "body": None,
                    "headers": {"x-api-key": ["k"], "Content-Type": ["multipart/form-data; boundary=zz"]}},
        "response": {"status": {"code": status, "message": "OK"}, "headers": {"Content-Type": ["image/png"]},
                     "body": {"string": png_bytes}},
    }]}
    path.write_text(yaml.safe_dump(document))  # bytes are written as !!binary, as VCR.py does
    return path


def test_clean_recording_exits_zero(recorded, segmock):
    result = segmock("verify", str(recorded.cassette))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "(remove-background)" in result.stdout and "0 client violations, 0 provider violations" in result.stdout


def test_dirty_cassette_exits_one_and_names_the_parameter(tmp_path, segmock):
    path = _dirty_cassette(tmp_path / "dirty.yaml")
    junit = tmp_path / "junit.xml"
    result = segmock("verify", str(path), "--junit", str(junit))
    assert result.returncode == 1
    assert "provider body images.available" in result.stdout
    assert "client   query background.blur.radius" in result.stdout
    suite = ET.parse(junit).getroot().find("testsuite")
    assert suite.get("tests") == "2" and suite.get("failures") == "2"
    assert "images.available" in suite.find("testcase/failure").text


def test_vcr_cassette_is_read_as_is_and_provider_inferred_from_host(tmp_path, segmock, make_png):
    good = _vcr_cassette(tmp_path / "good.yaml", make_png())
    assert "!!binary" in good.read_text()
    result = segmock("verify", str(good))
    assert result.returncode == 1  # the recorded request has no image_file part: a client violation
    assert "vcr cassette, photoroom" in result.stdout
    assert "1 client violations, 0 provider violations" in result.stdout


def test_clean_vcr_cassette_exits_zero(tmp_path, segmock):
    document = {"version": 1, "interactions": [{
        "request": {"method": "GET", "uri": "https://image-api.photoroom.com/v2/account", "body": None,
                    "headers": {"x-api-key": ["REDACTED"]}},
        "response": {"status": {"code": 200, "message": "OK"}, "headers": {"Content-Type": ["application/json"]},
                     "body": {"string": json.dumps({"plan": "basic", "images": {"available": 3, "subscription": 5}})}},
    }]}
    path = tmp_path / "vcr.yaml"
    path.write_text(yaml.safe_dump(document))
    assert segmock("verify", str(path)).returncode == 0


def test_usage_errors_exit_two(tmp_path, segmock):
    assert segmock("verify", str(tmp_path / "missing.yaml")).returncode == 2
    unknown_host = tmp_path / "elsewhere.yaml"
    unknown_host.write_text(yaml.safe_dump({"interactions": [{
        "request": {"method": "GET", "uri": "https://api.example.org/x", "body": None, "headers": {}},
        "response": {"status": {"code": 200, "message": "OK"}, "headers": {}, "body": {"string": ""}}}]}))
    result = segmock("verify", str(unknown_host))
    assert result.returncode == 2 and "--provider" in result.stderr
    assert segmock("verify").returncode == 2
