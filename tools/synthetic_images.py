"""Deterministic test photographs with known face counts, encodings and embedded metadata.

Faces come from scikit-image's ``astronaut`` (NASA photo of Eileen Collins, public domain);
face-free scenes from ``coffee``, ``chelsea`` (CC0), ``rocket`` (SpaceX, public domain) and
``motorcycle_left`` (Middlebury stereo). Composites paste head crops onto scenes so images
have 0, 1, 2 and 3+ faces. The full astronaut frame is never used: HOG finds a false face in
its lower-left corner, so only crops above the shoulders are pasted.

``image_plan()`` is the fixed list of images; ``write_image`` renders one with pinned
encoder settings (byte-identical on the same Pillow/libjpeg); ``detect_face_count`` runs
face_recognition on the pixels as a detector should see them, to verify the plan.
"""

from __future__ import annotations

import functools
import io
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

from tools.embedded_writer import (
    DMI_ALLOWED,
    DMI_PROHIBITED,
    DMI_PROHIBITED_AIML,
    Gps,
    Rights,
    build_exif,
    c2pa_manifest_store,
    splice_segments,
    xmp_packet,
)

MAX_SIDE = 640
JPEG_OPTIONS: dict[str, object] = {
    "quality": 85,
    "subsampling": 2,
    "optimize": False,
    "progressive": False,
}
PNG_OPTIONS: dict[str, object] = {"compress_level": 9, "optimize": False}
#: Broken-file kinds: rendered from bytes, not pixels.
BROKEN = ("corrupt", "truncated", "empty")


@functools.cache
def _scene(name: str) -> Image.Image:
    from skimage import data  # heavy import, only when rendering

    array = data.stereo_motorcycle()[0] if name == "motorcycle" else getattr(data, name)()
    return Image.fromarray(array).convert("RGB")


def head(scale: float = 1.0, *, flip: bool = False) -> Image.Image:
    """The astronaut's head and shoulders (face ≈ 90 px wide at scale 1)."""
    img = _scene("astronaut").crop((130, 20, 310, 230))
    img = img.resize((round(180 * scale), round(210 * scale)), Image.Resampling.LANCZOS)
    return ImageOps.mirror(img) if flip else img


def portrait(scale: float = 1.5, *, wide: bool = False) -> Image.Image:
    """A larger upper-body crop of the astronaut (one face)."""
    box = (60, 0, 460, 320) if wide else (100, 0, 400, 300)
    img = _scene("astronaut").crop(box)
    return img.resize(
        (round(img.width * scale), round(img.height * scale)), Image.Resampling.LANCZOS
    )


def scene(
    name: str, size: tuple[int, int] | None = None, *, crop: tuple[float, ...] | None = None
) -> Image.Image:
    """A face-free scene, optionally cropped (fractions l, t, r, b) and resized."""
    img = _scene(name)
    if crop is not None:
        w, h = img.size
        img = img.crop(
            (round(crop[0] * w), round(crop[1] * h), round(crop[2] * w), round(crop[3] * h))
        )
    return img.resize(size, Image.Resampling.LANCZOS) if size else img.copy()


def fit(img: Image.Image, max_side: int = MAX_SIDE) -> Image.Image:
    """Shrink so the long side is at most ``max_side`` (never enlarge)."""
    factor = max_side / max(img.size)
    if factor >= 1:
        return img
    return img.resize(
        (round(img.width * factor), round(img.height * factor)), Image.Resampling.LANCZOS
    )


def collage(
    background: str, heads: list[Image.Image], size: tuple[int, int] = (640, 480)
) -> Image.Image:
    """Heads pasted in a row-major grid over a background scene, no overlap."""
    canvas = scene(background, size)
    per_row = 3 if len(heads) > 4 else 2 if len(heads) == 4 else len(heads)
    rows = [heads[i : i + per_row] for i in range(0, len(heads), per_row)]
    y = (size[1] - sum(max(h.height for h in row) for row in rows)) // 2
    for row in rows:
        x = (size[0] - sum(h.width for h in row)) // (len(row) + 1)
        gap = x
        for h in row:
            canvas.paste(h, (x, y))
            x += h.width + gap
        y += max(h.height for h in row)
    return canvas


