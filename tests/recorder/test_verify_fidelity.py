"""Mock fidelity: recorded requests replayed into a mock, answers compared by what clients rely on."""

from __future__ import annotations

import io
import json

from flask import Flask, Response, request
from PIL import Image

from contracts.cassettes import cassette as cassettes
from contracts.cassettes import fidelity


def stand_in_mock() -> Flask:
    """A deliberately imperfect mock: right shapes for /v1/segment, a wrong body type for /v2/account."""
    app = Flask("stand-in-mock")

    @app.post("/v1/segment")
    def segment() -> Response:
        source = Image.open(request.files["image_file"].stream)
        cutout = Image.new("RGBA", source.size, (0, 0, 0, 0))
        cutout.paste((9, 9, 9, 255), (0, 0, source.size[0] // 2, source.size[1] // 2))
        out = io.BytesIO()
        cutout.save(out, format="PNG")
        return Response(out.getvalue(), 200, content_type="image/png", headers={"x-uncertainty-score": "0.1"})

    @app.get("/v2/account")
    def account() -> Response:
        body = {"plan": "basic", "images": {"available": "100", "subscription": 100}}
        return Response(json.dumps(body), 200, content_type="application/json")

    return app


def test_fidelity_report_per_operation(recorded):
    interactions = cassettes.load(recorded.cassette).interactions
    results = fidelity.fidelity("photoroom", interactions, fidelity.from_wsgi(stand_in_mock()))
    table = fidelity.by_operation(results)

    segment = table["remove-background"]
    assert segment["exchanges"] == 2
    assert segment["checks"]["status"] == (2, 2) and segment["checks"]["image-size"] == (0, 2)
    assert segment["checks"]["image-mode"] == (2, 2) and segment["checks"]["headers"] == (2, 2)
    assert 0 < min(segment["ious"]) < 1

    account = table["account-details-v2"]
    assert account["checks"]["status"] == (1, 2)  # the mock accepts the unknown key the provider refused
    assert account["checks"]["json-shape"][0] < account["checks"]["json-shape"][1]
    text = fidelity.render(results)
    assert "remove-background: 2 exchange(s)" in text and "mask IoU mean" in text
    assert "$.images.available: recorded number, mock str" in text


def test_identical_masks_have_iou_one(make_png):
    img = Image.open(io.BytesIO(make_png(30, 20, seed=4)))
    assert fidelity.iou(img, img) == 1.0
