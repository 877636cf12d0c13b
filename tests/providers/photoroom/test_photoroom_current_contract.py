"""Photoroom's current published contract (OAS 2026-06): values it accepts are accepted, documented behaviour is
modelled, and documented routes segmock does not mock answer 501 instead of 404/405."""

from __future__ import annotations

import io
from typing import Any
from typing import Any as MockHttp

import numpy as np
import pytest
from photoroom_support import image_of, packshot
from PIL import Image, ImageCms

EDIT = "https://image-api.photoroom.com/v2/edit"
KEY = {"x-api-key": "test-key"}
ACCOUNT_V1 = "https://image-api.photoroom.com/v1/account"
RENDER = "https://image-api.photoroom.com/v1/render"


def post_edit(mock: MockHttp, fields: dict[str, str], image: bytes | None = None) -> Any:
    files = {"imageFile": ("in.png", image or packshot()[0], "image/png")}
    return mock.post(EDIT, headers=KEY, data=fields, files=files)


@pytest.mark.parametrize("field, value", [
    ("shadow.mode", "ai.preset-soft"), ("shadow.mode", "ai.preset-hard"), ("shadow.mode", "ai.auto-with-overrides"),
    ("lighting.mode", "ai.optimize-portrait"), ("preserveMetadata", "exifSubsetWithXmpCompatibility"),
    ("beautify.mode", "ai.car"), ("background.color", "#FF0000"), ("upscale.downscaleIfNeeded", "always"),
    ("editWithAI.mode", "ai.auto"), ("ironing.mode", "ai.auto"), ("describeAnyChange.mode", "ai.auto"),
])
def test_values_the_published_document_lists_are_accepted(mock_http: MockHttp, field: str, value: str) -> None:
    r = post_edit(mock_http, {field: value})
    assert r.status_code == 200, r.text
    assert "pr-unsupported-attributes" not in r.headers


def test_avif_export_at_quality_90(mock_http: MockHttp) -> None:
    r = post_edit(mock_http, {"export.format": "avif"})
    assert r.status_code == 200 and r.headers["content-type"] == "image/avif"
    assert image_of(r).format == "AVIF" and image_of(r).size == (400, 300)


def test_background_colour_with_remove_background_false_fills_padding(mock_http: MockHttp) -> None:
    """Documented now: the colour fills the padding outputSize creates (the original's pixels stay)."""
    r = post_edit(mock_http, {"removeBackground": "false", "background.color": "00FF00", "outputSize": "800x300"})
    assert r.status_code == 200, r.text
    out = np.asarray(image_of(r).convert("RGBA"))
    assert out.shape[:2] == (300, 800)
    assert tuple(out[150, 5]) == (0, 255, 0, 255)          # padding on the left
    assert tuple(out[5, 400][:3]) == (238, 238, 235)       # the original background kept


def test_outline_surrounds_the_cutout(mock_http: MockHttp) -> None:
    data, truth = packshot()
    plain = np.asarray(image_of(post_edit(mock_http, {"referenceBox": "originalImage"}, data)).convert("RGBA"))
    fields = {"referenceBox": "originalImage", "outline.color": "0000FF", "outline.width": "0.03"}
    r = post_edit(mock_http, fields, data)
    assert r.status_code == 200, r.text
    out = np.asarray(image_of(r).convert("RGBA"))
    ring = (out[:, :, 3] > 200) & (plain[:, :, 3] == 0)
    assert ring.sum() > 500                                  # the outline is outside the subject
    blue = out[ring]
    assert (blue[:, 2] > 200).all() and (blue[:, 0] < 50).all()
    ys, xs = np.nonzero(ring)
    assert (np.abs(xs - 200) <= 60 + 400 * 0.03 + 3).all()   # within about width x the longer side of the subject


def test_colour_space_original_keeps_the_icc_profile_of_a_pure_cutout(mock_http: MockHttp) -> None:
    profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    buf = io.BytesIO()
    Image.open(io.BytesIO(packshot()[0])).save(buf, "PNG", icc_profile=profile)
    r = post_edit(mock_http, {"colorSpace": "original"}, buf.getvalue())
    assert r.status_code == 200 and image_of(r).info.get("icc_profile") == profile
    r = post_edit(mock_http, {"colorSpace": "sRGB"}, buf.getvalue())
    assert r.status_code == 200 and not image_of(r).info.get("icc_profile")


