"""Safe image loading shared by every image detector.

One job: turn an image file from an untrusted corpus into an 8-bit RGB numpy array in the
orientation a viewer would show (EXIF applied), optionally downscaled to a bounded size, or
raise :class:`ImageLoadError` with a short machine code. Detectors turn that error into
``Result(error="<code>: <message>")``; they never see a Pillow exception.

Codes: ``media_missing``, ``media_empty``, ``corrupt_image``, ``truncated_image``,
``decompression_bomb``, ``unsupported_image``.
"""

from __future__ import annotations

import math
import os
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageFile, ImageOps, UnidentifiedImageError

#: Container signatures of formats Pillow cannot decode here, so they get ``unsupported_image``
#: (a clear "we cannot read this kind of file") rather than ``corrupt_image``.
_UNSUPPORTED_SIGNATURES: tuple[tuple[int, bytes, str], ...] = (
    (4, b"ftypheic", "HEIC"),
    (4, b"ftypheix", "HEIC"),
    (4, b"ftypmif1", "HEIF"),
    (4, b"ftypavif", "AVIF"),
    (4, b"ftypisom", "MP4 video"),
    (4, b"ftypmp42", "MP4 video"),
    (0, b"%PDF", "PDF"),
    (0, b"<svg", "SVG"),
    (0, b"<?xml", "SVG/XML"),
)


