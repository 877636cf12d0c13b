"""Result masks against a synthetic scene's ground truth, and every mask parameter's visible effect."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from tengr_support import (
    CREATE,
    artwork_url,
    auth,
    data_url,
    decode_mask,
    file_server,
    iou,
    poll,
    text_body,
    two_objects,
)

from contracts.generate.scenes import Scene


@pytest.fixture(scope="module")
def scene() -> Scene:
    return two_objects(160, 120)


@pytest.fixture(scope="module")
def image_url(scene: Scene) -> str:
    return data_url(scene)


def finished(mock_http, body: dict[str, Any]) -> dict[str, Any]:
    created = mock_http.post(CREATE, json=body, headers=auth())
    assert created.status_code == 202, created.text
    final = poll(lambda: mock_http.get(artwork_url(created.json()["id"]), headers=auth()))[-1].json()
    assert final["status"] == "succeeded"
    return final


def masks(mock_http, body: dict[str, Any]) -> list[np.ndarray]:
    out = []
    for url in finished(mock_http, body)["results"]:
        response = mock_http.get(url)
        assert response.status_code == 200
        out.append(decode_mask(response.content))
    return out


def points_body(image_url: str, *xy: tuple[float, float], **extra: Any) -> dict[str, Any]:
    group = {"points": [list(p) for p in xy], "labels": [1] * len(xy)}
    return {"imageUrl": image_url, "method": "points", "pointsPositive": group, **extra}


def test_colour_prompt_masks_the_named_object(mock_http, scene, image_url) -> None:
    [mask] = masks(mock_http, text_body(image_url, "red", outputFormat="png"))
    assert mask.dtype == np.uint8 and set(np.unique(mask)) <= {0, 255}
    assert iou(mask > 127, scene.object("red").mask) >= 0.9


def test_point_masks_the_object_under_it(mock_http, scene, image_url) -> None:
    [mask] = masks(mock_http, points_body(image_url, scene.object("blue").centroid))
    assert iou(mask > 127, scene.object("blue").mask) >= 0.9


def test_same_request_same_mask_bytes_from_a_local_http_server(mock_http, scene, image_url) -> None:
    with file_server(scene.encode("png")) as url:
        over_http = finished(mock_http, text_body(url, "blue"))
    from_data = finished(mock_http, text_body(image_url, "blue"))
    first = mock_http.get(over_http["results"][0]).content
    assert first == mock_http.get(from_data["results"][0]).content


@pytest.mark.parametrize("output_format,media_type", [("auto", "image/webp"), ("webp", "image/webp"),
                                                      ("png", "image/png")])
def test_output_format_picks_the_file_type(mock_http, image_url, output_format: str, media_type: str) -> None:
    [url] = finished(mock_http, text_body(image_url, "red", outputFormat=output_format))["results"]
    response = mock_http.get(url)
    assert response.headers["content-type"] == media_type
    assert set(np.unique(decode_mask(response.content))) <= {0, 255}  # webp is lossless: exact mask values


def test_separate_masks_per_detection_capped_by_max_detections(mock_http, scene, image_url) -> None:
    both = masks(mock_http, text_body(image_url, "red, blue", textCombineMasks=False))
    assert len(both) == 2
    truths = [scene.object("red").mask, scene.object("blue").mask]
    assert sorted(max(iou(m > 127, t) for t in truths) for m in both)[0] >= 0.9
    assert len(masks(mock_http, text_body(image_url, "red, blue", textCombineMasks=False,
                                          textMaxDetections=1))) == 1
    [combined] = masks(mock_http, text_body(image_url, "red, blue"))
    assert iou(combined > 127, truths[0] | truths[1]) >= 0.9


def test_nothing_above_the_confidence_threshold_gives_an_empty_combined_mask(mock_http, image_url) -> None:
    [mask] = masks(mock_http, text_body(image_url, "red", textConfidence=1))
    assert not mask.any()
    assert finished(mock_http, text_body(image_url, "red", textConfidence=1, textCombineMasks=False))["results"] == []


def test_multimask_without_best_gives_three_candidates(mock_http, scene, image_url) -> None:
    point = scene.object("red").centroid
    assert len(masks(mock_http, points_body(image_url, point, pointsBestMask=False))) == 3
    assert len(masks(mock_http, points_body(image_url, point, pointsBestMask=True))) == 1
    assert len(masks(mock_http, points_body(image_url, point, pointsMultimask=False, pointsRefinementSteps=3))) == 1


def test_expand_grows_and_negative_expand_shrinks(mock_http, image_url) -> None:
    [plain] = masks(mock_http, text_body(image_url, "red"))
    [grown] = masks(mock_http, text_body(image_url, "red", maskExpand=8, maskTaperedCorners=True))
    [shrunk] = masks(mock_http, text_body(image_url, "red", maskExpand=-8))
    area = lambda m: int((m > 127).sum())  # noqa: E731 - a one-line measure
    assert area(shrunk) < area(plain) < area(grown)
    assert not ((plain > 127) & ~(grown > 127)).any()


def test_blur_softens_the_edge(mock_http, image_url) -> None:
    [hard] = masks(mock_http, text_body(image_url, "red"))
    [soft] = masks(mock_http, text_body(image_url, "red", maskBlurSigma=4, maskKernelSize=15))
    assert not ((hard > 0) & (hard < 255)).any()
    assert ((soft > 0) & (soft < 255)).sum() > 100
