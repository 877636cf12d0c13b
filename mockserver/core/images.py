"""Read untrusted image bytes safely: sniff, probe the header, check limits, then decode.

Every check that can be made from the header is made before a pixel is decoded, so a decompression bomb
(a tiny file claiming 100 000 × 100 000 pixels) is refused without allocating its claimed size.
"""

from __future__ import annotations

import contextlib
import io
import warnings
from collections.abc import Iterator
from typing import TYPE_CHECKING

from PIL import Image, ImageFile, ImageOps

from . import workgate
from .imagelimits import ImageInfo, ImageProblem, Limits, pixel_ceiling, sniff

if TYPE_CHECKING:
    import numpy as np

ImageFile.LOAD_TRUNCATED_IMAGES = False

@contextlib.contextmanager
def _bomb_guard() -> Iterator[None]:
    """Pillow's decompression-bomb check at the app's pixel ceiling, its warning made an error."""
    if pixel_ceiling():
        Image.MAX_IMAGE_PIXELS = pixel_ceiling()  # Pillow warns above this (raises at twice); the warning is an error
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        yield


def probe(data: bytes) -> ImageInfo:
    """Format, size and frame count from the header only (no pixel decoding)."""
    if not data:
        raise ImageProblem("image_invalid", "The image is empty.")
    kind = sniff(data)
    if kind is None:
        raise ImageProblem("image_invalid", "The file is not a supported image.")
    if kind == "heic":
        return ImageInfo("heic", 0, 0, False, "")
    try:
        with _bomb_guard(), Image.open(io.BytesIO(data)) as im:
            frames = getattr(im, "n_frames", 1)
            return ImageInfo(kind, im.width, im.height, bool(getattr(im, "is_animated", False)) or frames > 1,
                             im.mode)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ImageProblem("image_too_many_pixels", "The image has too many pixels.", reason=str(exc)) from exc
    except (OSError, ValueError, SyntaxError, EOFError) as exc:
        raise ImageProblem("image_invalid", "The file could not be read as an image.", reason=str(exc)) from exc


def check(data: bytes, limits: Limits) -> ImageInfo:
    """Probe and enforce ``limits``; raises ``ImageProblem`` naming the first limit broken."""
    if limits.max_bytes is not None and len(data) > limits.max_bytes:
        raise ImageProblem("image_too_large", "The image file is too large.", size=len(data), limit=limits.max_bytes)
    info = probe(data)
    if info.format not in limits.formats:
        raise ImageProblem("unsupported_format", f"Unsupported image format: {info.format}.", format=info.format)
    if info.animated and not limits.allow_animated:
        raise ImageProblem("image_animated", "Animated images are not supported.")
    longest, shortest = max(info.width, info.height), min(info.width, info.height)
    too_big = (
        (limits.max_side is not None and longest > limits.max_side)
        or (limits.max_width is not None and info.width > limits.max_width)
        or (limits.max_height is not None and info.height > limits.max_height)
        or (limits.max_pixels is not None and info.pixels > limits.max_pixels)
    )
    if too_big:
        raise ImageProblem("image_too_many_pixels", f"The image is too large ({info.width}x{info.height}).",
                           width=info.width, height=info.height)
    if limits.min_side is not None and shortest < limits.min_side:
        raise ImageProblem("image_too_small", f"The image is too small ({info.width}x{info.height}).",
                           width=info.width, height=info.height)
    return info


def decode(data: bytes, limits: Limits | None = None) -> Image.Image:
    """Check, then fully decode (EXIF orientation applied). Truncated or corrupt data is an ``ImageProblem``."""
    info = check(data, limits or Limits(formats=("png", "jpeg", "webp", "gif", "bmp", "tiff")))
    if info.format == "heic":
        raise ImageProblem("unsupported_format", "HEIC images cannot be decoded by the mock.", format="heic")
    workgate.reserve(info.pixels)
    try:
        with _bomb_guard():
            out = Image.open(io.BytesIO(data))
            out.load()
            ImageOps.exif_transpose(out, in_place=True)  # not in place, an upright image is copied whole
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ImageProblem("image_too_many_pixels", "The image has too many pixels.") from exc
    except (OSError, ValueError, SyntaxError, EOFError) as exc:
        raise ImageProblem("image_invalid", "The image is truncated or corrupt.", reason=str(exc)) from exc
    return out


def to_array(image: Image.Image) -> np.ndarray:
    """RGB or RGBA uint8 array of an image in any mode (palette transparency kept as alpha)."""
    import numpy as np  # imported on first image, so JSON-only servers start faster

    if image.mode in ("RGBA", "RGB"):
        return np.asarray(image)
    if image.mode in ("LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        return np.asarray(image.convert("RGBA"))
    return np.asarray(image.convert("RGB"))


def to_arrays(image: Image.Image) -> tuple[np.ndarray, np.ndarray | None]:
    """``to_array(image)`` and, for an RGB or RGBA image, the same pixels as a writable HxWx4 array of the
    caller's own (RGBA, or RGB and a padding byte), from which an RGBA answer is built without converting the
    input again. Pillow keeps RGB as 4-byte pixels, so copying them whole costs what packing 3 bytes does: the
    image is copied once and its RGB array is a view into the 4-byte pixels (not contiguous) that still knows
    the image they came from (``segmenter.resample.PixelCopy``), which the segmenter's sampler then resamples
    directly."""
    import numpy as np

    if image.mode not in ("RGB", "RGBA"):
        return to_array(image), None
    image.load()
    width, height = image.size
    padded = np.empty((height, width, 4), dtype=np.uint8)
    if padded.size:
        _copy_raw(image, "RGBX" if image.mode == "RGB" else "RGBA", padded.reshape(-1))
    if image.mode == "RGBA":
        return padded, padded
    from ..segmenter.resample import PixelCopy

    return np.asarray(PixelCopy(padded, image)), padded


def _copy_raw(image: Image.Image, rawmode: str, flat: np.ndarray) -> None:
    """Write the image's raw bytes in `rawmode` into `flat`: what ``Image.tobytes`` does, without joining its
    chunks into one more copy of the whole image. Each chunk of about a megabyte goes straight to its place
    while it is still in the cache (on a 1 MP input half the cost of a ``tobytes`` and its copy; on 16 MP, where
    bands were cropped first, a third less)."""
    import numpy as np

    width, height = image.size
    encoder = Image._getencoder(image.mode, "raw", rawmode)
    try:
        encoder.setimage(image.im, (0, 0, width, height))
        chunk_size = max(1, _CHUNK_BYTES // (4 * width)) * 4 * width
        offset, status = 0, 0
        while not status:
            status, chunk = encoder.encode(chunk_size)[1:]
            flat[offset : offset + len(chunk)] = np.frombuffer(chunk, np.uint8)
            offset += len(chunk)
    finally:
        encoder.cleanup()
    if status < 0 or offset != flat.size:
        raise RuntimeError(f"raw encoder error {status} copying a {width}x{height} {image.mode} image")


_CHUNK_BYTES = 2**20
