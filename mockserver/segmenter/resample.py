"""Moving between the input resolution and the capped working resolution.

Analysis runs on a small image so its cost does not grow with megapixels; masks go back to full size by
upsampling a soft field and thresholding it, which gives clean, sub-pixel edges instead of blocks.
"""

from __future__ import annotations

import numpy as np
from PIL import Image

_STRIDE_OVERSAMPLE = 4


def as_rgb(image: np.ndarray) -> np.ndarray:
    """Validate an input image and return its HxWx3 uint8 colour part (alpha dropped, grey expanded)."""
    arr = np.asarray(image)
    if arr.dtype != np.uint8:
        raise TypeError(f"image must be uint8, got {arr.dtype}")
    if arr.ndim == 2:
        arr = arr[:, :, None]
    if arr.ndim != 3 or arr.shape[2] not in (1, 3, 4) or arr.shape[0] == 0 or arr.shape[1] == 0:
        raise ValueError(f"image must be HxW, HxWx3 or HxWx4, got shape {arr.shape}")
    if arr.shape[2] == 1:
        return np.repeat(arr, 3, axis=2)
    return arr[:, :, :3]


def working_size(height: int, width: int, cap: int) -> tuple[int, int]:
    """(h, w) of the analysis grid: the input itself if small, else scaled so the longest side is `cap`."""
    longest = max(height, width)
    if longest <= cap:
        return height, width
    scale = cap / longest
    return max(1, round(height * scale)), max(1, round(width * scale))


def downscale(rgb: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Area-average `rgb` to `size` (h, w) as float32.

    Huge inputs are first strided to a few times the target so Pillow copies megabytes, not a whole
    16 MP frame; a handful of samples per output pixel still averages out noise.
    """
    h, w = size
    if (h, w) == rgb.shape[:2]:
        return rgb.astype(np.float32)
    step = max(1, min(rgb.shape[0] // (h * _STRIDE_OVERSAMPLE), rgb.shape[1] // (w * _STRIDE_OVERSAMPLE)))
    src = np.ascontiguousarray(rgb[::step, ::step]) if step > 1 else np.ascontiguousarray(rgb)
    small = Image.fromarray(src).resize((w, h), Image.Resampling.BOX)
    return np.asarray(small, dtype=np.float32)


def downscale_mask(mask: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Area coverage (float32 0..1) of a full-resolution mask on a smaller grid."""
    h, w = size
    grey = Image.fromarray(np.asarray(mask, dtype=np.uint8) * np.uint8(255))
    return np.asarray(grey.resize((w, h), Image.Resampling.BOX), dtype=np.float32) / 255.0


def gaussian_kernel(sigma: float, taps: int | None = None) -> np.ndarray:
    """Normalised 1-D Gaussian; `taps` (odd) truncates it, by default at 3 sigma."""
    if taps is None:
        taps = 2 * max(1, int(np.ceil(3.0 * sigma))) + 1
    half = taps // 2
    x = np.arange(-half, half + 1, dtype=np.float64)
    k = np.exp(-0.5 * (x / max(sigma, 1e-6)) ** 2)
    return (k / k.sum()).astype(np.float32)


def convolve_separable(field: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    """Convolve a 2-D float field along both axes with edge padding (numpy only, any size, deterministic)."""
    half = kernel.size // 2
    out = np.asarray(field, dtype=np.float32)
    for axis in (0, 1):
        pad = [(0, 0), (0, 0)]
        pad[axis] = (half, half)
        padded = np.pad(out, pad, mode="edge")
        acc = np.zeros_like(out)
        n = out.shape[axis]
        for i, weight in enumerate(kernel):
            acc += weight * (padded[i : i + n] if axis == 0 else padded[:, i : i + n])
        out = acc
    return out


def blur(field: np.ndarray, sigma: float) -> np.ndarray:
    """Gaussian blur of a small 2-D field (analysis grid sizes only)."""
    if sigma <= 0:
        return np.asarray(field, dtype=np.float32)
    return convolve_separable(field, gaussian_kernel(sigma))


def edge_gain(scale: float) -> float:
    """Contrast applied to an upsampled field so its 0.5 crossing becomes a ~1 px anti-aliased ramp."""
    return max(2.0, 2.2 * scale)


def upsample(field: np.ndarray, size: tuple[int, int], soft: bool) -> np.ndarray:
    """Bring a working-grid field (0..1, 0.5 = edge) to `size` (h, w).

    Returns uint8 alpha (anti-aliased, 255 inside) when `soft`, otherwise a boolean mask. The threshold runs
    through a 256-entry lookup table on Pillow's 8-bit image, so a 16 MP mask costs a few full-size passes.
    """
    h, w = size
    quantised = np.clip(np.rint(np.asarray(field, dtype=np.float32) * 255.0), 0, 255).astype(np.uint8)
    scale = max(h / field.shape[0], w / field.shape[1], 1.0)
    img = Image.fromarray(quantised)
    if img.size != (w, h):
        img = img.resize((w, h), Image.Resampling.BILINEAR)
    if soft:
        levels = np.arange(256, dtype=np.float64)
        lut = np.clip(np.round((levels - 127.5) * edge_gain(scale) + 127.5), 0, 255).astype(np.uint8)
        return np.array(img.point(lut.tolist()), dtype=np.uint8)
    lut = [1 if v >= 128 else 0 for v in range(256)]
    return np.array(img.point(lut), dtype=np.uint8).view(bool)
