"""Item images with their face boxes drawn and, by default, the faces blurred.

Boxes are ``[top, right, bottom, left]`` in original (EXIF-oriented) pixels, as the faces
detector stores them; the image is loaded downscaled through :mod:`audit.imageio` (same
orientation and safety checks as the detector) and the boxes are scaled to match.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from PIL import Image, ImageDraw, ImageFilter

from audit.imageio import load_image

BOX_COLOUR = (220, 38, 38)
DISPLAY_SIDE = 900


def _scaled(box: Sequence[int], scale: float, size: tuple[int, int]) -> tuple[int, int, int, int]:
    top, right, bottom, left = (int(round(v * scale)) for v in box[:4])
    w, h = size
    return max(0, left), max(0, top), min(w, right), min(h, bottom)


def faces_image(
    path: str, boxes: Iterable[Sequence[int]], *, blur: bool = True, max_side: int = DISPLAY_SIDE
) -> Image.Image:
    """The image at ``path`` with face boxes outlined; faces blurred unless ``blur`` is False.

    Raises :class:`audit.imageio.ImageLoadError` when the file cannot be shown.
    """
    loaded = load_image(path, max_side=max_side)
    im = Image.fromarray(loaded.pixels)
    rects = [_scaled(b, loaded.scale, im.size) for b in boxes if b is not None and len(b) >= 4]
    for left, top, right, bottom in rects:
        if blur and right > left and bottom > top:
            region = im.crop((left, top, right, bottom))
            # radius grows with the face so that large faces are as unrecognisable as small ones
            radius = max(6, (right - left) // 5)
            im.paste(region.filter(ImageFilter.GaussianBlur(radius)), (left, top))
    draw = ImageDraw.Draw(im)
    width = max(2, im.size[0] // 300)
    for rect in rects:
        draw.rectangle(rect, outline=BOX_COLOUR, width=width)
    return im