@pytest.mark.parametrize("field, value", [("export.format", "jpeg"), ("shadow.mode", "ai.soft"),
                                          ("outputSize", "500x500"), ("export.dpi", "300"),
                                          ("keepExistingAlphaChannel", "auto"), ("preserveMetadata", "exifSubset")])
def test_colour_space_original_with_another_operation_names_it(mock_http: MockHttp, field: str, value: str) -> None:
    r = post_edit(mock_http, {"colorSpace": "original", field: value})
    assert r.status_code == 400
    assert r.json() == {"error": {"message": f"colorSpace original can't be combined with {field}"}}


def test_subject_mismatch_error_is_refused_outside_food(mock_http: MockHttp) -> None:
    r = post_edit(mock_http, {"beautify.mode": "ai.auto", "beautify.onSubjectMismatch": "error"})
    assert r.status_code == 400 and "beautify.onSubjectMismatch" in r.json()["error"]["message"]
    assert post_edit(mock_http, {"beautify.mode": "ai.food", "beautify.onSubjectMismatch": "error"}).status_code == 200


def test_upscale_downscale_if_needed(mock_http: MockHttp) -> None:
    big = packshot(1200, 900)[0]                        # 1.08 MP > ai.fast's 1,000,000 px
    assert post_edit(mock_http, {"upscale.mode": "ai.fast"}, big).status_code == 400
    r = post_edit(mock_http, {"upscale.mode": "ai.fast", "upscale.downscaleIfNeeded": "always"}, big)
    assert r.status_code == 200
    width, height = image_of(r).size
    assert width * height <= 1_000_000 * 4 and width > 1200   # downscaled to the limit, then enlarged 2x


@pytest.mark.parametrize("family, size", [("virtualModel", (683, 1024)), ("flatLay", (1024, 1024)),
                                          ("ghostMannequin", (1024, 1024))])
def test_generated_families_keep_their_documented_size_presets(mock_http: MockHttp, family: str, size: tuple) -> None:
    r = post_edit(mock_http, {f"{family}.mode": "ai.auto", "removeBackground": "false"})
    assert r.status_code == 200 and image_of(r).size == size
    again = post_edit(mock_http, {f"{family}.mode": "ai.auto", "removeBackground": "false"})
    assert again.content == r.content


def test_edit_with_ai_changes_the_image_reproducibly(mock_http: MockHttp) -> None:
    base = post_edit(mock_http, {"removeBackground": "false"}).content
    one = post_edit(mock_http, {"removeBackground": "false", "editWithAI.mode": "ai.auto", "editWithAI.prompt": "blue"})
    two = post_edit(mock_http, {"removeBackground": "false", "editWithAI.mode": "ai.auto", "editWithAI.prompt": "blue"})
    assert one.status_code == 200 and one.content == two.content != base


def test_reference_images_and_object_fields_are_known_attributes(mock_http: MockHttp) -> None:
    r = post_edit(mock_http, {"virtualModel.mode": "ai.auto", "virtualModel.model.preset.name": "avery",
                              "editWithAI.mode": "ai.auto", "editWithAI.prompt": "x"})
    assert r.status_code == 200 and "pr-unsupported-attributes" not in r.headers


def test_post_url_fields_are_unsupported_attributes_not_fetched(mock_http: MockHttp) -> None:
    r = post_edit(mock_http, {"background.imageUrl": "http://192.0.2.1/never.png"})
    assert r.status_code == 200
    assert r.headers["pr-unsupported-attributes"] == "Unsupported attributes: background.imageUrl"
    r = mock_http.post(EDIT, headers=KEY, data={"imageUrl": "http://192.0.2.1/never.png"},
                       files={"unused": ("a.txt", b"x", "text/plain")})
    assert r.status_code == 400 and r.json() == {"error": {"message": "imageFile: must be provided"}}


def test_legacy_account_reports_credits(mock_http: MockHttp) -> None:
    r = mock_http.get(ACCOUNT_V1, headers=KEY)
    assert r.status_code == 200 and r.json() == {"credits": {"available": 1000, "subscription": 1000}}
    assert mock_http.get(ACCOUNT_V1).json() == {"error": {"message": "apiKey: Required"}}


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_legacy_render_is_documented_but_not_mocked(mock_http: MockHttp, method: str) -> None:
    r = mock_http.request(method, RENDER, headers=KEY)
    assert r.status_code == 501
    assert r.json() == {"error": {"message": "This endpoint is documented by Photoroom but not mocked by segmock"}}
    assert mock_http.request(method, RENDER).status_code == 400   # the key is checked first, as on every route
