"""Measure the consent registry's match thresholds on real photos; prints the numbers.

PDQ (image requests, copies): the distance of every copy in tools/image_copies.py (re-encoded,
resized, cropped, grey, mirrored, combined) to the nearest variant hash of its original, and
the distance of every unrelated pair (photo A's variants vs photo B), on scikit-image's
sample photos and, when ../shared/realdata is there, the 12 face_recognition photos and the
146 face_age photos.

Faces (face requests, the dashboard look-up): the distance between the largest-face encodings
of photos of the same person (Obama ×5 and the two-people composite's Obama/Biden against
their portraits) and of different people (every other pair).

    uv run python benchmarks/registry_thresholds.py [--no-faces]
"""

from __future__ import annotations

import argparse
import itertools
import os
import time
from pathlib import Path

import numpy as np
from PIL import Image

from audit.detectors.image_hash import pdq
from tools.image_copies import COPIES, chain, reencode

REAL = Path(__file__).resolve().parents[2] / "shared" / "realdata"
SKIMAGE = ("astronaut", "chelsea", "coffee", "rocket", "hubble_deep_field",
           "immunohistochemistry", "retina", "camera", "moon", "coins", "horse", "cell", "text",
           "page", "brick", "grass", "gravel", "colorwheel", "clock")  # fmt: skip
#: The same person: file name prefixes on the face_recognition photos (the two-people
#: composite's largest face is Obama's).
PEOPLE = {"obama": ("fr__obama", "fr__tests_obama", "fr__two_people", "fr__tests_32bit")}
#: FG-NET photos of one person more than this many years apart (a child and the adult) are
#: reported on their own: a look-up photo shows the person as they look now.
YEARS_APART = 5


def _photos(with_age: bool) -> dict[str, Image.Image]:
    from skimage import data

    out: dict[str, Image.Image] = {}
    for name in SKIMAGE:
        arr = getattr(data, name)()
        if arr.ndim == 2:
            arr = np.stack([arr] * 3, -1)
        out[f"sk:{name}"] = Image.fromarray(arr[..., :3].astype(np.uint8))
    faces = REAL / "faces" / "images"
    if faces.is_dir():
        for path in sorted(faces.iterdir()):
            out[f"fr:{path.name}"] = Image.open(path).convert("RGB")
    ages = REAL / "faces_age" / "images"
    if with_age and ages.is_dir():
        for path in sorted(ages.iterdir()):
            out[f"age:{path.name}"] = Image.open(path).convert("RGB")
    return out


def _hash(image: Image.Image) -> np.ndarray:
    """The corpus-side hash of an image, through the detector's own path (a temp file)."""
    import tempfile

    with tempfile.NamedTemporaryFile(suffix=".png") as fh:
        image.save(fh.name)
        h = pdq.hash_pixels(pdq.load_for_hash(fh.name))
    return _bits(h)


def _bits(h: pdq.PdqHash) -> np.ndarray:
    return np.unpackbits(np.frombuffer(bytes.fromhex(h.hex), dtype=np.uint8)).astype(bool)


def _variants(image: Image.Image) -> np.ndarray:
    import tempfile

    with tempfile.NamedTemporaryFile(suffix=".png") as fh:
        image.save(fh.name)
        hashes = pdq.variant_hashes(pdq.load_for_hash(fh.name))
    return np.array([_bits(h) for h in hashes.values()])


def measure_pdq(photos: dict[str, Image.Image]) -> None:
    """Copies vs unrelated pairs, printed as distance distributions."""
    t0 = time.perf_counter()
    big = [k for k in photos if not k.startswith("age:")]
    textures = {"sk:page", "sk:brick", "sk:grass", "sk:gravel", "sk:colorwheel", "sk:text"}
    variants = {k: _variants(photos[k]) for k in photos}
    plain = {k: variants[k][0] for k in photos}
    quality = {k: pdq.hash_pixels(np.asarray(photos[k])).quality for k in photos}
    print(f"PDQ: {len(photos)} images ({len(big)} get copies), "
          f"{len(variants[big[0]])} variant hashes per reference, threshold {pdq.MATCH_DISTANCE}")  # fmt: skip
    low = sorted(k for k, q in quality.items() if q < pdq.MIN_QUALITY)
    print(f"  below quality {pdq.MIN_QUALITY} (not matched): {', '.join(low) or 'none'}")
    copies = dict(COPIES)
    copies["crop_7_center_offgrid"] = chain(
        lambda im: im.crop((round(im.width * 0.035), round(im.height * 0.035),
                            im.width - round(im.width * 0.035), im.height - round(im.height * 0.035))),
        reencode(85),
    )  # fmt: skip
    print(f"  {'copy':26s} {'photos: max':>12s} {'median':>7s} {'≤T':>6s}   "
          f"{'textures: max':>13s}   {'plain hash, photos: max':>23s}")  # fmt: skip
    for name, transform in copies.items():
        d_var, d_plain, d_tex = [], [], []
        for key in big:
            if quality[key] < pdq.MIN_QUALITY:
                continue
            h = _hash(transform(photos[key]))
            d = int((variants[key] != h).sum(1).min())
            (d_tex if key in textures else d_var).append(d)
            if key not in textures:
                d_plain.append(int((plain[key] != h).sum()))
        hit = sum(d <= pdq.MATCH_DISTANCE for d in d_var)
        print(f"  {name:26s} {max(d_var):12d} {int(np.median(d_var)):7d} "
              f"{hit:3d}/{len(d_var):<3d}  {max(d_tex):13d}   {max(d_plain):23d}")  # fmt: skip
    same = {("sk:cat", "sk:chelsea"), ("sk:chelsea", "sk:cat")}  # the same photo twice
    neg = sorted(
        (int((variants[a] != plain[b]).sum(1).min()), a, b)
        for a, b in itertools.permutations(photos, 2)
        if (a, b) not in same and quality[a] >= pdq.MIN_QUALITY and quality[b] >= pdq.MIN_QUALITY
    )
    dist = np.array([d for d, _, _ in neg])
    print(f"  unrelated (reference variants vs another photo): {len(neg):,} pairs, "
          f"min {dist.min()}, 0.1% {np.percentile(dist, 0.1):.0f}, 1% {np.percentile(dist, 1):.0f}, "
          f"median {np.median(dist):.0f}; at or under {pdq.MATCH_DISTANCE}: "
          f"{int((dist <= pdq.MATCH_DISTANCE).sum())}")  # fmt: skip
    print(f"  closest unrelated: {neg[:3]}")
    print(f"  ({time.perf_counter() - t0:.1f} s)")


