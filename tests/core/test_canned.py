"""``mockserver.core.canned``: a mask queued by a test answers every segmentation question of the one request that
drew it, fitted to that request's image; every other request reaches the real segmenter."""

from __future__ import annotations

import io
from typing import Any

import numpy as np
import pytest
from flask import Flask
from PIL import Image

from mockserver.core import canned
from mockserver.core.canned import CannedMaskError, CannedMaskSegmenter, decode_mask, encode_mask


def png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def left_half(height: int = 4, width: int = 6) -> np.ndarray:
    mask = np.zeros((height, width), bool)
    mask[:, : width // 2] = True
    return mask


# -- the mask as bytes -----------------------------------------------------------------------------------------------
def test_an_array_mask_round_trips_through_png() -> None:
    mask = left_half()
    assert (decode_mask(encode_mask(mask)) == mask).all()
    assert (decode_mask(encode_mask(mask.astype(np.uint8) * 200)) == mask).all()  # 0..255: above mid-grey is in
    assert not decode_mask(encode_mask(np.full((2, 2), 127, np.uint8))).any()


def test_an_image_with_alpha_is_read_by_its_alpha_and_one_without_by_its_grey() -> None:
    cutout = Image.new("RGBA", (4, 2), (0, 0, 0, 0))  # black everywhere: only alpha says where the subject is
    cutout.putpixel((1, 0), (0, 0, 0, 255))
    assert decode_mask(png(cutout)).tolist() == [[False, True, False, False], [False] * 4]
    grey = Image.new("RGB", (4, 2), (0, 0, 0))
    grey.putpixel((2, 1), (255, 255, 255))
    assert decode_mask(png(grey)).tolist() == [[False] * 4, [False, False, True, False]]


def test_png_bytes_are_kept_as_sent_and_bad_masks_are_refused_saying_why() -> None:
    data = png(Image.new("L", (3, 3), 255))
    assert encode_mask(data) == data
    with pytest.raises(CannedMaskError, match="2-D"):
        encode_mask(np.zeros((2, 2, 3)))
    with pytest.raises(CannedMaskError, match="not a readable image"):
        decode_mask(b"not a png")


# -- the segmenter switch --------------------------------------------------------------------------------------------
class Inner:
    """A segmenter that records the questions it is asked."""

    def __init__(self) -> None:
        self.asked: list[str] = []
        self.version = "inner-1"

    def salient(self, image: np.ndarray, *, use_alpha: bool = False) -> str:
        self.asked.append("salient")
        return "computed"

    def everything(self, image: np.ndarray) -> list[Any]:
        self.asked.append("everything")
        return []

    def text(self, image: np.ndarray, prompt: str, **_: Any) -> list[Any]:
        self.asked.append(f"text:{prompt}")
        return []

    def points(self, image: np.ndarray, positive: Any, negative: Any = (), **_: Any) -> list[Any]:
        self.asked.append("points")
        return []


IMAGE = np.zeros((8, 12, 3), np.uint8)  # twice the canned mask's size


@pytest.fixture
def app() -> Flask:
    return Flask(__name__)


def test_without_a_canned_mask_every_question_goes_to_the_inner_segmenter(app: Flask) -> None:
    inner = Inner()
    segmenter = CannedMaskSegmenter(inner)
    assert segmenter.salient(IMAGE) == "computed"  # outside any request
    with app.app_context():  # a request that drew nothing
        segmenter.everything(IMAGE)
        segmenter.text(IMAGE, "shoe")
        segmenter.points(IMAGE, [(1, 1)])
    assert inner.asked == ["salient", "everything", "text:shoe", "points"]
    assert segmenter.version == "inner-1"  # anything else is the inner segmenter's


def test_a_canned_mask_answers_every_question_of_its_request_at_the_image_size(app: Flask) -> None:
    inner = Inner()
    segmenter = CannedMaskSegmenter(inner)
    expected = np.zeros((8, 12), bool)
    expected[:, :6] = True
    with app.app_context():
        canned.use(left_half())
        salient = segmenter.salient(IMAGE)
        assert (salient.mask == expected).all() and salient.box == (0, 0, 6, 8) and salient.score == 1.0
        assert (salient.alpha == expected * 255).all()
        [found] = segmenter.text(IMAGE, "anything at all")
        assert (found.mask == expected).all() and found.label == "canned"
        assert [(d.mask == expected).all() for d in segmenter.points(IMAGE, [(0, 0)])] == [True] * 3
        assert len(segmenter.points(IMAGE, [(0, 0)], multimask=False)) == 1
        assert len(segmenter.everything(IMAGE)) == 1
    assert inner.asked == []
    with app.app_context():  # the next request drew nothing
        assert segmenter.salient(IMAGE) == "computed"
