"""Photoroom output images: pixels, sizes, formats, metadata, headers and the AI stand-ins."""

from __future__ import annotations

import base64
import io
import json

import numpy as np
import pytest
from PIL import Image, PngImagePlugin

from mockserver.providers.photoroom.generative import IMAGE_FROM_PROMPT_SIZES
from mockserver.providers.photoroom.render import Output, edit, segment_v1

PRESETS = {"preview": 250_000, "medium": 1_500_000, "hd": 4_000_000, "full": 36_000_000}
RED = (200, 40, 40)
GREEN = (30, 200, 60)


def scene(width: int = 200, height: int = 100, box: tuple[int, int, int, int] = (50, 20, 90, 60)):
    """Green backdrop with a red square subject at `box`; returns (image, alpha)."""
    pixels = np.zeros((height, width, 3), np.uint8)
    pixels[:] = GREEN
    alpha = np.zeros((height, width), np.uint8)
    x0, y0, x1, y1 = box
    pixels[y0:y1, x0:x1] = RED
    alpha[y0:y1, x0:x1] = 255
    return Image.fromarray(pixels, "RGB"), alpha


def decode(out: Output) -> Image.Image:
    image = Image.open(io.BytesIO(out.body))
    image.load()
    return image


def rgba(out: Output) -> np.ndarray:
    return np.asarray(decode(out).convert("RGBA"))


def alpha_box(arr: np.ndarray) -> tuple[int, int, int, int]:
    rows = np.flatnonzero(arr[:, :, 3].any(axis=1))
    cols = np.flatnonzero(arr[:, :, 3].any(axis=0))
    return int(cols[0]), int(rows[0]), int(cols[-1]) + 1, int(rows[-1]) + 1


def test_default_is_a_png_cutout_with_zero_alpha_outside_the_subject():
    image, alpha = scene()
    out = edit(image, alpha, {})
    assert out.content_type == "image/png"
    arr = rgba(out)
    assert arr.shape == (100, 200, 4)
    assert alpha_box(arr) == (50, 0, 150, 100)
    assert (arr[:, :50] == 0).all() and (arr[:, 150:] == 0).all()
    assert (arr[50, 100, :3] == RED).all() and arr[50, 100, 3] == 255


def test_cropped_subject_with_px_padding_starts_at_the_padding_with_the_original_pixels():
    image, alpha = scene()
    out = edit(image, alpha, {"outputSize": "croppedSubject", "padding": "100px", "horizontalAlignment": "left"})
    arr = rgba(out)
    assert arr.shape[:2] == (240, 240)
    assert alpha_box(arr) == (100, 100, 140, 140)
    assert (arr[100:140, 100:140, :3] == RED).all()


def test_cropped_subject_with_ratio_and_percent_padding():
    image, alpha = scene()
    for padding in (0.2, "20%"):
        arr = rgba(edit(image, alpha, {"outputSize": "croppedSubject", "padding": padding}))
        assert arr.shape[:2] == (66, 66)
        assert alpha_box(arr) == (13, 13, 53, 53)


def test_custom_size_with_margin_and_fill():
    image, alpha = scene(box=(50, 20, 90, 40))
    fit = rgba(edit(image, alpha, {"outputSize": "300x300", "margin": 0.1}))
    assert alpha_box(fit) == (30, 90, 270, 210)
    fill = rgba(edit(image, alpha, {"outputSize": "300x300", "scaling": "fill"}))
    assert alpha_box(fill) == (0, 0, 300, 300)


def test_snap_on_cropped_side_ignores_padding_there():
    image, alpha = scene(box=(60, 30, 140, 100))
    snapped = rgba(edit(image, alpha, {"outputSize": "400x400", "padding": 0.1}))
    assert alpha_box(snapped)[3] == 400
    free = rgba(edit(image, alpha, {"outputSize": "400x400", "padding": 0.1, "verticalAlignment": "center"}))
    assert alpha_box(free)[3] < 360


def test_max_width_keeps_the_aspect_ratio():
    image, alpha = scene()
    assert decode(edit(image, alpha, {"outputSize": "originalImage", "maxWidth": 50})).size == (50, 25)


def test_remove_background_false_keeps_the_original_pixels():
    image, _ = scene()
    arr = rgba(edit(image, None, {"removeBackground": False}))
    assert (arr[:, :, 3] == 255).all()
    assert (arr[0, 0, :3] == GREEN).all() and (arr[30, 60, :3] == RED).all()


