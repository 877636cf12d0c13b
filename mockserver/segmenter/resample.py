"""Moving between the input resolution and the capped working resolution.

Analysis runs on a small image so its cost does not grow with megapixels; masks go back to full size by
upsampling a soft field and thresholding it, which gives clean, sub-pixel edges instead of blocks.
"""

from __future__ import annotations

import numpy as np
from PIL import Image

_STRIDE_OVERSAMPLE = 4


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
    copy = pixels.base
    if isinstance(copy, PixelCopy) and step == 1 and copy.shows(pixels):
        return copy.source  # the image the pixels were copied from: resampled as it is, nothing unpacked again
    padded = _four_byte_pixels(pixels)
    if padded is not None:
        # RGB read through 4-byte pixels (``images.to_arrays``): whole pixels unpacked into a 3-band image, which
        # Pillow resamples faster than the 4-band one ``frombuffer`` would map over the same words.
        words = np.ascontiguousarray(padded.view(np.uint32)[::step, ::step, 0])
        return Image.frombytes("RGB", (words.shape[1], words.shape[0]), words, "raw", "RGBX")
    if channels == 3 and pixels.strides[2] == 1:
        return Image.fromarray(np.ascontiguousarray(pixels.view("V3")[::step, ::step]).view(np.uint8))
    return Image.fromarray(np.ascontiguousarray(pixels[::step, ::step, :3]))


class PixelCopy:
    """An RGB Pillow image's pixels copied into 4-byte words (RGB and a padding byte), as ``images.to_arrays``
    makes them, with that image (``source``).

    ``np.asarray`` of it is the HxWx3 view of the words (not a copy). The sampler finds this object as the
    view's base and resamples ``source`` itself: the same pixels, without unpacking the words into a new image
    first. The view stands for ``source`` only until the words change (a cutout built in them uses them up).
    """

    def __init__(self, padded: np.ndarray, source: Image.Image) -> None:
        height, width = padded.shape[:2]
        if source.mode != "RGB" or source.size != (width, height) or padded.shape[2] != 4 or padded.dtype != np.uint8:
            raise ValueError(f"{padded.shape} {padded.dtype} words are no copy of a {source.size} {source.mode} image")
        self.padded = padded
        self.source = source
        self._shape = (height, width, 3)
        self._address: int = padded.__array_interface__["data"][0]
        self.__array_interface__ = {"version": 3, "typestr": "|u1", "shape": self._shape, "strides": padded.strides,
                                    "data": (self._address, False)}

    def shows(self, pixels: np.ndarray) -> bool:
        """Whether `pixels` is this copy's whole RGB view (not a part of it)."""
        return (pixels.shape == self._shape and pixels.strides == self.padded.strides
                and pixels.__array_interface__["data"][0] == self._address)


def _four_byte_pixels(pixels: np.ndarray) -> np.ndarray | None:
    """The HxWx4 array an RGB view (``padded[:, :, :3]``, or a ``PixelCopy``'s) was taken from, when it is one:
    its pixels are then read as whole 32-bit words (the fourth byte is never used)."""
    base = pixels.base
    if isinstance(base, PixelCopy):
        base = base.padded
    if (pixels.shape[2] != 3 or not isinstance(base, np.ndarray) or base.dtype != np.uint8
            or base.shape != (*pixels.shape[:2], 4) or not base.flags.c_contiguous
            or base.strides != pixels.strides
            or base.__array_interface__["data"][0] != pixels.__array_interface__["data"][0]):
        return None
    return base


def downscale(pixels: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Area-average a validated HxWxC image to `size` (h, w) as 3 float32 colour planes (3, h, w).

    Huge inputs are first strided to a few times the target so Pillow copies megabytes, not a whole
    16 MP frame; a handful of samples per output pixel still averages out noise. Pillow reduces by the
    integer part of half the ratio first (``reducing_gap=2``), then box-resamples the rest.
    """
    h, w = size
    planes = np.empty((3, h, w), dtype=np.float32)
    if (h, w) == pixels.shape[:2]:
        planes[...] = np.moveaxis(pixels[:, :, :3], 2, 0)
        return planes
    step = max(1, min(pixels.shape[0] // (h * _STRIDE_OVERSAMPLE), pixels.shape[1] // (w * _STRIDE_OVERSAMPLE)))
    image = _sample(pixels, step).resize((w, h), Image.Resampling.BOX, reducing_gap=2.0)
    # Each band straight into its plane (a grey image's one band into all three): no interleaved copy first.
    bands = image.split()
    for c in range(3):
        planes[c] = np.asarray(bands[min(c, len(bands) - 1)])
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
    bilinear pass on an 8-bit image; the soft ramp is one 256-entry lookup, the hard mask one comparison.
    A bilinear value lies between its taps, so where every tap is at most the highest level the ramp (or the
    threshold) sends to 0, the result is 0: Pillow's two passes are run apart, the horizontal one only on the
    rows the vertical one reads for the rows that can show, the vertical one only on the columns that can show
    (the same coefficients, so the same bytes as one full-size resize), and a 16 MP mask of a product costs a
    fraction of a full-size pass.
    """
    h, w = size
    quantised = np.clip(np.rint(np.asarray(field, dtype=np.float32) * 255.0), 0, 255).astype(np.uint8)
    fh, fw = quantised.shape
    lut = _gain_lut(max(h / fh, w / fw, 1.0))
    hidden = lut.count(0) - 1 if soft else 127  # the highest level that comes out as 0 (ramp) or False (mask)
    out = np.zeros((h, w), dtype=np.uint8)
    live = quantised > hidden
    rows, cols = np.flatnonzero(live.any(axis=1)), np.flatnonzero(live.any(axis=0))
    if rows.size:
        x0, x1 = _window(int(cols[0]), int(cols[-1]), fw, w)
        y0, y1 = _window(int(rows[0]), int(rows[-1]), fh, h)
        # The horizontal pass runs only on the rows the vertical taps of rows y0..y1 read; the crop gives the
        # others as zeros, which reach only output rows outside y0..y1, cut away below.
        top, bottom = _taps(y0, y1, fh, h)
        img = Image.fromarray(quantised[top:bottom])
        if fw != w:
            img = img.resize((w, bottom - top), Image.Resampling.BILINEAR)
        img = img.crop((x0, -top, x1, fh - top))
        if fh != h:
            img = img.resize((x1 - x0, h), Image.Resampling.BILINEAR)
        img = img.crop((0, y0, x1 - x0, y1))
        out[y0:y1, x0:x1] = np.asarray(img.point(lut) if soft else img)
    return out if soft else out >= 128


def _window(first: int, last: int, cells: int, pixels: int) -> tuple[int, int]:
    """Output span [p0, p1) on one axis that bilinear taps (1 cell either side) carry cells first..last into."""
    ratio = pixels / cells
    if ratio < 1:  # a reduction's taps reach further: all of it
        return 0, pixels
    return max(0, int(np.floor((first - 2) * ratio))), min(pixels, int(np.ceil((last + 3) * ratio)))


def _taps(first: int, end: int, cells: int, pixels: int) -> tuple[int, int]:
    """Input span [c0, c1) that the bilinear taps of output rows first..end-1 read (with two cells to spare)."""
    if pixels < cells:  # a reduction's taps reach further: all of it
        return 0, cells
    return max(0, first * cells // pixels - 2), min(cells, -(-end * cells // pixels) + 2)
