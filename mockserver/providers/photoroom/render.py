"""Photoroom's output images, built exactly as the real API shapes them (pure functions, no HTTP).

`edit` serves `/v2/edit`: prepare the input (AI stand-ins, cutout), position it (`geometry.plan`), stack
background, shadow and subject, then export. `segment_v1` serves `/v1/segment`. Choices the docs leave
open are written where they are made: geometry in `geometry`, encoding in `export`, AI stand-ins in
`generative`, the sandbox mark in `watermark`.

`/v2/edit` compositing, bottom to top: `background.color` (hex or name; a translucent colour stays
translucent in PNG/WebP), then `background.image*` (fit/fill, centred) or the `background.prompt` pattern,
then the shadow, then the placed input; `expand`/`uncrop` fill what is still transparent. JPEG output is
then composited on white. The sandbox watermark goes last, on visible pixels only. Fully transparent
pixels are written as (0, 0, 0, 0).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import numpy as np
from PIL import Image

from . import generative
from .canvas import clear_transparent, cutout, fit_or_fill, flatten, place, to_rgba, with_alpha
from .colours import parse_colour
from .despill import despill
from .export import encode, normalise_format, preserved_metadata
from .geometry import Box, Layout, budget_size, plan, subject_box
from .watermark import watermark

DEFAULT_QUALITY: Mapping[str, int] = {"jpeg": 80, "webp": 90, "avif": 90}


@dataclass
class Output:
    """A finished response body with its content type and the provider headers it carries."""

    body: bytes
    content_type: str
    headers: dict[str, str] = field(default_factory=dict)


def edit(
    image: Image.Image | None,
    alpha: np.ndarray | None,
    params: Mapping[str, Any],
    *,
    background_image: Image.Image | None = None,
    export_quality: Mapping[str, int] = DEFAULT_QUALITY,
    sandbox: bool = False,
    request_digest: str = "",
    padded: np.ndarray | None = None,
) -> Output:
    """`/v2/edit` result for a decoded input (None with `imageFromPrompt.prompt`) and its subject alpha.

    `alpha` is ignored with `removeBackground=false`: the original pixels stay and the whole input is the
    reference box (so no shadow either). An all-zero alpha ("no subject") gives a fully transparent result
    laid out as if the whole input were the subject. A generated input (`imageFromPrompt`) is cut out with
    the alpha of its synthetic subject. `padded` is the input's pixels as ``images.to_arrays`` gives them, when
    the caller has them: the cutout is built in it (it is used up). Raises ValueError on an unreadable colour or
    format.
    """
    headers: dict[str, str] = {}
    remove_background = params.get("removeBackground", True) is not False
    steps = _input_steps(params, headers)
    blur = params.get("background.blur.mode")
    metadata_of = image
    if image is None:
        if not params.get("imageFromPrompt.prompt"):
            raise ValueError("edit needs an input image or imageFromPrompt.prompt")
        image, alpha = generative.image_from_prompt(
            str(params["imageFromPrompt.prompt"]),
            params.get("imageFromPrompt.seed"),
            params.get("imageFromPrompt.size"),
        )
    mask = _checked_alpha(alpha, image.size) if remove_background else None
    source: Image.Image | None = None
    box: Box | None = None
    if mask is not None and image.mode in ("RGB", "RGBA") and not steps and not blur:
        # The common cutout: the input's own pixels with the subject's alpha, no RGBA copy of the input first.
        box = subject_box(mask)
        cut = cutout(image, mask, padded, box)
    else:
        source = to_rgba(image)
        for step in steps:
            source, mask = step(source, mask)
        if blur:
            radius = params.get("background.blur.radius")
            cut = generative.blur_background(source, mask, str(blur), 0.01 if radius is None else radius)
        else:
            cut = with_alpha(source, mask) if mask is not None else source
        box = subject_box(mask)
    layout = plan(params, cut.size, box, segmented=mask is not None)
    placed = place(cut, layout, clip=mask is not None and not blur)
    result = _background(layout.canvas, params, background_image, request_digest, headers)

    def subject() -> Image.Image:  # a blurred cut is opaque: then the subject is the input with the mask's alpha
        return with_alpha(source, mask) if blur and source is not None and mask is not None else cut

    for layer in _subject_layers(params, mask, subject, layout):
        result = Image.alpha_composite(_transparent(layout.canvas) if result is None else result, layer)
    # On nothing, the placed input is the result: its invisible colours are cleared when exported.
    result = placed if result is None else Image.alpha_composite(result, placed)
    if params.get("expand.mode") or params.get("uncrop.mode"):
        result = generative.fill_transparent(result)
    exif, xmp, icc = None, None, None
    if metadata_of is not None:  # a generated input has none
        exif, xmp = preserved_metadata(metadata_of, params.get("preserveMetadata"))
        icc = metadata_of.info.get("icc_profile") if params.get("colorSpace") == "original" else None
    body, content_type = _export(
        result, str(params.get("export.format") or "png"), export_quality, sandbox,
        dpi=params.get("export.dpi"), exif=exif, xmp=xmp, icc=icc,
        clean=result is cut and source is None,
    )
    return Output(body, content_type, headers)


def _subject_layers(params: Mapping[str, Any], mask: np.ndarray | None, subject: Callable[[], Image.Image],
                    layout: Layout) -> list[Image.Image]:
    """The shadow and outline, drawn from the subject's alpha (the mask's) where the subject is placed."""
    outline = parse_colour(params["outline.color"]) if params.get("outline.color") else None
    if mask is None or not (params.get("shadow.mode") or outline is not None):
        return []
    subject_alpha = np.asarray(place(subject(), layout, clip=True).getchannel("A"))
    layers = [generative.shadow(subject_alpha, str(params["shadow.mode"]))] if params.get("shadow.mode") else []
    if outline is not None:
        layers.append(generative.outline(subject_alpha, outline, params.get("outline.width", 0.03),
                                         params.get("outline.blurRadius", 0)))
    return layers


def _transparent(size: tuple[int, int]) -> Image.Image:
    return Image.new("RGBA", size, (0, 0, 0, 0))


def segment_v1(
    image: Image.Image,
    alpha: np.ndarray,
    params: Mapping[str, Any],
    *,
    size_presets: Mapping[str, int],
    want_json: bool = False,
    sandbox: bool = False,
    export_quality: Mapping[str, int] = DEFAULT_QUALITY,
) -> Output:
    """`/v1/segment` result: cutout (`channels=rgba`) or mask (`channels=alpha`, mode L).

    Order: despill on the full-resolution cutout, resize to the `size` budget (never up), then `crop=true`
    trims to the alpha > 0 box of the resized result, so the returned border is never fully transparent
    (an empty alpha is returned uncropped). `bg_color` fills behind the cutout; it does not apply to a
    mask. `want_json` wraps the file as `{"base64img": "<plain base64, no data: prefix>"}`.
    """
    source = to_rgba(image)
    mask = _checked_alpha(alpha, source.size)
    if _flag(params.get("despill")) and mask is not None:
        source = despill(source, mask)
    cut = with_alpha(source, mask) if mask is not None else source
    preset = str(params.get("size") or "full")
    if preset not in size_presets:
        raise ValueError(f"unknown size preset: {preset!r}")
    size = budget_size(cut.size, int(size_presets[preset]))
    if size != cut.size:
        cut = cut.resize(size, Image.Resampling.LANCZOS)
    if _flag(params.get("crop")):
        box = subject_box(np.asarray(cut.getchannel("A")))
        if box is not None:
            cut = cut.crop((box.x0, box.y0, box.x1, box.y1))
    fmt = str(params.get("format") or "png")
    if params.get("channels") == "alpha":
        body, content_type = _export_mask(cut.getchannel("A"), fmt, export_quality, sandbox)
    else:
        colour = parse_colour(params.get("bg_color"))
        if colour is not None:
            cut = Image.alpha_composite(Image.new("RGBA", cut.size, colour), cut)
        body, content_type = _export(cut, fmt, export_quality, sandbox)
    if want_json:
        payload = {"base64img": base64.b64encode(body).decode("ascii")}
        return Output(json.dumps(payload).encode("utf-8"), "application/json", {})
    return Output(body, content_type, {})


def _checked_alpha(alpha: np.ndarray | None, size: tuple[int, int]) -> np.ndarray | None:
    if alpha is None:
        return None
    mask = np.asarray(alpha)
    if mask.shape != (size[1], size[0]):
        raise ValueError(f"alpha shape {mask.shape} does not match image size {size}")
    return np.ascontiguousarray(mask, dtype=np.uint8)


Step = Callable[[Image.Image, np.ndarray | None], tuple[Image.Image, np.ndarray | None]]


def _input_steps(params: Mapping[str, Any], headers: dict[str, str]) -> list[Step]:
    """AI stand-ins that change the input (RGBA) and its mask before positioning, in order; none for most calls."""
    steps: list[Step] = []
    if params.get("upscale.mode") in generative.UPSCALE_FACTORS:
        steps.append(lambda source, mask: generative.upscale(source, mask, str(params["upscale.mode"])))
    if params.get("lighting.mode"):
        steps.append(lambda source, mask: (generative.lighting(source, str(params["lighting.mode"])), mask))
    if params.get("beautify.mode"):
        steps.append(lambda source, mask: (generative.beautify(source, str(params["beautify.mode"])), mask))
    if params.get("textRemoval.mode"):
        headers["pr-texts-detected"] = "0"
    if params.get("ironing.mode"):
        steps.append(lambda source, mask: (generative.iron(source), mask))
    for family in generative.EDIT_FAMILIES:
        if params.get(f"{family}.mode") and params.get(f"{family}.prompt"):
            steps.append(partial(_edited, family=family, params=params))
    for family in generative.SCENE_FAMILIES:
        if params.get(f"{family}.mode"):
            steps.append(partial(_scene, family=family, params=params))
            break  # the first scene replaces the input; later families see nothing of it
    return steps


def _edited(source: Image.Image, mask: np.ndarray | None, *, family: str,
            params: Mapping[str, Any]) -> tuple[Image.Image, np.ndarray | None]:
    prompt = str(params[f"{family}.prompt"])
    return generative.edit_with_prompt(source, family, prompt, params.get(f"{family}.seed")), mask


def _scene(source: Image.Image, mask: np.ndarray | None, *, family: str,
           params: Mapping[str, Any]) -> tuple[Image.Image, np.ndarray | None]:
    key = [params.get(f"{family}.{name}") for name in ("prompt", "pose", "quality", "model", "scene")]
    generated, alpha = generative.scene(source, mask, family, str(params.get(f"{family}.size")), *key)
    return generated, (alpha if mask is not None else None)


def _background(
    size: tuple[int, int],
    params: Mapping[str, Any],
    background_image: Image.Image | None,
    request_digest: str,
    headers: dict[str, str],
) -> Image.Image | None:
    """Everything under the subject: colour, then image or AI pattern; None (transparent) by default."""
    layer = None
    colour = parse_colour(params.get("background.color"))
    if colour is not None:
        layer = Image.new("RGBA", size, colour)
    if background_image is not None:
        fitted = fit_or_fill(background_image, size, str(params.get("background.scaling") or "fill"))
        layer = Image.alpha_composite(_transparent(size) if layer is None else layer, fitted)
    elif params.get("background.prompt"):
        seed = generative.seed_header(params.get("background.seed"), request_digest)
        headers["pr-ai-background-seed"] = seed
        layer = generative.pattern(size, "background", params["background.prompt"], seed)
    return layer


def _export(
    rgba: Image.Image,
    fmt: str,
    quality: Mapping[str, int],
    sandbox: bool,
    *,
    dpi: float | None = None,
    exif: Image.Exif | None = None,
    xmp: bytes | None = None,
    icc: bytes | None = None,
    clean: bool = False,
) -> tuple[bytes, str]:
    """`rgba` encoded; `clean` says its transparent pixels are already (0, 0, 0, 0) (the mark keeps them so)."""
    kind = normalise_format(fmt)
    if kind == "jpeg":
        rgba = flatten(rgba)
    if sandbox:
        rgba = watermark(rgba)
    image = rgba.convert("RGB") if kind == "jpeg" else rgba if clean else clear_transparent(rgba)
    return encode(image, kind, quality={**DEFAULT_QUALITY, **quality}, dpi=dpi, exif=exif, xmp=xmp, icc=icc)


def _export_mask(mask: Image.Image, fmt: str, quality: Mapping[str, int], sandbox: bool) -> tuple[bytes, str]:
    """A mask stays single-channel (L) in every format; the sandbox mark only touches non-zero values."""
    if sandbox:
        mask = watermark(Image.merge("RGBA", (mask, mask, mask, mask))).getchannel("R")
    return encode(mask, fmt, quality={**DEFAULT_QUALITY, **quality})


def _flag(value: Any) -> bool:
    """`/v1/segment` booleans arrive as `"true"`/`"false"` strings or already as bools."""
    return value is True or str(value).lower() == "true"