def test_empty_alpha_gives_a_transparent_image_without_crashing():
    image, _ = scene()
    out = edit(image, np.zeros((100, 200), np.uint8), {"outputSize": "croppedSubject"})
    arr = rgba(out)
    assert arr.shape[:2] == (100, 200) and (arr == 0).all()


@pytest.mark.parametrize(
    ("colour", "expected"),
    [("FF000080", (255, 0, 0, 128)), ("0F0", (0, 255, 0, 255)), ("blue", (0, 0, 255, 255))],
)
def test_background_colour_fills_the_transparent_area(colour, expected):
    image, alpha = scene()
    arr = rgba(edit(image, alpha, {"background.color": colour}))
    assert tuple(arr[0, 0]) == expected
    assert tuple(arr[50, 100, :3]) == RED


def test_unreadable_colour_is_a_value_error():
    image, alpha = scene()
    with pytest.raises(ValueError):
        edit(image, alpha, {"background.color": "notacolour"})


def test_background_image_fill_and_fit():
    image, alpha = scene()
    backdrop = Image.new("RGB", (200, 20), (0, 0, 255))
    filled = rgba(edit(image, alpha, {}, background_image=backdrop))
    assert tuple(filled[0, 0]) == (0, 0, 255, 255)
    fitted = rgba(edit(image, alpha, {"background.scaling": "fit"}, background_image=backdrop))
    assert fitted[0, 10, 3] == 0 and tuple(fitted[50, 10]) == (0, 0, 255, 255)


def test_jpeg_has_no_alpha_is_white_behind_and_uses_the_requested_quality():
    image, alpha = scene(400, 300, (100, 50, 300, 250))
    noisy = np.asarray(image).copy()
    noisy[50:250, 100:300] = np.random.default_rng(0).integers(0, 255, (200, 200, 3), dtype=np.uint8)
    image = Image.fromarray(noisy)
    out = edit(image, alpha, {"export.format": "jpg"})
    assert out.content_type == "image/jpeg"
    decoded = decode(out)
    assert decoded.format == "JPEG" and decoded.mode == "RGB"
    assert (np.asarray(decoded)[0, 0] >= 250).all()
    best = edit(image, alpha, {"export.format": "jpeg"}, export_quality={"jpeg": 100, "webp": 90})
    assert len(out.body) < len(best.body)


def test_webp_keeps_alpha():
    image, alpha = scene()
    out = edit(image, alpha, {"export.format": "webp"})
    assert out.content_type == "image/webp"
    arr = rgba(out)
    assert arr[0, 0, 3] == 0 and arr[50, 100, 3] == 255


@pytest.mark.parametrize("fmt", ["png", "jpeg", "webp"])
def test_dpi_is_written_into_the_file(fmt):
    image, alpha = scene()
    decoded = decode(edit(image, alpha, {"export.format": fmt, "export.dpi": 300}))
    if fmt == "webp":
        exif = decoded.getexif()
        assert (float(exif[282]), float(exif[283]), exif[296]) == (300.0, 300.0, 2)
    else:
        assert decoded.info["dpi"] == pytest.approx((300, 300), abs=0.01)


def _input_with_metadata() -> Image.Image:
    image, _ = scene()
    exif = Image.Exif()
    exif[0x8298] = "(c) segmock"
    exif[0x010F] = "CameraMaker"
    exif.get_ifd(0x8769)[0x9286] = b"ASCII\x00\x00\x00hello"
    info = PngImagePlugin.PngInfo()
    info.add_itxt("XML:com.adobe.xmp", "<x:xmpmeta xmlns:x='adobe:ns:meta/'>segmock</x:xmpmeta>")
    buffer = io.BytesIO()
    image.save(buffer, "PNG", exif=exif, pnginfo=info)
    return Image.open(io.BytesIO(buffer.getvalue()))


@pytest.mark.parametrize("fmt", ["png", "jpeg", "webp"])
def test_preserve_metadata_exif_subset_keeps_only_copyright_and_user_comment(fmt):
    source = _input_with_metadata()
    alpha = np.asarray(scene()[1])
    exif = decode(edit(source, alpha, {"preserveMetadata": "exifSubset", "export.format": fmt})).getexif()
    assert exif[0x8298] == "(c) segmock"
    assert exif.get_ifd(0x8769)[0x9286] == b"ASCII\x00\x00\x00hello"
    assert 0x010F not in exif


@pytest.mark.parametrize("fmt", ["png", "jpeg", "webp"])
def test_preserve_metadata_xmp_round_trips(fmt):
    source = _input_with_metadata()
    decoded = decode(edit(source, scene()[1], {"preserveMetadata": "xmp", "export.format": fmt}))
    assert b"segmock" in decoded.info["xmp"]
    assert not decoded.getexif()


