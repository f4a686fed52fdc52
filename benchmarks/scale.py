"""Scale benchmark: ingest and rules at 10^5..10^7 items, detector cost per item, local vs Ray.

For each size N (``--sizes``) a canonical corpus is generated in DuckDB from
:func:`audit.synth.corpus.synthetic_items_sql` and written as Parquet (10% of rows point at the
sample images up to 10^6 items; 10^7 is text-only), then, each phase in a fresh process
(its own wall, CPU and peak RSS):

- ``ingest``: :func:`audit.ingest.ingest_corpus` into a new audit database file;
- ``rules``: synthetic findings for a realistic share of items (benchmarks/rules.py's mix),
  then the shipped rule pack with :func:`audit.rules.evaluate_rules`.

Detectors are not run over 10^7 items here: their cost is linear in *distinct* contents, so
``pii`` and ``minor_cues`` are timed per item on ``--sample`` distinct captions and
extrapolated (printed as items/hour/core). ``local vs ray`` runs the same detector over the
same ``--engine-texts`` texts through both engines' ``iter_batches`` with 2 workers.

    uv run python benchmarks/scale.py --sizes 100000,1000000,10000000
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ingest import Phase, _in_child, _measure  # noqa: E402

from rules import FINDINGS_SQL  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SAMPLE_IMAGES = sorted(str(p) for p in (ROOT / "sample_data" / "images").glob("img_*.jpg"))
#: Up to this size 10% of rows carry an image path; above it the corpus is text-only.
IMAGE_SIZE_LIMIT = 1_000_000
#: benchmarks/rules.py numbers items 'p' || i; synthetic_items_sql uses this id.
_ITEM_ID = "'synthetic-' || lpad(i::VARCHAR, 10, '0')"


# -- phases (each runs in its own process) ------------------------------------------------------
def _generate(n: int, path: str) -> Phase:
    import duckdb

    from audit.synth.corpus import synthetic_items_sql

    images = SAMPLE_IMAGES if n <= IMAGE_SIZE_LIMIT else []
    sql = synthetic_items_sql(n, seed=7, image_paths=images)
    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")
    return _measure(
        lambda: con.execute(f"COPY ({sql}) TO '{path}' (FORMAT parquet, ROW_GROUP_SIZE 122880)")
    )


def _ingest(corpus: str, db: str) -> Phase:
    from audit.ingest import ingest_corpus
    from audit.store import open_store

    def run() -> None:
        con = open_store(db)
        con.execute("SET enable_progress_bar = false")
        ingest_corpus(con, corpus)
        con.close()

    return _measure(run)


def _rules(db: str, n: int) -> Phase:
    from audit.paths import shipped_rules_dir as default_rules_dir
    from audit.rules import evaluate_rules, load_rules
    from audit.store import open_store

    con = open_store(db)
    con.execute("SET enable_progress_bar = false")
    # Findings are set up outside the measured window: the phase is rule evaluation only.
    con.execute(FINDINGS_SQL.replace("'p' || i", _ITEM_ID).replace("$n", str(n)))
    con.execute("CHECKPOINT")
    ruleset = load_rules(default_rules_dir())
    meter = _PhaseMeter()  # the peak from here on: evaluation only, not the findings set-up
    summary = evaluate_rules(con, ruleset, "bench")
    meter.cut("rules")
    phase = meter.phases[0][1]
    flags = con.execute("SELECT count(*) FROM flags").fetchall()[0][0]
    con.close()
    steps = ", ".join(f"{k} {v:.1f}s" for k, v in summary.phase_seconds.items())
    return Phase(
        phase.seconds, phase.cpu, phase.peak_mb, f"{len(ruleset)} rules, {flags:,} flags; {steps}"
    )


class _PhaseMeter:
    """A scan Progress that cuts the run into phases at the scan's notes ("ingest: …",
    "detect: …", "rules: …") and measures each: wall, CPU, and its own peak RSS (the kernel's
    high-water mark, reset at each cut through /proc/self/clear_refs)."""

    CUTS = ("ingest", "detect", "rules")

    def __init__(self) -> None:
        self.phases: list[tuple[str, Phase]] = []
        self.resettable = True
        self._start()

    def _start(self) -> None:
        try:
            with open("/proc/self/clear_refs", "w") as fh:
                fh.write("5")  # reset VmHWM
        except OSError:
            self.resettable = False  # peaks are then cumulative
        self.wall, self.cpu = time.perf_counter(), time.process_time()

    @staticmethod
    def _hwm_mb() -> float:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
        return float("nan")

    def cut(self, label: str, detail: str = "") -> None:
        """End the current phase under ``label``."""
        phase = Phase(
            time.perf_counter() - self.wall, time.process_time() - self.cpu, self._hwm_mb(), detail
        )
        self.phases.append((label, phase))
        self._start()

    def __call__(self, stage: str, done: int, total: int | None) -> None:
        """Progress updates are not phases."""

    def note(self, message: str) -> None:
        """A stage's closing note ends a phase."""
        label = message.split(":", 1)[0]
        if label in self.CUTS:
            self.cut(label, message.split(":", 1)[1].strip())

    def __enter__(self) -> _PhaseMeter:
        return self

    def __exit__(self, *exc: object) -> None:
        return None


