"""Throughput of the ocr_text detector with and without its text gate, and the gate's recall.

    uv run python benchmarks/ocr.py                 # 8 images per text kind, 2 workers
    uv run python benchmarks/ocr.py --n 4 --workers 1

Images: the generated set of benchmarks/ocr_dataset.py (screenshots, documents, name tags,
caption bands, text drawn on photos, text-free photo crops) plus the text-free sample
photos under sample_data/images. Both runs go through the local engine (audit.engine.local)
exactly as `audit scan` would, each worker loading Tesseract checks and the pii model once.
Recall of the gate is counted against what the ungated run found: an image "has readable
text" when the ungated detector reported OCR_TEXT on it, "has PII" when it reported any PII.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from collections import Counter
from pathlib import Path

from ocr_dataset import Sample, generate, write

from audit.detectors.base import Content, Result
from audit.detectors.ocr.detector import OcrTextDetector, passes_gate, tesseract_version
from audit.detectors.ocr.prefilter import GATE_SIDE
from audit.engine.local import iter_results

ROOT = Path(__file__).resolve().parent.parent
SAMPLE_IMAGES = ROOT / "sample_data" / "images"


def corpus(n: int, folder: Path) -> list[tuple[str, str, Path]]:
    """(name, kind, path) for the generated images plus the sample photos."""
    samples: list[Sample] = list(generate(n_per_kind=n))
    items = [(s.name, s.kind, p) for s, p in zip(samples, write(samples, folder), strict=True)]
    items += [(p.stem, "sample_photo", p) for p in sorted(SAMPLE_IMAGES.glob("img_*.jpg"))]
    return items


def run(items: list[tuple[str, str, Path]], skip: bool, workers: int) -> tuple[dict, float]:
    """Results by image name and wall seconds for one pass through the engine."""
    contents = [Content(name, path=str(path)) for name, _, path in items]
    started = time.perf_counter()
    results = iter_results(
        "ocr_text", {"skip_textless": skip}, contents, workers=workers, batch_size=4
    )
    by_name: dict[str, Result] = {r.sha256: r for r in results}
    return by_name, time.perf_counter() - started


def gate_pass(items: list[tuple[str, str, Path]]) -> tuple[dict[str, bool], float]:
    """The gate's decision per image and its mean cost in seconds."""
    started = time.perf_counter()
    decisions = {name: passes_gate(str(path)) for name, _, path in items}
    return decisions, (time.perf_counter() - started) / len(items)


def _pii(result: Result) -> set[tuple[str, tuple | None]]:
    return {(f.entity_type, f.bbox) for f in result.findings if f.entity_type != "OCR_TEXT"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=8, help="generated images per text kind")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    print(f"tesseract {tesseract_version()}, {os.cpu_count()} cores, workers={args.workers}")

    with tempfile.TemporaryDirectory() as tmp:
        items = corpus(args.n, Path(tmp))
        kinds = {name: kind for name, kind, _ in items}
        setup_started = time.perf_counter()
        OcrTextDetector().setup()
        setup_s = time.perf_counter() - setup_started
        decisions, gate_s = gate_pass(items)
        full, full_s = run(items, skip=False, workers=args.workers)
        gated, gated_s = run(items, skip=True, workers=args.workers)

    n = len(items)
    print(f"\n{n} images; detector setup (pii model) {setup_s:.1f} s per worker, in the walls")
    print(f"{'run':<22}{'wall s':>8}{'images/s':>10}")
    print(f"{'ungated (skip off)':<22}{full_s:>8.1f}{n / full_s:>10.2f}")
    print(f"{'gated (default)':<22}{gated_s:>8.1f}{n / gated_s:>10.2f}")
    print(f"gate cost: {gate_s * 1000:.1f} ms per image (load at ≤{GATE_SIDE} px + numpy)")

    readable = {k for k, r in full.items() if any(f.entity_type == "OCR_TEXT" for f in r.findings)}
    with_pii = {k for k, r in full.items() if _pii(r)}
    rendered = {k for k, kind in kinds.items() if kind not in ("photo", "sample_photo")}
    textless = set(kinds) - rendered
    print(f"\n{'images':<34}{'count':>6}{'passed gate':>13}{'recall':>8}")
    for label, group in (
        ("with rendered text", rendered),
        ("where ungated OCR read text", readable),
        ("where ungated OCR found PII", with_pii),
    ):
        passed = sum(decisions[k] for k in group)
        recall = passed / len(group) if group else float("nan")
        print(f"{label:<34}{len(group):>6}{passed:>13}{recall:>8.2%}")
    skipped = sum(not decisions[k] for k in textless)
    print(f"text-free images skipped: {skipped}/{len(textless)} = {skipped / len(textless):.0%}")
    lost = {k: _pii(full[k]) - _pii(gated[k]) for k in full if _pii(full[k]) - _pii(gated[k])}
    print(f"PII findings lost by the gate: {sum(len(v) for v in lost.values())} {sorted(lost)}")

    print(f"\n{'kind':<16}{'images':>7}{'passed gate':>13}{'OCR read':>10}{'with PII':>10}")
    for kind, count in Counter(kinds.values()).items():
        names = [k for k, v in kinds.items() if v == kind]
        print(
            f"{kind:<16}{count:>7}{sum(decisions[k] for k in names):>13}"
            f"{len(readable & set(names)):>10}{len(with_pii & set(names)):>10}"
        )
    errors = Counter(r.error.split(":")[0] for r in full.values() if r.error)
    print(f"errors: {dict(errors) or 'none'}")


if __name__ == "__main__":
    main()
