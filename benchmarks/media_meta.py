"""Benchmark: what media_meta adds to a full scan of the sample corpus (goal: < 10%).

Runs ``audit scan sample_data/corpus.yaml`` twice in one process, each into a fresh out
folder (so the detector cache is empty and every content is analysed): once with the
default detectors and once with the same list minus ``media_meta``. Prints both wall times,
their ratio, and media_meta's own detect seconds from the run manifest.

A first, uncounted warm-up scan pays the one-off costs (imports, model loading, cold OS file
cache) that would otherwise land on whichever scan runs first. The pair then runs
``--repeat`` times, alternating which one goes first, and the median of each is reported.
Timings on a shared machine are noisy; the detector's own seconds (from the manifest) are
printed beside the wall times as the steadier figure.

    uv run python benchmarks/media_meta.py [--corpus sample_data/corpus.yaml] [--repeat 2]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from audit.detectors.registry import DEFAULT_DETECTORS
from audit.scan import ScanOptions, run_scan

ROOT = Path(__file__).resolve().parents[1]
GOAL = 0.10


def timed_scan(corpus: Path, out: Path, detectors: tuple[str, ...]) -> tuple[float, dict]:
    """Wall seconds of one full scan into ``out`` (must not exist) and its manifest."""
    t = time.perf_counter()
    result = run_scan(ScanOptions(corpus=str(corpus), out=out, detectors=detectors))
    return time.perf_counter() - t, result.manifest


def main() -> None:
    """Run the scan pairs and print the comparison."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=ROOT / "sample_data" / "corpus.yaml")
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--warmup", type=int, default=1, help="uncounted scans first")
    args = parser.parse_args()

    with_mm = tuple(DEFAULT_DETECTORS)
    if "media_meta" not in with_mm:
        with_mm = (*with_mm, "media_meta")
    without_mm = tuple(d for d in with_mm if d != "media_meta")
    runs: dict[str, list[float]] = {"with": [], "without": []}
    mm_seconds: list[float] = []
    with tempfile.TemporaryDirectory(prefix="bench-media-meta-") as tmp:
        for i in range(args.warmup):
            seconds, _ = timed_scan(args.corpus, Path(tmp) / f"warmup-{i}", with_mm)
            print(f"warm-up {i + 1} (not counted): {seconds:7.1f} s")
        for i in range(args.repeat):
            pair = [("with", with_mm), ("without", without_mm)]
            if i % 2:  # alternate the order so drift in machine load cancels out
                pair.reverse()
            for label, detectors in pair:
                # a fresh folder per scan: no detector cache, every content analysed
                seconds, manifest = timed_scan(args.corpus, Path(tmp) / f"{label}-{i}", detectors)
                runs[label].append(seconds)
                if label == "with":
                    mm_seconds.append(manifest["detectors"]["media_meta"]["seconds"])
                print(
                    f"run {i + 1} {label:7} media_meta: {seconds:7.1f} s  ({', '.join(detectors)})"
                )
    with_s, without_s = statistics.median(runs["with"]), statistics.median(runs["without"])
    ratio = with_s / without_s
    print(f"\ncorpus: {args.corpus}")
    print(f"scan without media_meta: {without_s:7.1f} s")
    print(f"scan with media_meta:    {with_s:7.1f} s")
    print(f"ratio: {ratio:.3f}  (media_meta adds {100 * (ratio - 1):+.1f}%, goal < {GOAL:.0%})")
    mm = statistics.median(mm_seconds)
    print(
        f"media_meta detect seconds (manifest): {mm:.2f} s = {100 * mm / without_s:.1f}% of the scan without it"
    )
    print("goal met" if ratio - 1 < GOAL else "goal NOT met")


if __name__ == "__main__":
    main()
