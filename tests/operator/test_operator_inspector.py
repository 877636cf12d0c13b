"""The inspector page and its overlays, and the pictures the journal keeps for it."""

from __future__ import annotations

import base64
import io
import json
from typing import Any

from operator_support import KEY, packshot
from PIL import Image

from contracts.wire.multipart import Part, encode
from mockserver.operator.pictures import THUMB, outputs


def segment(client: Any, image: bytes) -> None:
    response = client.post("/v1/segment", headers=KEY, data={"image_file": (io.BytesIO(image), "a.png")})
    assert response.status_code == 200


def test_the_page_lists_requests_newest_first_with_their_parameters(client: Any) -> None:
    client.get("/v2/account", headers=KEY)
    segment(client, packshot())
    html = client.get("/__segmock/").get_data(as_text=True)
    assert html.index('id="request-2"') < html.index('id="request-1"')
    assert 'data-operation="remove-background"' in html and 'data-operation="account-details-v2"' in html
    assert "/__segmock/requests/2/overlay/0.png" in html
    assert "96×64 png" in html


def test_the_page_filters_and_escapes(client: Any) -> None:
    client.get("/v2/account", headers=KEY)
    client.get("/v2/account")
    html = client.get("/__segmock/?status=200").get_data(as_text=True)
    assert 'id="request-1"' in html and 'id="request-2"' not in html
    client.get("/v2/edit?imageUrl=https://example.com/a.png&segmentation.prompt=%3Cscript%3Ex%3C/script%3E",
               headers=KEY)
    html = client.get("/__segmock/").get_data(as_text=True)
    assert "&lt;script&gt;x&lt;/script&gt;" in html and "<script>x</script>" not in html


def test_the_overlay_paints_the_mask_over_the_input(client: Any) -> None:
    segment(client, packshot(300, 200))
    response = client.get("/__segmock/requests/1/overlay/0.png")
    assert response.status_code == 200 and response.mimetype == "image/png"
    overlay = Image.open(io.BytesIO(response.data)).convert("RGB")
    assert max(overlay.size) <= THUMB and overlay.size == (THUMB, round(THUMB * 2 / 3))
    inside = overlay.getpixel((overlay.width // 2, overlay.height // 2))
    outside = overlay.getpixel((5, overlay.height // 2))
    assert inside[0] > 150 and inside[2] > 50      # tinted subject
    assert max(outside) < 140                      # dimmed background (white input)
    assert client.get("/__segmock/requests/1/input.jpg").mimetype == "image/jpeg"
    assert client.get("/__segmock/requests/1/overlay/1.png").status_code == 404


def test_no_thumbnails_when_disabled(make_app: Any) -> None:
    client = make_app(journal_thumbnails=False).test_client()
    segment(client, packshot())
    (entry,) = client.get("/__segmock/requests").get_json()["requests"]
    assert entry["outputs"] == [] and not entry["has_input"] and entry["image"]["width"] == 96


def png(mode: str, size: tuple[int, int], colour: Any) -> bytes:
    buf = io.BytesIO()
    Image.new(mode, size, colour).save(buf, "PNG")
    return buf.getvalue()


def test_every_mask_of_a_multipart_response_is_kept() -> None:
    content_type, body = encode([Part("job", b"{}", "application/json", "job.json"),
                                 Part("output", png("L", (40, 20), 255), "image/png", "mask-0.png"),
                                 Part("output", png("L", (40, 20), 0), "image/png", "mask-1.png")])
    kept = outputs(content_type.replace("form-data", "mixed"), body)
    assert [p.kind for p in kept] == ["mask", "mask"]
    assert [Image.open(io.BytesIO(p.png)).getpixel((0, 0)) for p in kept] == [255, 0]


def test_base64_images_in_json_and_opaque_outputs() -> None:
    body = json.dumps({"base64img": base64.b64encode(png("RGBA", (10, 10), (1, 2, 3, 128))).decode()}).encode()
    (mask,) = outputs("application/json", body)
    assert mask.kind == "mask" and Image.open(io.BytesIO(mask.png)).getpixel((0, 0)) == 128
    (image,) = outputs("image/png", png("RGB", (10, 10), (9, 9, 9)))
    assert image.kind == "image"
    assert outputs("image/png", b"\x89PNG\r\n\x1a\nbroken") == []
