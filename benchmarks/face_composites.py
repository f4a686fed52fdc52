"""Deterministic synthetic face images for the faces benchmark (no files in the repo).

Each composite pastes head-and-shoulder crops of known faces (skimage's astronaut, plus the
real photos in ../shared/realdata/faces when present) onto a face-free skimage background at
a chosen canvas size and face size, so the true face count is known by construction.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

#: Faces found by dlib HOG in skimage's astronaut (top, right, bottom, left), upsample 0.
ASTRONAUT_FACE = (83, 266, 170, 179)
BACKGROUNDS = ("coffee", "rocket", "chelsea", "hubble_deep_field", "immunohistochemistry")


@dataclass(frozen=True)
class FaceSource:
    """A photo and the box of its one face, to crop heads from."""

    image: Image.Image
    box: tuple[int, int, int, int]  # top, right, bottom, left

    def head(self, face_px: int) -> Image.Image:
        """The face with one face-width of context around it, scaled so the face is ``face_px``."""
        top, right, bottom, left = self.box
        size = max(right - left, bottom - top)
        cx, cy = (left + right) / 2, (top + bottom) / 2
        half = size * 1.5  # include hair, ears and shoulders: HOG needs the face outline
        crop = self.image.crop((int(cx - half), int(cy - half), int(cx + half), int(cy + half)))
        out = round(face_px * 3)
        return crop.resize((out, out), Image.Resampling.LANCZOS)


def face_sources(realdata: Path | None) -> list[FaceSource]:
    """The astronaut plus every one-face real photo (its face located by dlib HOG, upsample 1)."""
    from skimage import data

    sources = [FaceSource(Image.fromarray(data.astronaut()), ASTRONAUT_FACE)]
    if realdata is None or not (realdata / "face_counts.csv").exists():
        return sources
    import csv

    import dlib

    detector = dlib.get_frontal_face_detector()
    with (realdata / "face_counts.csv").open(newline="") as fh:
        for row in csv.DictReader(fh):
            if row["faces_max"] != "1":
                continue
            image = Image.open(realdata / "images" / row["filename"]).convert("RGB")
            found = detector(np.asarray(image), 1)
            if len(found) == 1:
                r = found[0]
                sources.append(FaceSource(image, (r.top(), r.right(), r.bottom(), r.left())))
    return sources


def background(name: str, size: tuple[int, int]) -> Image.Image:
    """A face-free skimage image stretched to ``size`` (width, height)."""
    from skimage import data

    arr = getattr(data, name)()
    if arr.ndim == 2:
        arr = np.stack([arr] * 3, axis=-1)
    return Image.fromarray(arr[..., :3]).resize(size, Image.Resampling.BILINEAR)


def make_composites(
    out_dir: Path, sources: list[FaceSource], n: int, *, seed: int = 7
) -> list[tuple[Path, int]]:
    """Write ``n`` JPEG composites to ``out_dir``; return (path, true face count) pairs.

    Canvas long sides span common social-media sizes (800–3000 px); faces are 7–25 % of the
    long side and never below 48 px, placed in non-overlapping grid cells.
    """
    rng = random.Random(seed)
    out_dir.mkdir(parents=True, exist_ok=True)
    written: list[tuple[Path, int]] = []
    for i in range(n):
        long_side = rng.choice((800, 1080, 1600, 2048, 3000))
        short_side = round(long_side * rng.choice((0.75, 0.5625)))
        size = (long_side, short_side) if rng.random() < 0.6 else (short_side, long_side)
        canvas = background(rng.choice(BACKGROUNDS), size)
        wanted = rng.choice((0, 1, 1, 2, 2, 3, 4))
        cols = max(1, wanted)
        cell_w, cell_h = size[0] // cols, size[1]
        count = 0
        for k in range(wanted):
            face_px = max(48, round(long_side * rng.uniform(0.07, 0.25)))
            face_px = min(face_px, cell_w // 3, cell_h // 3)  # a head is 3 faces wide
            if face_px < 48:  # no room for a face of a realistic size: leave the cell empty
                continue
            count += 1
            head = rng.choice(sources).head(face_px)
            x = k * cell_w + rng.randint(0, max(0, cell_w - head.width))
            y = rng.randint(0, max(0, cell_h - head.height))
            canvas.paste(head, (x, y))
        path = out_dir / f"composite_{i:03d}_{count}faces.jpg"
        canvas.save(path, quality=90)
        written.append((path, count))
    return written
