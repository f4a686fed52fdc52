"""Copies of a photo as people re-post them: re-encoded, resized, cropped, grey, mirrored.

Used by the registry tests and the threshold measurements (benchmarks/registry_thresholds.py)
to check that a perceptual hash or a face encoding still matches a copy. Deterministic: every
transformation is a fixed Pillow operation, no randomness.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Final

from PIL import Image, ImageOps

Transform = Callable[[Image.Image], Image.Image]


def _jpeg(image: Image.Image, quality: int) -> Image.Image:
    buf = io.BytesIO()
    image.convert("RGB").save(buf, "JPEG", quality=quality)
    buf.seek(0)
    return Image.open(buf).convert("RGB")


def reencode(quality: int) -> Transform:
    """Saved again as JPEG at ``quality`` (what every platform does on upload)."""
    return lambda im: _jpeg(im, quality)


def resize(factor: float) -> Transform:
    """Scaled by ``factor`` on both sides (thumbnails, "small" variants), then JPEG q85."""

    def run(im: Image.Image) -> Image.Image:
        size = (max(8, round(im.width * factor)), max(8, round(im.height * factor)))
        return _jpeg(im.resize(size, Image.Resampling.LANCZOS), 85)

    return run


def crop(fraction: float, anchor: str = "center") -> Transform:
    """``fraction`` of each side cut away: ``center`` trims all four borders; ``left``,
    ``top``... keep that edge and cut from the opposite one (a re-framed copy)."""

    def run(im: Image.Image) -> Image.Image:
        dx, dy = round(im.width * fraction), round(im.height * fraction)
        boxes = {
            "center": (dx // 2, dy // 2, im.width - (dx - dx // 2), im.height - (dy - dy // 2)),
            "left": (0, 0, im.width - dx, im.height),
            "right": (dx, 0, im.width, im.height),
            "top": (0, 0, im.width, im.height - dy),
            "bottom": (0, dy, im.width, im.height),
        }
        return _jpeg(im.crop(boxes[anchor]), 85)

    return run


def grey(im: Image.Image) -> Image.Image:
    """Converted to greyscale (and saved as JPEG q85)."""
    return _jpeg(ImageOps.grayscale(im).convert("RGB"), 85)


def mirror(im: Image.Image) -> Image.Image:
    """Flipped left-right (and saved as JPEG q85)."""
    return _jpeg(ImageOps.mirror(im), 85)


def chain(*steps: Transform) -> Transform:
    """The steps applied in order."""

    def run(im: Image.Image) -> Image.Image:
        for step in steps:
            im = step(im)
        return im

    return run


#: The copies every test and measurement uses, by name.
COPIES: Final[dict[str, Transform]] = {
    "jpeg_q75": reencode(75),
    "jpeg_q40": reencode(40),
    "jpeg_q20": reencode(20),
    "resize_50": resize(0.5),
    "resize_25": resize(0.25),
    "crop_5_center": crop(0.05),
    "crop_10_center": crop(0.10),
    "crop_10_left": crop(0.10, "left"),
    "crop_10_top": crop(0.10, "top"),
    "crop_20_center": crop(0.20),
    "grey": grey,
    "grey_resize_50_q40": chain(grey, resize(0.5), reencode(40)),
    "crop_10_resize_50_q40": chain(crop(0.10), resize(0.5), reencode(40)),
    "mirror": mirror,
}


def copy_of(image: Image.Image, name: str) -> Image.Image:
    """The named copy of ``image`` (RGB)."""
    return COPIES[name](image.convert("RGB"))
