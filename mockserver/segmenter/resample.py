"""Moving between the input resolution and the capped working resolution.

Analysis runs on a small image so its cost does not grow with megapixels; masks go back to full size by
upsampling a soft field and thresholding it, which gives clean, sub-pixel edges instead of blocks.
"""

from __future__ import annotations

import numpy as np
from PIL import Image

_STRIDE_OVERSAMPLE = 4
# A mask is upsampled on its own window when that window covers at most this share of the frame.
_WINDOW_SHARE = 0.6


def validate(image: np.ndarray) -> np.ndarray:
    """Check an input image and return it as HxWxC uint8 (C in 1, 3, 4) without copying."""
    arr = np.asarray(image)
    if arr.dtype != np.uint8:
        raise TypeError(f"image must be uint8, got {arr.dtype}")
    if arr.ndim == 2:
        arr = arr[:, :, None]
    if arr.ndim != 3 or arr.shape[2] not in (1, 3, 4) or arr.shape[0] == 0 or arr.shape[1] == 0:
        raise ValueError(f"image must be HxW, HxWx3 or HxWx4, got shape {arr.shape}")
    return arr


def working_size(height: int, width: int, cap: int) -> tuple[int, int]:
    """(h, w) of the analysis grid: the input itself if small, else scaled so the longest side is `cap`."""
    longest = max(height, width)
    if longest <= cap:
        return height, width
    scale = cap / longest
    return max(1, round(height * scale)), max(1, round(width * scale))


def _sample(pixels: np.ndarray, step: int) -> Image.Image:
    """Every `step`-th row and column as a Pillow image (L, RGB or RGBX; alpha is never premultiplied).

    Whole pixels are copied as single items (3-byte voids, 32-bit words): a strided copy of 16 MP is then a
    few milliseconds instead of a per-byte gather.
    """
    channels = pixels.shape[2]
    if channels == 1:
        return Image.fromarray(np.ascontiguousarray(pixels[::step, ::step, 0]))
    whole = pixels.strides[1:] == (channels, 1)
    if channels == 4 and whole:
        words = np.ascontiguousarray(pixels.view(np.uint32)[::step, ::step, 0])
        return Image.frombuffer("RGBX", (words.shape[1], words.shape[0]), words, "raw", "RGBX", 0, 1)
    if channels == 3 and whole:
        return Image.fromarray(np.ascontiguousarray(pixels.view("V3")[::step, ::step]).view(np.uint8))
    return Image.fromarray(np.ascontiguousarray(pixels[::step, ::step, :3]))