def test_metadata_is_stripped_by_default():
    decoded = decode(edit(_input_with_metadata(), scene()[1], {}))
    assert "xmp" not in decoded.info and not decoded.getexif()


def test_same_request_gives_the_same_bytes():
    image, alpha = scene()
    params = {"outputSize": "300x200", "background.prompt": "beach", "shadow.mode": "ai.soft", "padding": 0.1}
    first = edit(image, alpha, params, sandbox=True, request_digest="d1")
    second = edit(image.copy(), alpha.copy(), dict(params), sandbox=True, request_digest="d1")
    assert first == second


def test_sandbox_marks_visible_pixels_but_keeps_transparency():
    image, alpha = scene(400, 400, (50, 50, 350, 350))
    plain = rgba(edit(image, alpha, {}))
    marked = rgba(edit(image, alpha, {}, sandbox=True))
    assert (marked[:, :, 3] == plain[:, :, 3]).all()
    assert (marked[plain[:, :, 3] == 0] == 0).all()
    assert (marked[:, :, :3] != plain[:, :, :3]).any(axis=2).mean() > 0.05


def test_ai_background_seed_header_is_the_given_seed_or_stable_from_the_request():
    image, alpha = scene()
    seeded = edit(image, alpha, {"background.prompt": "x", "background.seed": 42})
    assert seeded.headers["pr-ai-background-seed"] == "42"
    derived = [edit(image, alpha, {"background.prompt": "x"}, request_digest=d).headers for d in ("a", "a", "b")]
    assert derived[0]["pr-ai-background-seed"].isdigit()
    assert derived[0] == derived[1] != derived[2]


def test_ai_background_is_opaque_and_depends_on_the_prompt():
    image, alpha = scene()
    beach = rgba(edit(image, alpha, {"background.prompt": "beach", "background.seed": 1}))
    forest = rgba(edit(image, alpha, {"background.prompt": "forest", "background.seed": 1}))
    assert (beach[:, :, 3] == 255).all()
    assert not (beach[:, :50] == forest[:, :50]).all()


def test_text_removal_reports_zero_texts_and_keeps_pixels():
    image, alpha = scene()
    out = edit(image, alpha, {"textRemoval.mode": "ai.all"})
    assert out.headers["pr-texts-detected"] == "0"
    assert out.body == edit(image, alpha, {}).body


@pytest.mark.parametrize(("mode", "factor"), [("ai.fast", 2), ("ai.slow", 4)])
def test_upscale_enlarges_the_original_size_output(mode, factor):
    image, alpha = scene(40, 20, (10, 5, 30, 15))
    assert decode(edit(image, alpha, {"upscale.mode": mode})).size == (40 * factor, 20 * factor)


@pytest.mark.parametrize("size", sorted(IMAGE_FROM_PROMPT_SIZES))
def test_image_from_prompt_has_the_preset_size(size):
    out = edit(None, None, {"imageFromPrompt.prompt": "a mug", "imageFromPrompt.size": size})
    assert decode(out).size == IMAGE_FROM_PROMPT_SIZES[size]


def test_shadow_darkens_below_the_subject():
    image, alpha = scene(200, 200, (60, 40, 140, 120))
    params = {"outputSize": "200x200", "padding": 0.2, "background.color": "FFFFFF"}
    plain = rgba(edit(image, alpha, params))
    bottom = alpha_box(rgba(edit(image, alpha, {k: v for k, v in params.items() if k != "background.color"})))[3]
    for mode in ("ai.soft", "ai.hard", "ai.floating"):
        shaded = rgba(edit(image, alpha, {**params, "shadow.mode": mode}))
        band = slice(bottom, min(200, bottom + 12))
        assert shaded[band, :, :3].astype(int).sum() < plain[band, :, :3].astype(int).sum(), mode


def test_expand_fills_every_transparent_pixel():
    image, alpha = scene()
    arr = rgba(edit(image, alpha, {"outputSize": "300x300", "expand.mode": "ai.auto"}))
    assert (arr[:, :, 3] == 255).all()


def test_background_blur_keeps_a_blurred_opaque_background():
    image, alpha = scene()
    pixels = np.asarray(image).copy()
    pixels[:, ::2] = (0, 0, 0)
    stripes = Image.fromarray(pixels)
    arr = rgba(edit(stripes, alpha, {"referenceBox": "originalImage", "background.blur.mode": "gaussian",
                                      "background.blur.radius": 0.05}))
    assert (arr[:, :, 3] == 255).all()
    assert np.ptp(arr[5, 5:40, 1].astype(int)) < np.ptp(pixels[5, 5:40, 1].astype(int)) // 4