def measure_faces(photos: dict[str, Image.Image]) -> None:
    """Same person vs different people, largest face of each photo."""
    import tempfile

    from audit.detectors.faces.reference import MATCH_DISTANCE, reference_faces

    t0 = time.perf_counter()
    enc: dict[str, np.ndarray] = {}
    for key, image in photos.items():
        if key.startswith("sk:") and key != "sk:astronaut":
            continue
        with tempfile.NamedTemporaryFile(suffix=".png") as fh:
            image.save(fh.name)
            faces = reference_faces(fh.name)
        if faces:
            enc[key] = np.array(faces[0].embedding)
    # the two-people composite: its two faces are Obama (left) and Biden (right)
    who: dict[str, str] = {}
    for key in enc:
        base = key.split(":", 1)[1]
        if any(base.startswith(p) for p in PEOPLE["obama"]):
            who[key] = "obama"
        elif base.startswith("fr__biden"):
            who[key] = "biden"
        elif base.startswith("fgnet__"):
            who[key] = "fgnet:" + base.split("__")[1][:3]  # FG-NET: one person at several ages
        else:
            who[key] = key  # a person of their own (UTKFace, FairFace, AAF: one photo each)

    def age(key: str) -> int | None:
        base = key.split("__")[-1]
        return int(base[4:6]) if key.startswith("age:fgnet__") else None

    same, apart, diff = [], [], []
    for a, b in itertools.combinations(sorted(enc), 2):
        d = float(np.linalg.norm(enc[a] - enc[b]))
        if who[a] != who[b]:
            diff.append((d, a, b))
        elif age(a) is not None and abs((age(a) or 0) - (age(b) or 0)) > YEARS_APART:
            apart.append((d, a, b))
        else:
            same.append((d, a, b))
    same.sort()
    diff.sort()
    apart.sort()
    print(f"Faces: {len(enc)} photos with a face; {len(same)} same-person pairs, "
          f"{len(diff)} different-person pairs; threshold {MATCH_DISTANCE}")  # fmt: skip
    print(f"  same person: {', '.join(f'{d:.3f}' for d, _, _ in same)}")
    print(f"  same person, largest: {[(round(d, 3), a, b) for d, a, b in same[-4:]]}")
    print(
        f"  same person more than {YEARS_APART} years apart (FG-NET, not used): "
        f"{len(apart)} pairs, {sum(d <= MATCH_DISTANCE for d, _, _ in apart)} at or under "
        f"{MATCH_DISTANCE}, median {np.median([d for d, _, _ in apart]) if apart else 0:.3f}"
    )
    dd = np.array([d for d, _, _ in diff])
    print(f"  different people: min {dd.min():.3f}, 0.1% {np.percentile(dd, 0.1):.3f}, "
          f"1% {np.percentile(dd, 1):.3f}, median {np.median(dd):.3f}")  # fmt: skip
    for t in (0.4, 0.45, 0.5, 0.55, 0.6):
        fp = int((dd <= t).sum())
        tp = sum(d <= t for d, _, _ in same)
        print(f"  at {t:.2f}: same person {tp}/{len(same)}, different people {fp}/{len(dd)} "
              f"({fp / len(dd):.2%})")  # fmt: skip
    print(f"  closest different people: {[(round(d, 3), a, b) for d, a, b in diff[:5]]}")
    print(f"  ({time.perf_counter() - t0:.1f} s)")


def main() -> None:
    """Print both measurements (and the load average: this machine is shared)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--no-faces", action="store_true")
    parser.add_argument("--no-pdq", action="store_true")
    parser.add_argument("--no-age-photos", action="store_true", help="skip the 146 face_age photos")
    args = parser.parse_args()
    print(f"load average {os.getloadavg()[0]:.1f}; real photos: {REAL.is_dir()}")
    photos = _photos(not args.no_age_photos)
    if not args.no_pdq:
        measure_pdq(photos)
    if not args.no_faces:
        measure_faces(photos)
    print(f"load average {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
