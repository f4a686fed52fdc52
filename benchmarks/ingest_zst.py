"""Pushshift-style ingest: a synthetic ``RC_*.zst`` (zstd NDJSON with the 2 GB window of the
real dumps, which DuckDB alone cannot decode) read without --mapping into a file database.

Generates Reddit comment objects shaped like a real dump's (the RC_2006-01 field set,
~460 bytes a line; ``--shape modern`` for the ~1.2 KB, 45-field objects of recent dumps),
compresses them with a 2**31 window, then ingests files of growing size, each in a fresh
process so its peak RSS is its own. Prints wall rows/s, CPU seconds per 1 M rows (the
figure least disturbed by other load on a shared machine) and peak RSS: streaming means RSS stays flat as the file grows — except for the
zstd window itself: a frame declaring a 2**31 window (Pushshift's) makes the decoder keep up
to 2 GB of history, so RSS grows with the file up to that size whatever the reader does;
``--window-log 27`` shows the ingest's own memory (batches + DuckDB's memory_limit).

    uv run python benchmarks/ingest_zst.py --rows 200000 400000 800000

The anchor, in the same run: DuckDB's own NDJSON reader (``read_ndjson_auto``) loading the same
records, decompressed beforehand, into typed columns of a new database file.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import random
import resource
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

WORDS = ["the", "a", "cat", "dog", "market", "weather", "town", "see", "you", "later", "about", "post", "number", "really", "think", "email", "me", "at", "phone", "call", "monday", "school", "class", "photo"]  # fmt: skip


def _comment(i: int, rng: random.Random, shape: str) -> dict:
    body = " ".join(rng.choices(WORDS, k=rng.randint(5, 40)))
    author = "[deleted]" if i % 5 == 0 else f"user{i % 50_000}"
    base = {"subreddit": f"sub{i % 300}", "author_flair_css_class": None,
            "created_utc": 1136074029 + i, "score": rng.randint(-5, 50), "ups": 0, "body": body,
            "controversiality": 0, "link_id": f"t3_{i % 99991:x}", "stickied": False,
            "subreddit_id": f"t5_{i % 300:x}", "gilded": 0, "retrieved_on": 1473821517,
            "distinguished": None, "author_flair_text": None, "author": author,
            "parent_id": f"t3_{i % 99991:x}", "edited": False, "id": f"c{i:x}"}  # fmt: skip
    if shape == "modern":
        base.update({
            "all_awardings": [], "archived": False, "associated_award": None,
            "author_flair_background_color": None, "author_flair_richtext": [],
            "author_flair_template_id": None, "author_flair_text_color": None,
            "author_flair_type": "text", "author_fullname": f"t2_{i % 50_000:x}",
            "author_patreon_flair": False, "author_premium": False, "awarders": [],
            "collapsed": False, "collapsed_because_crowd_control": None, "comment_type": None,
            "gildings": {}, "is_submitter": False, "locked": False, "no_follow": True,
            "permalink": f"/r/sub{i % 300}/comments/{i % 99991:x}/x/c{i:x}/",
            "score_hidden": False, "send_replies": True, "subreddit_name_prefixed": f"r/sub{i % 300}",
            "subreddit_type": "public", "top_awarded_type": None, "total_awards_received": 0,
            "treatment_tags": [], "unrepliable_reason": None,
        })  # fmt: skip
    return base


def generate(path: Path, rows: int, shape: str, window_log: int = 31) -> float:
    """Write ``rows`` comments to a zstd file with a 2**window_log window; returns MB
    uncompressed."""
    import zstandard

    rng = random.Random(rows)
    params = zstandard.ZstdCompressionParameters.from_level(
        3, window_log=window_log, write_content_size=False, threads=1
    )
    size = 0
    with (
        path.open("wb") as fh,
        zstandard.ZstdCompressor(compression_params=params).stream_writer(fh) as w,
    ):
        for start in range(0, rows, 10_000):
            chunk = "".join(
                json.dumps(_comment(i, rng, shape), separators=(",", ":")) + "\n"
                for i in range(start, min(rows, start + 10_000))
            ).encode()
            size += len(chunk)
            w.write(chunk)
    return size / 1e6


def _peak_mb() -> float:
    """Peak RSS of this process's own memory (VmHWM). ``ru_maxrss`` is not: a spawned child
    keeps its parent's high-water mark across exec, so it showed the generator's peak."""
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _anchor(path: str, memory_limit: str | None) -> dict:
    """DuckDB's own NDJSON reader loading the same records (decompressed beforehand: it cannot
    read a 2**31-window zstd file) into typed columns of a new database file — the floor."""
    import duckdb

    with tempfile.TemporaryDirectory() as tmp:
        con = duckdb.connect(str(Path(tmp) / "anchor.duckdb"))
        con.execute("SET enable_progress_bar = false")
        if memory_limit:
            con.execute(f"SET memory_limit = '{memory_limit}'")
        r0, t0 = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter()
        con.execute("CREATE TABLE t AS SELECT * FROM read_ndjson_auto(?)", [path])
        items = con.execute("SELECT count(*) FROM t").fetchall()[0][0]
        con.close()
        wall = time.perf_counter() - t0
        r1 = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
    return {"items": items, "wall": wall, "cpu": cpu, "peak_mb": _peak_mb()}


def _decompressed(path: Path) -> Path:
    """A plain copy of the generated zstd file, for the anchor."""
    from audit.ingest.records import open_stream

    out = path.with_suffix(".jsonl")
    with open_stream(path) as src, out.open("wb") as dst:
        while block := src.read(64 << 20):
            dst.write(block)
    return out


def _ingest(path: str, memory_limit: str | None, extra: str = "all") -> dict:
    from audit.ingest import ingest_corpus
    from audit.store import open_store

    with tempfile.TemporaryDirectory() as tmp:
        con = open_store(Path(tmp) / "audit.duckdb")
        con.execute("SET enable_progress_bar = false")
        if memory_limit:
            # DuckDB keeps written pages cached up to its memory_limit (80% of RAM by
            # default): with a limit, peak RSS shows what the streaming ingest itself needs.
            con.execute(f"SET memory_limit = '{memory_limit}'")
        r0, t0 = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter()
        summary = ingest_corpus(con, path, extra=extra)
        con.close()
        wall = time.perf_counter() - t0
        r1 = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
    return {"items": summary.items, "rejected": summary.rejected, "wall": wall, "cpu": cpu,
            "peak_mb": _peak_mb(), "mapping": Path(summary.sources[0].mapping).stem}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[200_000, 400_000, 800_000])
    parser.add_argument("--shape", choices=("rc2006", "modern"), default="rc2006")
    parser.add_argument("--repeat", type=int, default=1, help="best of N runs per size")
    parser.add_argument(
        "--memory-limit", default="1GB", help="DuckDB memory_limit for the run ('' = default)"
    )
    parser.add_argument(
        "--window-log", type=int, default=31, help="zstd window of the generated file (2**N)"
    )
    args = parser.parse_args()
    ctx = multiprocessing.get_context("spawn")
    print(
        f"cores {os.cpu_count()}, load average {os.getloadavg()[0]:.2f} (1 min), "
        f"shape {args.shape}, zstd window 2**{args.window_log}, "
        f"DuckDB memory_limit {args.memory_limit or 'default'}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        for rows in args.rows:
            path = Path(tmp) / f"RC_bench-{rows}.zst"
            mb = generate(path, rows, args.shape, args.window_log)
            plain = str(_decompressed(path))
            variants = [
                ("reddit preset, --extra all (default)", "all"),
                ("reddit preset, --extra declared", "declared"),
                ("anchor: DuckDB read_ndjson_auto CTAS", "anchor"),
            ]
            walls: dict[str, float] = {}
            for label, mode in variants:
                best = None
                for _ in range(args.repeat):
                    with ProcessPoolExecutor(1, mp_context=ctx) as pool:
                        if mode == "anchor":
                            job = pool.submit(_anchor, plain, args.memory_limit or None)
                        else:
                            job = pool.submit(_ingest, str(path), args.memory_limit or None, mode)
                        run = job.result()
                    best = run if best is None or run["wall"] < best["wall"] else best
                assert best is not None and best["items"] == rows
                assert best.get("mapping", "reddit") == "reddit"
                walls[label] = best["wall"]
                print(
                    f"{rows:>10,} rows ({mb:,.0f} MB JSON, {path.stat().st_size / 1e6:,.1f} MB "
                    f"zstd), {label}: {rows / best['wall']:>9,.0f} rows/s wall, "
                    f"{best['cpu'] / rows * 1e6:5.1f} CPU-s per 1M rows, "
                    f"peak RSS {best['peak_mb']:,.0f} MB, load {os.getloadavg()[0]:.2f}"
                )
            anchor = walls.pop("anchor: DuckDB read_ndjson_auto CTAS")
            for label, wall in walls.items():
                print(f"{'':>10} {label}: {wall / anchor:.2f}x the anchor's wall time")
            Path(plain).unlink()


if __name__ == "__main__":
    main()