class ImageLoadError(Exception):
    """An image that cannot be analysed; ``code`` is a stable machine reason."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


@dataclass(frozen=True, slots=True)
class LoadedImage:
    """Decoded pixels plus what is needed to map coordinates back to the original file.

    ``width``/``height`` are the original image's size after EXIF orientation; ``pixels``
    is ``(round(height*scale), round(width*scale), 3)`` uint8 RGB with ``scale <= 1``.
    """

    pixels: np.ndarray
    width: int
    height: int
    scale: float

    def to_original(
        self, top: int, right: int, bottom: int, left: int
    ) -> tuple[int, int, int, int]:
        """Map a ``(top, right, bottom, left)`` box in ``pixels`` to original pixels, clamped."""
        s = self.scale
        return (
            max(0, math.floor(top / s)),
            min(self.width, math.ceil(right / s)),
            min(self.height, math.ceil(bottom / s)),
            max(0, math.floor(left / s)),
        )


def load_image(
    path: str | os.PathLike[str],
    *,
    max_side: int | None = None,
    max_pixels: int | None = None,
) -> LoadedImage:
    """Load ``path`` as 8-bit RGB, EXIF-oriented, its longer side at most ``max_side``.

    Raises :class:`ImageLoadError` for every problem with the file; never a Pillow error.
    ``max_pixels`` bounds width × height as declared in the header, checked before any
    pixel is decoded, so a small file claiming huge dimensions costs nothing. It defaults to
    Pillow's ``Image.MAX_IMAGE_PIXELS`` (~89.5 Mpx) read at call time; Pillow itself still
    refuses anything above twice its own limit.
    """
    path = Path(path)
    if max_pixels is None:
        max_pixels = Image.MAX_IMAGE_PIXELS or 2**62
    # Importing face_recognition sets Pillow's process-wide LOAD_TRUNCATED_IMAGES = True,
    # which makes a half-written JPEG decode as grey instead of failing. Re-assert the
    # default on every load, so a truncated file is reported whatever was imported before.
    ImageFile.LOAD_TRUNCATED_IMAGES = False
    _check_file(path)
    try:
        with _open(path, max_pixels) as probe:
            probe.verify()  # structural checks (e.g. PNG chunk CRCs) without decoding
        with _open(path, max_pixels) as im:
            width, height = _oriented_size(im)
            scale = _scale_for(width, height, max_side)
            if scale < 1.0:
                _request_draft(im, scale)
            im.load()
            im = _exif_transpose(im)
            im = _to_rgb8(im)
            target = (max(1, round(width * scale)), max(1, round(height * scale)))
            if im.size != target:
                im = im.resize(target, Image.Resampling.BILINEAR)
            return LoadedImage(np.asarray(im), width, height, scale)
    except ImageLoadError:
        raise
    except Image.DecompressionBombError as exc:
        raise ImageLoadError("decompression_bomb", str(exc)) from None
    except (OSError, SyntaxError, ValueError, EOFError, IndexError, TypeError) as exc:
        raise _classify_decode_error(exc) from None


def image_size(path: str | os.PathLike[str], *, max_pixels: int | None = None) -> tuple[int, int]:
    """``(width, height)`` after EXIF orientation, from the header only (no decoding).

    Raises :class:`ImageLoadError` like :func:`load_image` for missing, empty, unidentifiable
    or oversized files.
    """
    path = Path(path)
    _check_file(path)
    try:
        with _open(path, max_pixels or Image.MAX_IMAGE_PIXELS or 2**62) as im:
            return _oriented_size(im)
    except ImageLoadError:
        raise
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        raise _classify_decode_error(exc) from None


def _check_file(path: Path) -> None:
    """Missing and empty files get their own codes (they are corpus problems, not images)."""
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise ImageLoadError("media_missing", f"no such file: {path}") from None
    except OSError as exc:
        raise ImageLoadError("media_missing", f"cannot stat {path}: {exc.strerror}") from None
    if not path.is_file():
        raise ImageLoadError("media_missing", f"not a regular file: {path}")
    if size == 0:
        raise ImageLoadError("media_empty", f"zero-byte file: {path}")


def _open(path: Path, max_pixels: int) -> Image.Image:
    """Open lazily (header only) and refuse oversized images before decoding."""
    try:
        with warnings.catch_warnings():
            # Pillow only warns between 1× and 2× its limit; our explicit check below is
            # the authoritative (typed) guard, so the warning is redundant noise.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            im = Image.open(path)
    except Image.DecompressionBombError as exc:
        raise ImageLoadError("decompression_bomb", str(exc)) from None
    except UnidentifiedImageError:
        raise _unidentified(path) from None
    w, h = im.size
    if w * h > max_pixels:
        im.close()
        raise ImageLoadError(
            "decompression_bomb", f"{w}x{h} = {w * h} pixels exceeds the limit of {max_pixels}"
        )
    if w <= 0 or h <= 0:
        im.close()
        raise ImageLoadError("corrupt_image", f"invalid dimensions {w}x{h}")
    return im


def _unidentified(path: Path) -> ImageLoadError:
    """Tell a known-but-unsupported format apart from garbage bytes."""
    with path.open("rb") as fh:
        head = fh.read(16)
    for offset, magic, label in _UNSUPPORTED_SIGNATURES:
        if head[offset : offset + len(magic)].lower() == magic.lower():
            return ImageLoadError("unsupported_image", f"{label} files are not supported")
    return ImageLoadError("corrupt_image", "cannot identify image file")


def _oriented_size(im: Image.Image) -> tuple[int, int]:
    """Size after EXIF orientation (orientations 5–8 swap width and height)."""
    w, h = im.size
    try:
        orientation = im.getexif().get(0x0112, 1)
    except Exception:  # malformed EXIF must not make an image unreadable
        orientation = 1
    return (h, w) if orientation in (5, 6, 7, 8) else (w, h)


def _scale_for(width: int, height: int, max_side: int | None) -> float:
    """Downscale factor (≤ 1) so the longer side fits ``max_side``; never upscale."""
    longest = max(width, height)
    if not max_side or longest <= max_side:
        return 1.0
    return max_side / longest


def _request_draft(im: Image.Image, scale: float) -> None:
    """Let JPEG decode at 1/2, 1/4 or 1/8 size directly (big speedup for large photos).

    ``draft`` picks the smallest DCT scale whose result is still at least the requested
    size, so the final resize always shrinks and never upsamples.
    """
    if im.format != "JPEG":
        return
    w, h = im.size  # file orientation; scale is orientation-independent
    im.draft(None, (math.ceil(w * scale), math.ceil(h * scale)))


def _exif_transpose(im: Image.Image) -> Image.Image:
    """Apply EXIF orientation; a malformed EXIF block leaves the image as stored."""
    try:
        return ImageOps.exif_transpose(im)
    except Exception:  # broken EXIF is common in scraped corpora; pixels are still fine
        return im


def _to_rgb8(im: Image.Image) -> Image.Image:
    """Convert any supported mode to 8-bit RGB; alpha is composited on white."""
    mode = im.mode
    if mode == "RGB":
        return im
    if mode in ("I;16", "I;16L", "I;16B", "I;16N", "I", "F"):
        return Image.fromarray(_high_depth_to_u8(np.asarray(im)), "L").convert("RGB")
    if mode == "P" or mode == "PA":
        im = im.convert("RGBA")
        mode = "RGBA"
    if mode in ("RGBA", "LA", "RGBa", "La"):
        rgba = im.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(background, rgba).convert("RGB")
    try:
        return im.convert("RGB")  # L, 1, CMYK, YCbCr, LAB, HSV, RGBX
    except ValueError as exc:
        raise ImageLoadError("unsupported_image", f"image mode {mode} cannot be converted") from exc


def _high_depth_to_u8(arr: np.ndarray) -> np.ndarray:
    """Map 16-bit / 32-bit grey values to 0–255.

    Pillow reports 16-bit PNGs as ``I;16`` or ``I`` (32-bit int), so the bit depth is taken
    from the data: values above 255 are treated as 16-bit, else as already 8-bit.
    """
    arr = arr.astype(np.float64, copy=False)
    if arr.size and np.nanmax(arr) > 255:
        arr = np.clip(arr, 0, 65535) / 257.0
    elif arr.size and arr.dtype.kind == "f" and np.nanmax(arr) <= 1.0:
        arr = arr * 255.0  # float images in [0, 1]
    return np.clip(np.nan_to_num(arr), 0, 255).round().astype(np.uint8)


def _classify_decode_error(exc: BaseException) -> ImageLoadError:
    """Pillow signals truncation only through the message of an OSError."""
    text = str(exc) or type(exc).__name__
    if "truncated" in text.lower() or isinstance(exc, EOFError):
        return ImageLoadError("truncated_image", text)
    if "decoder" in text.lower() and "not available" in text.lower():
        return ImageLoadError("unsupported_image", text)
    return ImageLoadError("corrupt_image", text)