def _scan_none(corpus: str, out: str) -> list[tuple[str, Phase]]:
    """`audit scan --detectors none` (metadata only) of the corpus: each phase's cost."""
    from audit.scan import ScanOptions, run_scan

    meter = _PhaseMeter()
    result = run_scan(ScanOptions(corpus=corpus, out=Path(out), detectors=("none",)), meter)
    meter.cut("exports+reports", f"{result.headline.get('items', 0):,} items")
    # the first phase also holds start-up: imports, loading the pack and its self-tests
    label, first = meter.phases[0]
    meter.phases[0] = ("setup+ingest", first)
    total = Phase(
        sum(p.seconds for _, p in meter.phases),
        sum(p.cpu for _, p in meter.phases),
        max(p.peak_mb for _, p in meter.phases),
        "peak = the largest phase peak" if meter.resettable else "peaks cumulative",
    )
    return [*meter.phases, ("total", total)]


def _texts(n: int) -> list[str]:
    from audit.synth.corpus import labelled_captions

    return sorted({c.text for c in labelled_captions(n * 2, seed=11)})[:n]


def _detector(name: str, n: int) -> Phase:
    """Steady-state cost of one detector in one process (setup excluded, reported apart)."""
    from audit.detectors.base import Content
    from audit.detectors.registry import create_detector
    from audit.offline import ensure_offline

    ensure_offline()
    texts = _texts(n)
    started = time.perf_counter()
    detector = create_detector(name)
    detector.setup()
    setup = time.perf_counter() - started
    contents = [Content(str(i), text=t) for i, t in enumerate(texts)]

    def run() -> None:
        for i in range(0, len(contents), 256):
            detector.detect_batch(contents[i : i + 256])

    phase = _measure(run)
    return Phase(
        phase.seconds, phase.cpu, phase.peak_mb, f"{len(texts)} texts, setup {setup:.1f} s"
    )


def _engine(engine: str, name: str, n: int, workers: int) -> Phase:
    """One detector over ``n`` texts through an engine's iter_batches (wall incl. start-up)."""
    from audit.detect import engine_batches
    from audit.detectors.base import Content
    from audit.engine.ray import configure_ray_environment
    from audit.offline import ensure_offline

    ensure_offline()
    configure_ray_environment()
    contents = [Content(str(i), text=t) for i, t in enumerate(_texts(n))]
    run_batches = engine_batches(engine)
    done = []

    def run() -> None:
        for results in run_batches(name, {}, iter(contents), workers=workers, batch_size=256):
            done.extend(results)

    phase = _measure(run)
    if engine == "ray":
        import ray

        ray.shutdown()
    errors = sum(1 for r in done if r.error)
    return Phase(phase.seconds, phase.cpu, phase.peak_mb, f"{len(done)} results, {errors} errors")


# -- report ------------------------------------------------------------------------------------
def _row(label: str, n: int, phase: Phase) -> str:
    return (
        f"{label:<22} {n:>12,} {phase.seconds:>9.2f} {phase.cpu:>9.2f} {phase.peak_mb:>9,.0f}"
        f" {phase.seconds / n * 1e6:>10.2f} {phase.cpu / n * 1e6:>10.2f}  {phase.detail}"
    )


