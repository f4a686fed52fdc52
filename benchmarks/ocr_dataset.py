"""A deterministic set of images with and without rendered text, for benchmarks/ocr.py.

Text images: screenshot-like posts (light and dark mode), document-like pages with small
text, name tags and caption bands on photos, and text drawn straight onto photos (the hard
case). Text-free images: crops and rescales of scikit-image's coffee, chelsea, astronaut
(crops above the shoulders as in tools/synthetic_images.py) and rocket. Each text image
carries the strings rendered on it so the benchmark can tell what OCR should have read.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

FONT_DIRS = (Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/share/fonts/truetype/liberation"))
FONT_FILES = ("DejaVuSans.ttf", "DejaVuSerif.ttf", "LiberationSans-Regular.ttf")

NAMES = ("Jane Doe", "Carlos Mendes", "Aisha Khan", "Tom Becker", "Mei Lin", "Olga Petrova")
AREA_CODES = (212, 312, 415, 617, 206, 303, 512, 702)
DOMAINS = ("example.com", "mail.example.org", "example.net")
FILLER = (
    "Had the best time at the lake today",
    "Does anyone know a good dentist nearby",
    "New post is up, link in bio",
    "Happy birthday to my favourite person",
    "Quarterly report attached for review",
)


@dataclass
class Sample:
    """One generated image; ``strings`` are the PII strings rendered on it (empty: none)."""

    name: str
    kind: str
    image: Image.Image
    strings: list[str] = field(default_factory=list)

    @property
    def has_text(self) -> bool:
        return self.kind != "photo"


def font(size: int, rng: random.Random) -> ImageFont.FreeTypeFont:
    """A TrueType font from the Debian fonts-dejavu-core / fonts-liberation packages."""
    for name in rng.sample(FONT_FILES, len(FONT_FILES)):
        for folder in FONT_DIRS:
            if (folder / name).exists():
                return ImageFont.truetype(str(folder / name), size)
    return ImageFont.load_default(size=size)  # Pillow ≥ 10.1: scalable built-in font


def _photos() -> list[np.ndarray]:
    from skimage import data

    astronaut = data.astronaut()
    return [data.coffee(), data.chelsea(), astronaut[0:260, 100:360], data.rocket()]


def _pii(rng: random.Random) -> tuple[str, str, str]:
    name = rng.choice(NAMES)
    email = f"{name.split()[0].lower()}.{name.split()[1].lower()}@{rng.choice(DOMAINS)}"
    # Real area codes: phonenumbers (behind PHONE_NUMBER) rejects unassigned ones.
    phone = f"+1 {rng.choice(AREA_CODES)} 555 {rng.randint(1000, 9999)}"
    return name, email, phone


def screenshot(i: int, rng: random.Random, dark: bool) -> Sample:
    """A social post: header, filler lines, a contact line; light or dark mode."""
    bg, ink = ((21, 32, 43), (230, 236, 240)) if dark else ((255, 255, 255), (15, 20, 25))
    size = rng.randint(18, 30)
    w, h = rng.choice(((720, 520), (900, 600), (600, 800)))
    im = Image.new("RGB", (w, h), bg)
    draw = ImageDraw.Draw(im)
    name, email, phone = _pii(rng)
    lines = [f"{name} @{name.split()[0].lower()}", rng.choice(FILLER), f"Contact me: {email}"]
    lines += [f"or call {phone}", rng.choice(FILLER)]
    f = font(size, rng)
    y = 30
    for line in lines:
        draw.text((30, y), line, fill=ink, font=f)
        y += int(size * 1.8)
    return Sample(
        f"screenshot_{i:03d}", "screenshot_dark" if dark else "screenshot", im, [email, phone]
    )


def document(i: int, rng: random.Random) -> Sample:
    """A scanned-page look: off-white paper, many lines of small text."""
    im = Image.new("RGB", (1000, 1300), (246, 243, 236))
    draw = ImageDraw.Draw(im)
    f = font(rng.randint(15, 20), rng)
    name, email, phone = _pii(rng)
    y = 60
    for k in range(30):
        line = rng.choice(FILLER) + "."
        if k == 5:
            line = f"Applicant: {name}, e-mail {email}"
        if k == 6:
            line = f"Telephone: {phone}"
        draw.text((70, y), line, fill=(30, 30, 30), font=f)
        y += 36
    return Sample(f"document_{i:03d}", "document", im, [email, phone])


def name_tag(i: int, rng: random.Random, photo: np.ndarray) -> Sample:
    """A photo with a white or coloured badge reading 'HELLO my name is ...'."""
    im = Image.fromarray(photo).copy()
    draw = ImageDraw.Draw(im)
    w, h = im.size
    name, _, _ = _pii(rng)
    size = rng.randint(22, 34)
    f = font(size, rng)
    x0, y0 = rng.randint(10, max(11, w // 4)), rng.randint(10, max(11, h // 2))
    fill = rng.choice(((255, 255, 255), (255, 240, 120), (200, 230, 255)))
    draw.rectangle((x0, y0, x0 + size * 11, y0 + size * 3), fill=fill, outline=(0, 0, 0))
    draw.text((x0 + 10, y0 + 8), "HELLO my name is", fill=(0, 0, 0), font=f)
    draw.text((x0 + 10, y0 + 10 + size * 1.3), name, fill=(0, 0, 0), font=f)
    return Sample(f"name_tag_{i:03d}", "name_tag", im, [])


def caption_band(i: int, rng: random.Random, photo: np.ndarray) -> Sample:
    """A photo with a dark caption band carrying a handle and an email (meme/story style)."""
    im = Image.fromarray(photo).copy()
    draw = ImageDraw.Draw(im)
    w, h = im.size
    _, email, _ = _pii(rng)
    size = max(16, w // 26)
    draw.rectangle((0, h - int(size * 2.2), w, h), fill=(0, 0, 0))
    draw.text((12, h - int(size * 1.8)), email, fill=(255, 255, 255), font=font(size, rng))
    return Sample(f"caption_{i:03d}", "caption_band", im, [email])


def overlay(i: int, rng: random.Random, photo: np.ndarray) -> Sample:
    """Text drawn straight onto a photo, with no backing box (hard for Tesseract)."""
    im = Image.fromarray(photo).copy()
    draw = ImageDraw.Draw(im)
    _, email, _ = _pii(rng)
    size = rng.randint(24, 36)
    ink = rng.choice(((255, 255, 255), (0, 0, 0)))
    draw.text((20, 20), email, fill=ink, font=font(size, rng))
    return Sample(f"overlay_{i:03d}", "overlay", im, [email])


def photo_variant(i: int, rng: random.Random, photo: np.ndarray) -> Sample:
    """A text-free crop/rescale of a photo."""
    im = Image.fromarray(photo)
    w, h = im.size
    cw, ch = rng.randint(w // 2, w), rng.randint(h // 2, h)
    x0, y0 = rng.randint(0, w - cw), rng.randint(0, h - ch)
    im = im.crop((x0, y0, x0 + cw, y0 + ch))
    scale = rng.choice((0.75, 1.0, 1.5, 2.0))
    im = im.resize((max(1, int(cw * scale)), max(1, int(ch * scale))), Image.Resampling.BILINEAR)
    return Sample(f"photo_{i:03d}", "photo", im, [])


def generate(n_per_kind: int = 8, seed: int = 7) -> Iterator[Sample]:
    """``n_per_kind`` images of each text kind plus ``3 * n_per_kind`` text-free photos."""
    rng = random.Random(seed)
    photos = _photos()
    for i in range(n_per_kind):
        yield screenshot(i, rng, dark=i % 2 == 1)
        yield document(i, rng)
        yield name_tag(i, rng, photos[i % len(photos)])
        yield caption_band(i, rng, photos[(i + 1) % len(photos)])
        yield overlay(i, rng, photos[(i + 2) % len(photos)])
    for i in range(3 * n_per_kind):
        yield photo_variant(i, rng, photos[i % len(photos)])


def write(samples: list[Sample], folder: Path) -> list[Path]:
    """Save samples as quality-90 JPEGs (as a corpus would hold them); return the paths."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for s in samples:
        path = folder / f"{s.name}.jpg"
        s.image.save(path, quality=90)
        paths.append(path)
    return paths
