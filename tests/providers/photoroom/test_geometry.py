"""Photoroom positioning maths: output sizes, padding/margin, fit/fill, alignment, snapping, v1 budgets."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mockserver.providers.photoroom.geometry import (
    Box,
    Length,
    budget_size,
    parse_length,
    plan,
    subject_box,
)

IMAGE = (200, 100)
SUBJECT = Box(50, 20, 90, 60)  # 40x40, touches no border


def layout(params: dict, subject: Box | None = SUBJECT, image: tuple[int, int] = IMAGE, segmented: bool = True):
    return plan(params, image, subject, segmented=segmented)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (0.1, Length(Fraction(1, 10))),
        (0, Length(Fraction(0))),
        ("0.25", Length(Fraction(1, 4))),
        ("30%", Length(Fraction(3, 10))),
        ("12.5%", Length(Fraction(1, 8))),
        ("100px", Length(Fraction(100), px=True)),
        (None, None),
    ],
)
def test_parse_length_reads_every_documented_form(raw, expected):
    assert parse_length(raw) == expected


@pytest.mark.parametrize("raw", ["abc", "10pt", "-5px", True])
def test_parse_length_rejects_garbage(raw):
    with pytest.raises(ValueError):
        parse_length(raw)


def test_subject_box_is_the_nonzero_alpha_bbox_and_none_when_empty():
    alpha = np.zeros((100, 200), np.uint8)
    assert subject_box(alpha) is None
    alpha[20:60, 50:90] = 1
    assert subject_box(alpha) == SUBJECT


@pytest.mark.parametrize("spec", ["auto", "originalImage"])
def test_auto_and_original_image_keep_the_input_size(spec):
    assert layout({"outputSize": spec}).canvas == IMAGE


def test_custom_size_is_exact():
    assert layout({"outputSize": "640x480"}).canvas == (640, 480)


def test_default_fits_the_subject_box_to_the_whole_canvas_centred():
    placed = layout({})
    assert placed.dest == Box(50, 0, 150, 100)


def test_cropped_subject_is_the_subject_box_at_native_scale():
    placed = layout({"outputSize": "croppedSubject"})
    assert placed.canvas == (40, 40)
    assert placed.dest == Box(0, 0, 40, 40)


def test_cropped_subject_grows_by_px_padding_and_left_alignment_starts_at_the_padding():
    placed = layout({"outputSize": "croppedSubject", "padding": "100px", "horizontalAlignment": "left"})
    assert placed.canvas == (240, 240)
    assert placed.dest == Box(100, 100, 140, 140)


@pytest.mark.parametrize("padding", [0.1, "10%"])
def test_cropped_subject_with_ratio_padding_keeps_the_subject_unscaled(padding):
    placed = layout({"outputSize": "croppedSubject", "padding": padding})
    assert placed.canvas == (50, 50)
    assert placed.dest == Box(5, 5, 45, 45)


def test_cropped_subject_of_an_empty_or_missing_subject_is_the_whole_input():
    assert layout({"outputSize": "croppedSubject"}, subject=None).canvas == IMAGE


def test_ratio_padding_is_relative_to_the_matching_side():
    placed = layout({"outputSize": "400x200", "padding": 0.1})
    assert placed.target == Box(40, 20, 360, 180)


def test_px_padding_is_absolute_and_per_side_values_override():
    placed = layout({"outputSize": "400x200", "padding": 0.1, "paddingLeft": "7px", "paddingBottom": "0%"})
    assert placed.target == Box(7, 20, 360, 200)


def test_padding_is_a_ratio_of_the_document_minus_margins():
    placed = layout({"outputSize": "400x400", "margin": "10%", "padding": 0.1})
    assert placed.target == Box(72, 72, 328, 328)


def test_margin_alone_is_a_ratio_of_the_output_size():
    placed = layout({"outputSize": "400x200", "margin": 0.25, "marginTop": "10px"})
    assert placed.target == Box(100, 10, 300, 150)


def test_fit_scales_up_to_touch_the_target_and_centres():
    placed = layout({"outputSize": "400x400"}, subject=Box(50, 20, 90, 40))
    assert placed.dest == Box(0, 100, 400, 300)


def test_fill_covers_the_target_and_overflows_centred():
    placed = layout({"outputSize": "400x400", "scaling": "fill"}, subject=Box(50, 20, 90, 40))
    assert placed.dest == Box(-200, 0, 600, 400)


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({}, Box(20, 110, 380, 290)),
        ({"verticalAlignment": "top"}, Box(20, 20, 380, 200)),
        ({"verticalAlignment": "bottom"}, Box(20, 200, 380, 380)),
    ],
)
def test_alignment_places_the_subject_in_the_target(params, expected):
    base = {"outputSize": "400x400", "padding": "20px"}
    assert layout({**base, **params}, subject=Box(50, 20, 90, 40)).dest == expected


def test_horizontal_alignment_left_with_a_narrow_subject():
    placed = layout({"outputSize": "400x100", "horizontalAlignment": "left"})
    assert placed.dest == Box(0, 0, 100, 100)
    assert layout({"outputSize": "400x100", "horizontalAlignment": "right"}).dest == Box(300, 0, 400, 100)


def test_a_subject_cut_at_the_bottom_snaps_there_ignoring_padding_but_keeping_margin():
    cut = Box(60, 30, 140, 100)  # touches the bottom border of the 200x100 input
    placed = layout({"outputSize": "400x400", "padding": 0.1, "marginBottom": "10px"}, subject=cut)
    assert placed.snapped == frozenset({"bottom"})
    assert placed.dest.y1 == 390
    assert placed.target.y0 == 39  # top padding (10 % of the 390 px document) still applies


def test_custom_vertical_alignment_disables_snapping_on_that_axis_only():
    cut = Box(0, 30, 140, 100)  # cut on the left and the bottom
    placed = layout({"outputSize": "400x400", "padding": 0.1, "verticalAlignment": "center"}, subject=cut)
    assert placed.snapped == frozenset({"left"})
    assert placed.target.y1 == 360
    assert placed.dest.x0 == 0


def test_snapping_can_be_switched_off():
    cut = Box(60, 30, 140, 100)
    placed = layout({"outputSize": "400x400", "padding": 0.1, "ignorePaddingAndSnapOnCroppedSides": False}, cut)
    assert placed.snapped == frozenset()
    assert placed.target == Box(40, 40, 360, 360)


def test_no_snapping_without_a_cutout_so_padding_surrounds_the_whole_image():
    placed = layout({"outputSize": "400x400", "padding": 0.1}, subject=None, segmented=False)
    assert placed.source == Box(0, 0, 200, 100)
    assert placed.dest == Box(40, 120, 360, 280)


def test_reference_box_original_image_keeps_the_subject_position():
    placed = layout({"outputSize": "400x200", "referenceBox": "originalImage"})
    assert placed.source == Box(0, 0, 200, 100)
    assert placed.dest == Box(0, 0, 400, 200)


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"maxWidth": 100}, (100, 50)),
        ({"maxHeight": 30}, (60, 30)),
        ({"maxWidth": 100, "maxHeight": 20}, (40, 20)),
        ({"maxWidth": 5000}, (200, 100)),
        ({"maxWidth": 33}, (33, 16)),
    ],
)
def test_max_width_and_height_scale_down_only_keeping_the_aspect_ratio(params, expected):
    assert layout({"outputSize": "originalImage", **params}).canvas == expected


def test_max_width_applies_to_cropped_subject_and_not_to_custom_sizes():
    assert layout({"outputSize": "croppedSubject", "maxWidth": 20}).canvas == (20, 20)
    assert layout({"outputSize": "croppedSubject", "maxWidth": 20}).dest == Box(0, 0, 20, 20)
    assert layout({"outputSize": "300x300", "maxWidth": 20}).canvas == (300, 300)


def test_budget_matches_the_faq_preview_example_and_never_upscales():
    assert budget_size((1250, 800), 250_000) == (625, 400)
    assert budget_size((300, 200), 250_000) == (300, 200)


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 6000), st.integers(1, 6000), st.sampled_from([250_000, 1_500_000, 4_000_000]))
def test_budget_is_respected_and_keeps_the_aspect_ratio(width, height, budget):
    w, h = budget_size((width, height), budget)
    assert w * h <= budget and w <= width and h <= height
    if width * height > budget and min(w, h) > 10:
        assert abs(w / h - width / height) <= 0.2 * width / height


boxes = st.tuples(st.integers(0, 150), st.integers(0, 80), st.integers(1, 50), st.integers(1, 20)).map(
    lambda t: Box(t[0], t[1], t[0] + t[2], t[1] + t[3])
)
lengths = st.one_of(
    st.sampled_from([0, 0.1, 0.25, 0.49, "5%", "49%", "0px", "3px", "17px"]),
    st.integers(0, 49).map(lambda n: f"{n}%"),
)


@settings(max_examples=200, deadline=None)
@given(boxes, lengths, lengths, lengths, st.sampled_from([None, "left", "right"]))
def test_cropped_subject_never_resamples_the_subject(subject, padding, margin, pad_left, align):
    params = {"outputSize": "croppedSubject", "padding": padding, "margin": margin, "paddingLeft": pad_left}
    if align:
        params["horizontalAlignment"] = align
    placed = layout(params, subject=subject)
    assert (placed.dest.width, placed.dest.height) == (subject.width, subject.height)
    assert placed.dest.x0 >= 0 and placed.dest.x1 <= placed.canvas[0]
    assert placed.dest.y0 >= 0 and placed.dest.y1 <= placed.canvas[1]


@settings(max_examples=200, deadline=None)
@given(boxes, lengths, lengths, st.integers(1, 900), st.integers(1, 900))
def test_fit_always_stays_inside_the_target_area(subject, padding, margin, width, height):
    placed = layout({"outputSize": f"{width}x{height}", "padding": padding, "margin": margin}, subject=subject)
    target, dest = placed.target, placed.dest
    assert target.x0 <= dest.x0 and dest.x1 <= target.x1
    assert target.y0 <= dest.y0 and dest.y1 <= target.y1
    assert dest.width == target.width or dest.height == target.height