def downscale(pixels: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Area-average a validated HxWxC image to `size` (h, w) as 3 float32 colour planes (3, h, w).

    Huge inputs are first strided to a few times the target so Pillow copies megabytes, not a whole
    16 MP frame; a handful of samples per output pixel still averages out noise. Pillow reduces by the
    integer part of half the ratio first (``reducing_gap=2``), then box-resamples the rest.
    """
    h, w = size
    if (h, w) == pixels.shape[:2]:
        small = pixels
    else:
        step = max(1, min(pixels.shape[0] // (h * _STRIDE_OVERSAMPLE), pixels.shape[1] // (w * _STRIDE_OVERSAMPLE)))
        image = _sample(pixels, step).resize((w, h), Image.Resampling.BOX, reducing_gap=2.0)
        small = np.asarray(image).reshape(h, w, -1)
    planes = np.empty((3, h, w), dtype=np.float32)
    planes[...] = np.moveaxis(small[:, :, :3], 2, 0)
    return planes


def gaussian_kernel(sigma: float, taps: int | None = None) -> np.ndarray:
    """Normalised 1-D Gaussian; `taps` (odd) truncates it, by default at 3 sigma."""
    if taps is None:
        taps = 2 * max(1, int(np.ceil(3.0 * sigma))) + 1
    half = taps // 2
    x = np.arange(-half, half + 1, dtype=np.float64)
    k = np.exp(-0.5 * (x / max(sigma, 1e-6)) ** 2)
    return (k / k.sum()).astype(np.float32)


def _convolve_axis(plane: np.ndarray, kernel: np.ndarray, axis: int) -> np.ndarray:
    """Symmetric 1-D convolution of a 2-D plane along `axis`, edge padded.

    Centre tap plus one add per mirrored pair of taps, through one reused scratch buffer, so a blur holds
    about three planes at a time.
    """
    half = kernel.size // 2
    n = plane.shape[axis]
    padded = np.take(plane, np.clip(np.arange(-half, n + half), 0, n - 1), axis=axis)

    def window(start: int) -> np.ndarray:
        return padded[start : start + n] if axis == 0 else padded[:, start : start + n]

    acc = window(half) * kernel[half]
    pair = np.empty_like(acc)
    for i in range(1, half + 1):
        np.add(window(half - i), window(half + i), out=pair)
        pair *= kernel[half + i]
        acc += pair
    return acc


def convolve_separable(field: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    """Convolve the last two axes of a float field with a symmetric kernel, edge padded, plane by plane."""
    field = np.asarray(field, dtype=np.float32)
    if field.ndim == 2:
        return _convolve_axis(_convolve_axis(field, kernel, 0), kernel, 1)
    out = np.empty(field.shape, dtype=np.float32)
    for index in np.ndindex(field.shape[:-2]):
        out[index] = _convolve_axis(_convolve_axis(field[index], kernel, 0), kernel, 1)
    return out


def blur(field: np.ndarray, sigma: float) -> np.ndarray:
    """Gaussian blur over the last two axes of a small field (analysis grid sizes only; planes stay apart)."""
    if sigma <= 0:
        return np.asarray(field, dtype=np.float32)
    return convolve_separable(field, gaussian_kernel(sigma))


def edge_gain(scale: float) -> float:
    """Contrast applied to an upsampled field so its 0.5 crossing becomes a ~1 px anti-aliased ramp."""
    return max(2.0, 2.2 * scale)


def _gain_lut(scale: float) -> list[int]:
    levels = np.arange(256, dtype=np.float64)
    return np.clip(np.round((levels - 127.5) * edge_gain(scale) + 127.5), 0, 255).astype(np.uint8).tolist()


def upsample(field: np.ndarray, size: tuple[int, int], soft: bool) -> np.ndarray:
    """Bring a working-grid field (0..1, 0.5 = edge) to `size` (h, w).

    Returns uint8 alpha (anti-aliased, 255 inside) when `soft`, otherwise a boolean mask. Pillow does the
    bilinear pass on an 8-bit image; the soft ramp is one 256-entry lookup, the hard mask one comparison,
    so a 16 MP mask costs a few full-size passes and one copy out of Pillow.
    """
    h, w = size
    quantised = np.clip(np.rint(np.asarray(field, dtype=np.float32) * 255.0), 0, 255).astype(np.uint8)
    scale = max(h / field.shape[0], w / field.shape[1], 1.0)
    img = Image.fromarray(quantised)
    window = _window(quantised, size)
    if window is not None:
        return _upsample_window(img, size, window, soft, scale)
    if img.size != (w, h):
        img = img.resize((w, h), Image.Resampling.BILINEAR)
    if soft:
        return np.asarray(img.point(_gain_lut(scale))).copy()
    return np.asarray(img) >= 128


def _window(quantised: np.ndarray, size: tuple[int, int]) -> tuple[int, int, int, int] | None:
    """Output rows and columns (y0, y1, x0, x1) outside which an upscaled field is 0, when that saves work.

    Bilinear upscaling reads the source pixels within one pixel of an output pixel's centre, so past the
    field's non-zero box plus that reach the output is 0 (and 0 maps to 0 through the gain). None when the
    box covers most of the frame or the field is not upscaled.
    """
    gh, gw = quantised.shape
    h, w = size
    if h < gh or w < gw or (h, w) == (gh, gw):
        return None
    rows = np.flatnonzero(quantised.any(axis=1))
    if not rows.size:
        return 0, 0, 0, 0
    cols = np.flatnonzero(quantised.any(axis=0))
    sy, sx = h / gh, w / gw
    y0, y1 = max(0, int((rows[0] - 1) * sy)), min(h, int(np.ceil((rows[-1] + 2) * sy)) + 1)
    x0, x1 = max(0, int((cols[0] - 1) * sx)), min(w, int(np.ceil((cols[-1] + 2) * sx)) + 1)
    if (y1 - y0) * (x1 - x0) > _WINDOW_SHARE * h * w:
        return None
    return y0, y1, x0, x1


def _upsample_window(img: Image.Image, size: tuple[int, int], window: tuple[int, int, int, int], soft: bool,
                     scale: float) -> np.ndarray:
    """``upsample`` computed on an output window only (Pillow's resize of a source box), zero elsewhere."""
    h, w = size
    y0, y1, x0, x1 = window
    out = np.zeros((h, w), dtype=np.uint8 if soft else bool)
    if y1 <= y0 or x1 <= x0:
        return out
    gw, gh = img.size
    part = img.resize((x1 - x0, y1 - y0), Image.Resampling.BILINEAR,
                      box=(x0 * gw / w, y0 * gh / h, x1 * gw / w, y1 * gh / h))
    if soft:
        out[y0:y1, x0:x1] = np.asarray(part.point(_gain_lut(scale)))
    else:
        out[y0:y1, x0:x1] = np.asarray(part) >= 128
    return out