def tiles(names: list[str], size: tuple[int, int] = (640, 480)) -> Image.Image:
    """A 2x2 grid of scenes (no faces)."""
    canvas = Image.new("RGB", size)
    tw, th = size[0] // 2, size[1] // 2
    for i, name in enumerate(names[:4]):
        canvas.paste(scene(name, (tw, th)), ((i % 2) * tw, (i // 2) * th))
    return canvas


def side_by_side(left: Image.Image, right: Image.Image, height: int = 320) -> Image.Image:
    """Two images scaled to the same height, next to each other."""
    parts = [
        im.resize((round(im.width * height / im.height), height), Image.Resampling.LANCZOS)
        for im in (left, right)
    ]
    canvas = Image.new("RGB", (sum(p.width for p in parts), height))
    canvas.paste(parts[0], (0, 0))
    canvas.paste(parts[1], (parts[0].width, 0))
    return fit(canvas)


@dataclass(frozen=True)
class ImageSpec:
    """One planned image: how to draw it, how to encode it, and its true properties."""

    filename: str
    faces: int | None  # None: not decodable, so no true count applies
    draw: Callable[[], Image.Image] | None = None
    encoding: str = (
        "jpeg"  # jpeg | orient6 | gray | cmyk | rgba_png | png16 | corrupt | truncated | empty
    )
    gps: Gps | None = None
    rights: Rights = field(default_factory=Rights)
    camera: tuple[str, str, str, str] | None = None
    c2pa: str | None = None  # training-mining "use" value of an embedded (unsigned) C2PA manifest
    notes: str = ""

    @property
    def mode(self) -> str:
        """The Pillow mode as stored on disk (or the broken-file kind)."""
        return {
            "gray": "L",
            "cmyk": "CMYK",
            "rgba_png": "RGBA",
            "png16": "I;16",
        }.get(self.encoding, self.encoding if self.encoding in BROKEN else "RGB")


def _alpha_head() -> Image.Image:
    """A head on a fully transparent canvas (alpha 0, black underneath)."""
    canvas = Image.new("RGBA", (360, 300), (0, 0, 0, 0))
    canvas.paste(head(1.2).convert("RGBA"), (60, 24))
    return canvas


_LISBON, _CENTRAL_PARK, _NAIROBI, _SYDNEY = (
    Gps(38.707751, -9.136592, 12.0),
    Gps(40.782865, -73.965355, 42.5),
    Gps(-1.292066, 36.821945, 1795.0),
    Gps(-33.856784, 151.215297, 5.0),
)


def image_plan() -> list[ImageSpec]:
    """The fixed list of sample images (≈50), each with its true face count and metadata."""
    s = ImageSpec
    no_face = [
        s("img_001.jpg", 0, lambda: fit(scene("coffee"))),
        s("img_002.jpg", 0, lambda: fit(scene("chelsea"))),
        s("img_003.jpg", 0, lambda: fit(scene("rocket"))),
        s("img_004.jpg", 0, lambda: fit(scene("motorcycle"))),
        s("img_005.jpg", 0, lambda: scene("coffee", (480, 480), crop=(0.2, 0.0, 0.8, 0.9))),
        s("img_006.jpg", 0, lambda: fit(ImageOps.mirror(scene("chelsea")), 480)),
        s("img_007.jpg", 0, lambda: scene("rocket", (360, 640), crop=(0.3, 0.0, 0.7, 1.0))),
        s("img_008.jpg", 0, lambda: scene("motorcycle", (600, 400), crop=(0.1, 0.2, 0.9, 0.9))),
        s("img_009.jpg", 0, lambda: tiles(["coffee", "chelsea", "rocket", "motorcycle"])),
        s("img_010.jpg", 0, lambda: fit(scene("chelsea"), 320)),
        s("img_011.jpg", 0, lambda: ImageOps.flip(fit(scene("coffee"), 560))),
        s("img_012.jpg", 0, lambda: side_by_side(scene("rocket"), scene("motorcycle"))),
        s("img_013.jpg", 0, lambda: tiles(["chelsea", "chelsea", "coffee", "chelsea"], (600, 400))),
        s("img_014.jpg", 0, lambda: scene("chelsea", (400, 400), crop=(0.35, 0.0, 0.85, 0.9))),
        s("img_015.jpg", 0, lambda: tiles(["motorcycle", "rocket", "rocket", "coffee"])),
        s("img_016.jpg", 0, lambda: fit(ImageOps.mirror(scene("motorcycle")), 512)),
    ]
    one_face = [
        s("img_017.jpg", 1, lambda: portrait(1.5)),
        s("img_018.jpg", 1, lambda: portrait(1.5, wide=True)),
        s("img_019.jpg", 1, lambda: ImageOps.mirror(portrait(1.2))),
        s("img_020.jpg", 1, lambda: collage("coffee", [head(1.2)], (640, 427))),
        s("img_021.jpg", 1, lambda: collage("rocket", [head(1.0)], (640, 427))),
        s("img_022.jpg", 1, lambda: collage("motorcycle", [head(1.3, flip=True)], (640, 432))),
        s("img_023.jpg", 1, lambda: side_by_side(head(1.0), scene("chelsea"))),
        s("img_024.jpg", 1, lambda: portrait(1.0), notes="small image, face ~90 px"),
        s(
            "img_025.jpg",
            1,
            lambda: collage("chelsea", [head(0.65)], (480, 320)),
            notes="small face ~60 px",
        ),
    ]
    two_faces = [
        s(
            "img_026.jpg",
            2,
            lambda: collage("coffee", [head(1.0), head(1.0, flip=True)], (640, 427)),
        ),
        s("img_027.jpg", 2, lambda: collage("rocket", [head(1.2), head(1.0)], (640, 427))),
        s(
            "img_028.jpg",
            2,
            lambda: collage("motorcycle", [head(1.1, flip=True), head(1.1)], (640, 480)),
        ),
        s("img_029.jpg", 2, lambda: side_by_side(portrait(1.0), portrait(1.0))),
        s("img_030.jpg", 2, lambda: collage("chelsea", [head(0.9), head(1.3)], (600, 400))),
    ]
    many_faces = [
        s(
            "img_031.jpg",
            3,
            lambda: collage("coffee", [head(1.0), head(1.0, flip=True), head(1.0)], (640, 427)),
        ),
        s(
            "img_032.jpg",
            3,
            lambda: collage("rocket", [head(0.95, flip=True), head(1.05), head(0.95)], (640, 480)),
        ),
        s(
            "img_033.jpg",
            4,
            lambda: collage("motorcycle", [head(1.0), head(1.0, flip=True)] * 2, (640, 480)),
        ),
        s(
            "img_034.jpg",
            5,
            lambda: collage(
                "chelsea", [head(0.95), head(0.95, flip=True)] * 2 + [head(0.95)], (640, 480)
            ),
        ),
        s(
            "img_035.jpg",
            3,
            lambda: collage(
                "coffee", [head(0.9, flip=True), head(0.9), head(0.9, flip=True)], (600, 400)
            ),
        ),
    ]
    metadata = [
        s("img_036.jpg", 1, lambda: portrait(1.4), gps=_LISBON, notes="EXIF GPS"),
        s("img_037.jpg", 0, lambda: fit(scene("coffee"), 600), gps=_CENTRAL_PARK, notes="EXIF GPS"),
        s(
            "img_038.jpg",
            2,
            lambda: collage("rocket", [head(1.0), head(1.1, flip=True)], (640, 427)),
            gps=_NAIROBI,
            notes="EXIF GPS",
        ),
        s(
            "img_039.jpg",
            0,
            lambda: fit(scene("motorcycle"), 600),
            gps=_SYDNEY,
            notes="EXIF GPS (southern/eastern hemisphere)",
        ),
        s(
            "img_040.jpg",
            1,
            lambda: portrait(1.3, wide=True),
            rights=Rights(
                DMI_PROHIBITED_AIML,
                "No AI/ML training without a licence.",
                "https://example.org/licensing",
                "© 2024 Example Photo Studio",
            ),
            notes="XMP plus:DataMining prohibited-AIML + xmpRights + dc:rights",
        ),
        s(
            "img_041.jpg",
            0,
            lambda: fit(scene("rocket"), 600),
            rights=Rights(DMI_PROHIBITED, "All rights reserved.", "", "© 2023 Example Agency"),
            notes="XMP plus:DataMining prohibited",
        ),
        s(
            "img_042.jpg",
            0,
            lambda: fit(scene("chelsea"), 451),
            rights=Rights(
                DMI_ALLOWED, "CC0 1.0", "https://creativecommons.org/publicdomain/zero/1.0/", ""
            ),
            notes="XMP plus:DataMining allowed",
        ),
        s(
            "img_043.jpg",
            1,
            lambda: collage("coffee", [head(1.2, flip=True)], (640, 427)),
            rights=Rights(
                "", "Editorial use only. Not for machine learning.", "", "© 2022 Example News"
            ),
            c2pa="notAllowed",
            notes="XMP usage terms, no DataMining; unsigned C2PA manifest: training notAllowed",
        ),
        s(
            "img_044.jpg",
            0,
            lambda: scene("motorcycle", (560, 400), crop=(0.0, 0.1, 0.8, 0.95)),
            camera=("ExampleCam", "EC-1 Mark II", "Jane Example", "EC1-0042-7781-2290"),
            notes="EXIF Make/Model, CameraOwnerName, BodySerialNumber",
        ),
    ]
    encodings = [
        s(
            "img_045.jpg",
            1,
            lambda: portrait(1.4),
            encoding="orient6",
            notes="EXIF Orientation=6: stored rotated, face found only after exif_transpose",
        ),
        s(
            "img_046.jpg",
            1,
            lambda: portrait(1.3),
            encoding="gray",
            notes="grayscale JPEG (mode L)",
        ),
        s(
            "img_047.jpg",
            1,
            lambda: collage("chelsea", [head(1.2)], (600, 400)),
            encoding="cmyk",
            notes="CMYK JPEG",
        ),
        s(
            "img_048.png",
            1,
            _alpha_head,
            encoding="rgba_png",
            notes="PNG with alpha; transparent pixels are black",
        ),
        s(
            "img_049.png",
            1,
            lambda: portrait(1.0),
            encoding="png16",
            notes="16-bit grayscale PNG (I;16), scale >>8 to 8-bit",
        ),
        s(
            "img_050.png",
            0,
            lambda: fit(scene("coffee"), 480),
            encoding="rgba_png",
            notes="PNG with alpha, no face",
        ),
    ]
    broken = [
        s(
            "corrupt.jpg",
            None,
            encoding="corrupt",
            notes="random bytes behind a JPEG SOI marker; expect a decode error",
        ),
        s(
            "truncated.jpg",
            None,
            lambda: portrait(1.2),
            encoding="truncated",
            notes="valid one-face JPEG cut in half; expect a decode error",
        ),
        s("empty.jpg", None, encoding="empty", notes="zero bytes; expect a decode error"),
    ]
    return no_face + one_face + two_faces + many_faces + metadata + encodings + broken


def encode(spec: ImageSpec) -> bytes:
    """The file bytes for ``spec`` with pinned encoder settings."""
    if spec.encoding == "empty":
        return b""
    if spec.encoding == "corrupt":
        rng = random.Random(spec.filename)  # fixed garbage, reproducible
        return b"\xff\xd8\xff\xe0" + bytes(rng.getrandbits(8) for _ in range(20_000))
    assert spec.draw is not None, spec.filename
    img = spec.draw()
    out = io.BytesIO()
    if spec.encoding in ("rgba_png", "png16"):
        if spec.encoding == "png16":
            gray = np.asarray(img.convert("L"), dtype=np.uint16) * 257  # full 16-bit range
            img = Image.fromarray(gray)
        else:
            img = img.convert("RGBA")
        img.save(out, "PNG", **PNG_OPTIONS)
        return out.getvalue()
    options: dict[str, object] = dict(JPEG_OPTIONS)
    if spec.encoding == "gray":
        img = img.convert("L")
    elif spec.encoding == "cmyk":
        img = img.convert("CMYK")
    elif spec.encoding == "orient6":
        # Orientation 6 means "rotate 90° clockwise to display", so store it 90° anticlockwise.
        img = img.transpose(Image.Transpose.ROTATE_90)
    if spec.gps or spec.camera or spec.encoding == "orient6":
        options["exif"] = build_exif(
            gps=spec.gps, camera=spec.camera, orientation=6 if spec.encoding == "orient6" else None
        ).tobytes()
    if any(vars(spec.rights).values()):
        options["xmp"] = xmp_packet(spec.rights)
    img.save(out, "JPEG", **options)
    data = out.getvalue()
    if spec.c2pa:
        data = splice_segments(data, c2pa=c2pa_manifest_store(spec.c2pa))
    return data[: len(data) // 2] if spec.encoding == "truncated" else data


def write_image(spec: ImageSpec, folder: Path) -> Path:
    """Write ``spec`` into ``folder`` and return the path."""
    path = folder / spec.filename
    path.write_bytes(encode(spec))
    return path


def pixels_for_detection(path: Path) -> np.ndarray:
    """RGB uint8 pixels as a face detector should see them (EXIF orientation applied).

    16-bit images are scaled down by 8 bits (a plain ``convert("RGB")`` would clip them
    to white); alpha is dropped. Raises on unreadable or truncated files.
    """
    with Image.open(path) as img:
        img.load()
        img = ImageOps.exif_transpose(img)
        if img.mode in ("I;16", "I;16B", "I"):
            img = Image.fromarray((np.asarray(img, dtype=np.uint32) >> 8).astype(np.uint8))
        return np.asarray(img.convert("RGB"))


def detect_face_count(pixels: np.ndarray) -> int:
    """Faces found by face_recognition's HOG detector with one upsample."""
    import face_recognition  # heavy (dlib); only the verifier needs it

    return len(
        face_recognition.face_locations(np.ascontiguousarray(pixels), number_of_times_to_upsample=1)
    )