def test_lighting_lifts_midtones():
    image = Image.new("RGB", (20, 20), (100, 100, 100))
    arr = rgba(edit(image, None, {"removeBackground": False, "lighting.mode": "ai.auto"}))
    assert (arr[:, :, :3] > 100).all()


def v1(image: Image.Image, alpha: np.ndarray, params: dict, **kwargs) -> Output:
    return segment_v1(image, alpha, params, size_presets=PRESETS, **kwargs)


def test_v1_preview_fits_the_pixel_budget_keeping_the_aspect_ratio():
    image, alpha = scene(1250, 800, (100, 100, 600, 500))
    assert decode(v1(image, alpha, {"size": "preview"})).size == (625, 400)
    small, small_alpha = scene()
    assert decode(v1(small, small_alpha, {"size": "preview"})).size == (200, 100)


def test_v1_default_is_a_full_size_png_cutout():
    image, alpha = scene()
    out = v1(image, alpha, {})
    assert out.content_type == "image/png"
    arr = rgba(out)
    assert (arr[:, :, 3] == alpha).all()
    assert (arr[alpha == 0] == 0).all()


def test_v1_crop_trims_to_the_subject():
    image, alpha = scene()
    arr = rgba(v1(image, alpha, {"crop": "true"}))
    assert arr.shape[:2] == (40, 40) and (arr[:, :, 3] == 255).all()


def test_v1_crop_of_an_empty_alpha_returns_the_uncropped_image():
    image, _ = scene()
    assert decode(v1(image, np.zeros((100, 200), np.uint8), {"crop": "true"})).size == (200, 100)


def test_v1_channels_alpha_returns_the_mask():
    image, alpha = scene()
    decoded = decode(v1(image, alpha, {"channels": "alpha"}))
    assert decoded.mode == "L"
    assert (np.asarray(decoded) == alpha).all()


def test_v1_bg_color_and_formats():
    image, alpha = scene()
    arr = rgba(v1(image, alpha, {"bg_color": "#FF00FF"}))
    assert tuple(arr[0, 0]) == (255, 0, 255, 255)
    jpg = v1(image, alpha, {"format": "jpg"})
    assert jpg.content_type == "image/jpeg" and decode(jpg).mode == "RGB"
    assert v1(image, alpha, {"format": "webp"}).content_type == "image/webp"


def test_v1_json_wraps_the_same_image_in_base64():
    image, alpha = scene()
    out = v1(image, alpha, {}, want_json=True)
    assert out.content_type == "application/json"
    assert base64.b64decode(json.loads(out.body)["base64img"]) == v1(image, alpha, {}).body


def test_v1_despill_removes_green_from_the_rim_only():
    pixels = np.zeros((60, 60, 3), np.uint8)
    pixels[:] = (120, 180, 120)
    alpha = np.zeros((60, 60), np.uint8)
    alpha[10:50, 10:50] = 255
    arr = rgba(v1(Image.fromarray(pixels), alpha, {"despill": "true"}))
    assert tuple(arr[10, 30, :3]) == (120, 120, 120)
    assert tuple(arr[30, 30, :3]) == (120, 180, 120)


def test_edit_without_an_image_or_a_prompt_is_a_value_error():
    with pytest.raises(ValueError):
        edit(None, None, {})


@pytest.mark.parametrize("mode", ["RGB", "RGBA"])
def test_cutout_is_the_input_with_the_alpha_and_invisible_pixels_cleared(mode):
    """The cutout clears what lies outside the visible box whole and looks up only the box: the same pixels as
    replacing the alpha and clearing every invisible pixel."""
    from mockserver.providers.photoroom.canvas import clear_transparent, cutout, with_alpha

    rng = np.random.default_rng(7)
    image = Image.fromarray(rng.integers(0, 256, (37, 53, len(mode)), dtype=np.uint8), mode)
    soft = np.zeros((37, 53), np.uint8)
    soft[9:30, 11:40] = rng.integers(0, 256, (21, 29), dtype=np.uint8)
    soft[9:30, 11:40][::3] = 0
    for alpha in (soft, np.zeros_like(soft), np.full_like(soft, 255)):
        expected = np.asarray(clear_transparent(with_alpha(image.convert("RGBA"), alpha)))
        assert np.array_equal(np.asarray(cutout(image, alpha)), expected)
