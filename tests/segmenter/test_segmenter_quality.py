"""The reference segmenter finds what a user expects on the standard synthetic scenes."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest

from contracts.generate import scenes
from contracts.generate.scenes import ObjectSpec
from mockserver.segmenter import ReferenceSegmenter, combine, expand_mask, feather_mask, load_segmenter

SCENES = scenes.standard_scenes()
SEG = ReferenceSegmenter()


def iou(a: np.ndarray, b: np.ndarray) -> float:
    return float((a & b).sum()) / max(1, float((a | b).sum()))


def kept(detections, threshold: float = 0.5):
    return [d for d in detections if d.score >= threshold]


@pytest.mark.parametrize("scene", SCENES, ids=lambda s: s.name)
def test_salient_finds_the_foreground(scene: scenes.Scene) -> None:
    result = SEG.salient(scene.image)
    assert result.alpha.shape == scene.image.shape[:2] and result.alpha.dtype == np.uint8
    assert iou(result.mask, scene.foreground_mask) >= 0.9
    assert 0.0 <= result.score <= 1.0


@pytest.mark.parametrize("scene", SCENES, ids=lambda s: s.name)
def test_colour_prompts_find_their_object(scene: scenes.Scene) -> None:
    for obj in scene.objects:
        mask = combine(kept(SEG.text(scene.image, obj.colour_name)), scene.image.shape[:2])
        assert iou(mask, obj.mask) >= 0.9, obj.colour_name


@pytest.mark.parametrize("scene", SCENES, ids=lambda s: s.name)
def test_a_click_on_an_object_selects_it(scene: scenes.Scene) -> None:
    for obj in scene.objects:
        candidates = SEG.points(scene.image, [obj.centroid])
        best = max(candidates, key=lambda d: d.score)
        assert iou(best.mask, obj.mask) >= 0.9, obj.colour_name


def test_position_and_size_words() -> None:
    scene = SCENES[1]  # red ellipse left, blue rectangle right
    left = combine(kept(SEG.text(scene.image, "left")), scene.image.shape[:2])
    right = combine(kept(SEG.text(scene.image, "right object")), scene.image.shape[:2])
    assert iou(left, scene.object("red").mask) >= 0.9
    assert iou(right, scene.object("blue").mask) >= 0.9
    three = SCENES[4]
    largest = max(three.objects, key=lambda o: o.mask.sum())
    big = kept(SEG.text(three.image, "largest"))[0]
    assert iou(big.mask, largest.mask) >= 0.9


def test_comma_terms_combine_and_negative_prompts_remove() -> None:
    scene = SCENES[2]
    both = combine(kept(SEG.text(scene.image, "yellow, purple")), scene.image.shape[:2])
    assert iou(both, scene.object("yellow").mask | scene.object("purple").mask) >= 0.9
    everything = combine(kept(SEG.text(scene.image, "everything", negative="green")), scene.image.shape[:2])
    assert not (everything & scene.object("green").mask).any()
    assert iou(everything, scene.foreground_mask & ~scene.object("green").mask) >= 0.85


def test_keep_salient_object_adds_the_cutout() -> None:
    scene = SCENES[2]
    only_prompt = combine(kept(SEG.text(scene.image, "yellow")), scene.image.shape[:2])
    with_salient = combine(kept(SEG.text(scene.image, "yellow", salient_mode="keepSalientObject")),
                           scene.image.shape[:2])
    assert iou(with_salient, scene.foreground_mask) >= 0.9 and with_salient.sum() > only_prompt.sum()


def test_unknown_nouns_fall_back_to_a_salient_object_stably() -> None:
    bottle = SCENES[0]
    found = kept(SEG.text(bottle.image, "bottle"))
    assert found and iou(found[0].mask, bottle.objects[0].mask) >= 0.9
    three = SCENES[4]
    picks = [kept(SEG.text(three.image, noun))[0].mask.sum() for noun in ("sofa", "sofa", "lamp")]
    assert picks[0] == picks[1]


def test_background_prompt() -> None:
    scene = SCENES[1]
    bg = kept(SEG.text(scene.image, "background"))[0].mask
    assert iou(bg, scene.background_mask) >= 0.9


def test_everything_lists_every_object_in_a_stable_order() -> None:
    scene = SCENES[4]
    regions = SEG.everything(scene.image)
    areas = [int(d.mask.sum()) for d in regions]
    assert areas == sorted(areas, reverse=True)
    for obj in scene.objects:
        assert max(iou(d.mask, obj.mask) for d in regions) >= 0.9
    assert not any((d.mask & scene.background_mask).mean() > 0.01 for d in regions)


def test_points_give_three_nested_candidates_and_negative_points_remove() -> None:
    scene = SCENES[0]
    obj = scene.objects[0]
    sub, part, whole = SEG.points(scene.image, [obj.centroid], multimask=True)
    assert (sub.mask <= part.mask).all() and (part.mask <= whole.mask).all()
    assert sub.mask.sum() < part.mask.sum()
    assert len(SEG.points(scene.image, [obj.centroid], multimask=False)) == 1
    two = SCENES[1]
    red, blue = two.object("red"), two.object("blue")
    both = SEG.points(two.image, [red.centroid, blue.centroid], [blue.centroid], multimask=False)[0]
    assert iou(both.mask, red.mask) >= 0.9


def test_refinement_smooths_but_keeps_the_object() -> None:
    scene = SCENES[3]
    obj = scene.objects[0]
    refined = SEG.points(scene.image, [obj.centroid], multimask=False, refinement_steps=3)[0]
    assert iou(refined.mask, obj.mask) >= 0.9


def test_output_size_always_equals_input_size() -> None:
    for w, h in ((1, 1), (2, 2), (3, 700), (700, 3), (1999, 13)):
        image = np.zeros((h, w, 3), np.uint8)
        image[h // 3: max(h // 3 + 1, 2 * h // 3), w // 3: max(w // 3 + 1, 2 * w // 3)] = (200, 30, 30)
        assert SEG.salient(image).alpha.shape == (h, w)
        for det in [*SEG.everything(image), *SEG.text(image, "red"), *SEG.points(image, [(0.5, 0.5)])]:
            assert det.mask.shape == (h, w)


def test_uniform_image_gives_an_empty_cutout() -> None:
    image = np.full((120, 160, 3), 128, np.uint8)
    assert not SEG.salient(image).mask.any()
    assert SEG.everything(image) == []


def test_rgba_input_and_its_own_alpha() -> None:
    scene = SCENES[0]
    rgba = np.dstack([scene.image, np.where(scene.foreground_mask, 255, 0).astype(np.uint8)])
    own = SEG.salient(rgba, use_alpha=True)
    assert iou(own.mask, scene.foreground_mask) == 1.0
    assert iou(SEG.salient(rgba).mask, scene.foreground_mask) >= 0.9


def test_masks_are_byte_identical_across_runs_and_pinned() -> None:
    """Determinism: the same input gives the same bytes; the pinned digest catches a cross-machine change."""
    scene = SCENES[4]
    first = SEG.salient(scene.image).alpha.tobytes()
    second = ReferenceSegmenter().salient(scene.image.copy()).alpha.tobytes()
    assert first == second
    text = b"".join(d.mask.tobytes() for d in SEG.text(scene.image, "red, black"))
    assert text == b"".join(d.mask.tobytes() for d in SEG.text(scene.image, "red, black"))
    assert hashlib.sha256(first).hexdigest()[:16] == PINNED_SALIENT


# The salient alpha of the "packshot-three" scene, computed once; a change here changes users' masks.
PINNED_SALIENT = "f4f0ff67d3eedab7"


def test_expand_and_feather() -> None:
    mask = np.zeros((100, 100), bool)
    mask[40:60, 40:60] = True
    grown = expand_mask(mask, 5)
    assert grown.sum() == 30 * 30  # square corners without tapering
    rounded = expand_mask(mask, 5, tapered=True)
    assert rounded.sum() < grown.sum() and not rounded[35, 35] and rounded[35, 50]
    shrunk = expand_mask(mask, -5)
    assert shrunk.sum() == 10 * 10
    assert expand_mask(mask, 16384).all() and not expand_mask(mask, -16384).any()
    soft = feather_mask(mask, sigma=3.0, kernel_size=25)
    assert soft.dtype == np.uint8 and 0 < soft[50, 38] < 255 and soft[50, 50] == 255
    assert (feather_mask(mask, 3.0, 0) == mask.astype(np.uint8) * 255).all()


def test_pluggable_segmenter(tmp_path, monkeypatch) -> None:
    (tmp_path / "my_model.py").write_text(
        "from mockserver.segmenter import ReferenceSegmenter\n"
        "def build():\n    return ReferenceSegmenter(cap=128)\n"
        "def broken():\n    return object()\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    assert isinstance(load_segmenter("my_model:build"), ReferenceSegmenter)
    with pytest.raises(TypeError, match="Segmenter protocol"):
        load_segmenter("my_model:broken")
    with pytest.raises(ValueError):
        load_segmenter("my_model")


def test_scene_generator_is_deterministic_and_encodes() -> None:
    spec = [ObjectSpec("bottle", "red", (0.5, 0.5), (0.3, 0.6))]
    a = scenes.make_scene("noisy", 200, 150, spec, seed=3)
    b = scenes.make_scene("noisy", 200, 150, spec, seed=3)
    assert (a.image == b.image).all() and a.objects[0].mask.sum() > 0
    assert a.encode("png")[:8] == b"\x89PNG\r\n\x1a\n" and a.encode("jpeg")[:3] == b"\xff\xd8\xff"