def _exponent(points: list[tuple[int, float]]) -> float | None:
    """Least-squares b in time = a * n^b (1.0 = linear, i.e. flat µs/item)."""
    if len(points) < 2:
        return None
    xs = [math.log(n) for n, _ in points]
    ys = [math.log(max(t, 1e-9)) for _, t in points]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sum(
        (x - mx) ** 2 for x in xs
    )


def _timed(label: str, fn: Callable[..., Any], *args: object) -> Any:
    print(f"  … {label}", file=sys.stderr, flush=True)
    return _in_child(fn, *args)


def main() -> None:
    """Run the phases for every size and print the table, growth and per-item costs."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100000,1000000,10000000")
    parser.add_argument("--sample", type=int, default=2000, help="distinct texts per detector")
    parser.add_argument("--engine-texts", type=int, default=2000)
    parser.add_argument("--skip-engines", action="store_true")
    parser.add_argument("--skip-detectors", action="store_true")
    parser.add_argument(
        "--scan-sizes", default="",
        help="sizes at which to run `audit scan --detectors none` too (peak RSS per phase)",
    )  # fmt: skip
    parser.add_argument("--only-scan", action="store_true", help="skip the ingest/rules phases")
    args = parser.parse_args()
    scan_sizes = {int(float(s)) for s in args.scan_sizes.split(",") if s}
    sizes = [int(float(s)) for s in args.sizes.split(",")]
    print(f"cores {os.cpu_count()}, load before {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    header = (
        f"{'phase':<22} {'items':>12} {'wall s':>9} {'CPU s':>9} {'peak MB':>9}"
        f" {'µs/item':>10} {'CPU µs/it':>10}"
    )
    rows: list[str] = []
    growth: dict[str, list[tuple[int, float]]] = {"ingest": [], "rules": []}
    for n in sorted(set(sizes) | scan_sizes):
        with tempfile.TemporaryDirectory(prefix="scale-") as tmp:
            corpus, db = str(Path(tmp) / "corpus.parquet"), str(Path(tmp) / "audit.duckdb")
            gen = _timed(f"generate {n:,}", _generate, n, corpus)
            rows.append(_row("generate (parquet)", n, gen))
            if n in sizes and not args.only_scan:
                ing = _timed(f"ingest {n:,}", _ingest, corpus, db)
                rows.append(_row("ingest", n, ing))
                rul = _timed(f"rules {n:,}", _rules, db, n)
                rows.append(_row("rules", n, rul))
                growth["ingest"].append((n, ing.seconds))
                growth["rules"].append((n, rul.seconds))
                os.unlink(db)
            if n in scan_sizes:
                scan = _timed(
                    f"scan --detectors none {n:,}", _scan_none, corpus, str(Path(tmp) / "out")
                )
                rows += [_row(f"scan-none {label}", n, ph) for label, ph in scan]
            print(f"load now {' '.join(f'{x:.1f}' for x in os.getloadavg())}", flush=True)
            print("\n".join([header, *rows]), flush=True)
    for name in () if args.skip_detectors else ("minor_cues", "pii"):
        det = _timed(f"detector {name}", _detector, name, args.sample)
        rows.append(_row(f"detect {name} (1 proc)", args.sample, det))
        per_hour = args.sample / det.cpu * 3600
        rows.append(f"  → {name}: {per_hour:,.0f} items/hour per core (CPU), extrapolated")
    if not args.skip_engines and not args.skip_detectors:
        for name in ("minor_cues", "pii"):
            for engine in ("local", "ray"):
                ph = _timed(f"{engine} {name}", _engine, engine, name, args.engine_texts, 2)
                rows.append(_row(f"{engine} {name} (2 workers)", args.engine_texts, ph))
    print()
    print(header)
    print("\n".join(rows))
    print()
    for phase, points in growth.items():
        per_item = ", ".join(f"{n:,}: {t / n * 1e6:.2f} µs" for n, t in points)
        b = _exponent(points)
        fitted = f"time ∝ n^{b:.2f}" if b is not None else "one size only"
        print(f"growth {phase:<7} {per_item}  ({fitted})")
    print(f"load after {' '.join(f'{x:.1f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
