"""``upsample`` resamples only where a mask can show; its bytes are those of one full-size Pillow resize."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from mockserver.segmenter.resample import _gain_lut, upsample


def _full_size(field: np.ndarray, size: tuple[int, int], soft: bool) -> np.ndarray:
    h, w = size
    quantised = np.clip(np.rint(field * 255.0), 0, 255).astype(np.uint8)
    img = Image.fromarray(quantised).resize((w, h), Image.Resampling.BILINEAR)
    if soft:
        return np.asarray(img.point(_gain_lut(max(h / field.shape[0], w / field.shape[1], 1.0))))
    return np.asarray(img) >= 128


@pytest.mark.parametrize("size", [(300, 417), (48, 64), (97, 64), (48, 500)])
def test_window_gives_the_full_size_bytes(size: tuple[int, int]) -> None:
    rng = np.random.default_rng(sum(size))
    field = rng.random((48, 64), dtype=np.float32) * 0.45  # faint everywhere: below what the ramp shows
    field[10:30, 20:41] = rng.random((20, 21), dtype=np.float32)  # a subject, edges of every level
    field[0, 63] = 0.9  # and a speck in a corner
    for soft in (True, False):
        assert np.array_equal(upsample(field, size, soft), _full_size(field, size, soft))
    assert not upsample(np.zeros((48, 64), np.float32), size, True).any()
