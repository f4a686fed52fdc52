"""Benchmark: naive face_recognition loop vs the faces detector, same images, same truth.

Image set: ../shared/realdata/faces (12 real photos, when present), sample_data/images
(when built) and deterministic composites (benchmarks/face_composites.py) so that there are
at least 40 labelled images. Prints images/s and face-count accuracy of:

- naive: ``face_recognition.load_image_file`` + ``face_locations(img)`` (HOG, upsample 1,
  full size), one process — what a first implementation would do; and the same loop plus
  ``face_encodings(img, locations)``, the naive way to get what ``encodings=True`` stores;
- ours in one process (the algorithmic gain), with and without encodings;
- ours through ``audit.engine.local.iter_results`` with --workers processes (the deployed path).

    uv run python benchmarks/faces.py [--workers 2] [--composites 30]
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import os
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path

from face_composites import face_sources, make_composites  # sibling script module

from audit.detectors.base import Content

ROOT = Path(__file__).resolve().parents[1]
REALDATA = ROOT.parent / "shared" / "realdata" / "faces"
SAMPLE = ROOT / "sample_data" / "images"


def labelled_images(
    composites_dir: Path, min_total: int, n_composites: int
) -> list[tuple[Path, int, int]]:
    """(path, min faces, max faces) for every image with a known count."""
    images: list[tuple[Path, int, int]] = []
    for folder, counts in (
        (REALDATA / "images", REALDATA / "face_counts.csv"),
        (SAMPLE, SAMPLE / "truth.csv"),
    ):
        if not counts.is_file():
            continue
        with counts.open(newline="") as fh:
            for row in csv.DictReader(fh):
                if row.get("faces", "") == "":
                    continue  # a file expected to fail: not a face-count case
                n = int(row["faces"])
                lo, hi = int(row.get("faces_min") or n), int(row.get("faces_max") or n)
                images.append((folder / row["filename"], lo, hi))
    n_composites = max(n_composites, min_total - len(images))
    sources = face_sources(REALDATA if REALDATA.is_dir() else None)
    for path, n in make_composites(composites_dir, sources, n_composites):
        images.append((path, n, n))
    return images


def naive_counts(paths: list[Path], encodings: bool = False) -> list[int | None]:
    """The anchor: face_recognition's own loader and HOG detector at its defaults (and its
    ``face_encodings`` on the found faces, for the anchor of ``encodings=True``)."""
    import face_recognition

    counts: list[int | None] = []
    for path in paths:
        try:
            image = face_recognition.load_image_file(path)
            boxes = face_recognition.face_locations(image)
            if encodings:
                face_recognition.face_encodings(image, boxes)
            counts.append(len(boxes))
        except Exception:  # the naive loop has no error handling; count as a miss
            counts.append(None)
    return counts


def ours_counts(paths: list[Path], options: dict, workers: int) -> list[int | None]:
    """Our detector through the engine (completion order, so results are keyed by sha256)."""
    from audit.engine.local import iter_results

    contents = [
        Content(sha256=hashlib.sha256(p.read_bytes()).hexdigest(), path=str(p)) for p in paths
    ]
    by_sha = {
        r.sha256: (None if r.error else len(r.findings))
        for r in iter_results("faces", options, contents, workers=workers, batch_size=4)
    }
    return [by_sha[c.sha256] for c in contents]


def measure(
    label: str,
    run: Callable[[], list[int | None]],
    truth: list[tuple[Path, int, int]],
    *,
    in_process: bool = True,
    encodings: bool = False,
) -> dict:
    """Time ``run`` and score its counts; CPU time is only known for in-process runs."""
    started, cpu_started = time.perf_counter(), _cpu_seconds()
    counts = run()
    seconds = time.perf_counter() - started
    cpu = _cpu_seconds() - cpu_started
    ok = [c is not None and lo <= c <= hi for c, (_, lo, hi) in zip(counts, truth, strict=True)]
    misses = [
        f"{p.name}={c}" for c, good, (p, _, _) in zip(counts, ok, truth, strict=True) if not good
    ]
    return {
        "label": label,
        "encodings": encodings,
        "seconds": seconds,
        "ips": len(counts) / seconds,
        # Pool workers outlive the generator, so their CPU is not in os.times() yet.
        "cpu_ms": 1000 * cpu / len(counts) if in_process else None,
        "ok": sum(ok),
        "misses": misses,
    }


def _cpu_seconds() -> float:
    """CPU time of this process plus its finished children (the pool's workers).

    Wall-clock img/s depends on what else runs on the machine; CPU ms per image does not.
    """
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--composites", type=int, default=30, help="generated images (≥ enough to reach 40)"
    )
    parser.add_argument("--max-side", type=int, default=None, help="override the detector default")
    args = parser.parse_args()
    warnings.filterwarnings("ignore", "pkg_resources is deprecated", UserWarning)

    with tempfile.TemporaryDirectory() as tmp:
        truth = labelled_images(Path(tmp), 40, args.composites)
        paths = [p for p, _, _ in truth]
        print(
            f"{len(paths)} images: realdata {'yes' if REALDATA.is_dir() else 'absent'}, "
            f"sample_data {'yes' if (SAMPLE / 'truth.csv').is_file() else 'absent'}, "
            f"{sum('composite_' in p.name for p in paths)} composites; "
            f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}"
        )
        base = {} if args.max_side is None else {"max_side": args.max_side}
        rows = [
            measure("naive face_recognition loop (1 process)", lambda: naive_counts(paths), truth),
            measure(
                "naive loop + face_encodings (1 process)",
                lambda: naive_counts(paths, encodings=True),
                truth,
                encodings=True,
            ),
            measure(
                "ours, 1 process, encodings off",
                lambda: ours_counts(paths, {**base, "encodings": False}, 1),
                truth,
            ),
            measure(
                "ours, 1 process, encodings on",
                lambda: ours_counts(paths, base, 1),
                truth,
                encodings=True,
            ),
            measure(
                f"ours, engine workers={args.workers}, encodings off",
                lambda: ours_counts(paths, {**base, "encodings": False}, args.workers),
                truth,
                in_process=False,
            ),
            measure(
                f"ours, engine workers={args.workers}, encodings on",
                lambda: ours_counts(paths, base, args.workers),
                truth,
                in_process=False,
                encodings=True,
            ),
        ]
    _print_table(rows, len(truth))


def _print_table(rows: list[dict], n_images: int) -> None:
    """Each row against the naive loop that does the same job (with or without encodings),
    and against the locations-only loop (the issue's anchor)."""
    anchors = {row["encodings"]: row for row in rows[:2]}
    locate_only = anchors[False]["ips"]
    print(
        f"{'method':44s} {'img/s':>7s} {'× naive same job':>17s} {'× naive locate':>15s} "
        f"{'CPU ms/img':>11s}  counts ok"
    )
    for row in rows:
        same = row["ips"] / anchors[row["encodings"]]["ips"]
        cpu = f"{row['cpu_ms']:11.0f}" if row["cpu_ms"] else f"{'n/a':>11s}"
        print(
            f"{row['label']:44s} {row['ips']:7.2f} {same:16.2f}× {row['ips'] / locate_only:14.2f}× "
            f"{cpu}  {row['ok']}/{n_images} {' '.join(row['misses'])}"
        )


if __name__ == "__main__":
    main()
