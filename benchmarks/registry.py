"""Consent registry at scale; prints seconds and peak memory for each phase.

A: ``--requests`` requests (40 % author, 30 % URL, 20 % e-mail, 10 % domain; half of them
name something the corpus has) read from a CSV, checked and matched against a store of
``--items`` items (author ids, URLs, one e-mail address in the text of every tenth item as a
pii finding), through the scan's own functions (load_registry, check_subjects,
apply_registry).

B: PDQ matching of ``--registry-images`` reference images (each with its
``len(CROP_WINDOWS) * 2`` variant hashes) against ``--corpus-images`` corpus hashes, with the
scan's LSH SQL (audit/registry/lsh.py); synthetic random hashes, plus ``--planted`` corpus
hashes planted at known distances from a reference, to measure recall.

    uv run python benchmarks/registry.py --items 1000000 --requests 1000000 \\
        --registry-images 100000 --corpus-images 1000000

Peak memory is the process's maximum resident set size after each phase (DuckDB's memory is
inside it). The machine is shared: the load average is printed with the figures.
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import resource
import tempfile
import time
from pathlib import Path

import duckdb
import numpy as np

from audit.detectors.image_hash import pdq
from audit.registry import lsh
from audit.registry.load import load_registry
from audit.registry.match import apply_registry, check_subjects
from audit.store import open_store


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


_CPU = [0.0]


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _line(what: str, seconds: float, extra: str = "") -> None:
    """One phase: wall seconds, CPU seconds since the previous line, peak RSS, load."""
    cpu, _CPU[0] = _cpu() - _CPU[0], _cpu()
    print(f"  {what:40s} {seconds:7.1f} s wall {cpu:7.1f} s CPU  peak RSS {_peak_mb():6,.0f} MB  "
          f"load {os.getloadavg()[0]:.1f}  {extra}")  # fmt: skip


def _build_store(path: Path, items: int) -> duckdb.DuckDBPyConnection:
    con = open_store(path)
    con.execute(
        """
        INSERT INTO items (item_id, platform, author_id, url, text)
        SELECT 'i' || i,
               ['mastodon', 'twitter', 'reddit', 'bluesky'][1 + i % 4],
               CASE i % 4 WHEN 0 THEN 'user' || (i % $authors) || '@social.example'
                          ELSE 'user' || (i % $authors) END,
               'https://www.site' || (i % 5000) || '.example/p/' || i || '?utm_source=feed',
               CASE WHEN i % 10 = 0 THEN 'mail me at person' || (i % $authors) || '@mail.example'
                                         || ' soon' END
        FROM range($items) t(i)
        """,
        {"items": items, "authors": max(1, items // 20)},
    )
    con.execute(
        """
        INSERT INTO findings (item_id, detector, detector_version, entity_type, score, "start", "end")
        SELECT item_id, 'pii', '4', 'EMAIL_ADDRESS', 1.0, 11, 11 + length(split_part(text, ' ', 4))
        FROM items WHERE text IS NOT NULL
        """
    )
    return con


def _write_requests(path: Path, n: int, items: int) -> None:
    rng = random.Random(1)
    authors = max(1, items // 20)
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["request_id", "kind", "subject_type", "subject", "platform", "received_at"])
        for k in range(n):
            hit = k % 2 == 0
            i = rng.randrange(items) if hit else items + rng.randrange(10**9)
            r = rng.random()
            if r < 0.4:
                row = (
                    "author",
                    f"@User{i % authors if hit else i}",
                    ["twitter", "reddit", ""][k % 3],
                )
            elif r < 0.7:
                row = ("url", f"http://site{i % 5000}.example/p/{i}/", "")
            elif r < 0.9:
                row = ("email", f"Person{i % authors if hit else i}@Mail.example", "")
            else:
                row = ("domain", f"site{i % 5000 if hit else i}.example", "")
            w.writerow([f"r{k}", ["opt_out", "erasure", "objection"][k % 3], row[0], row[1],
                        row[2], "2025-01-01"])  # fmt: skip


def part_a(items: int, requests: int, folder: Path) -> None:
    print(f"A. {requests:,} requests against a store of {items:,} items")
    t = time.perf_counter()
    con = _build_store(folder / "a.duckdb", items)
    _line("build the synthetic store", time.perf_counter() - t)
    csv_path = folder / "requests.csv"
    _write_requests(csv_path, requests, items)
    t = time.perf_counter()
    registry = load_registry([csv_path])
    _line("read + check rows (load_registry)", time.perf_counter() - t)
    t = time.perf_counter()
    check_subjects(registry.requests)
    _line("normalise + check subjects (SQL)", time.perf_counter() - t)
    t = time.perf_counter()
    summary = apply_registry(con, registry, "bench")
    _line(
        "match (apply_registry)",
        time.perf_counter() - t,
        f"{summary.matched_requests:,} requests matched {summary.items:,} items",
    )
    for method, counts in sorted(summary.by_method.items()):
        print(f"      {method:8s} {counts['requests']:>9,} requests  {counts['items']:>10,} items")
    con.close()


def _random_parts(con: duckdb.DuckDBPyConnection, table: str, n: int, seed: int) -> None:
    con.execute(
        f"CREATE OR REPLACE TABLE {table} AS SELECT i AS id, hash(i, {seed}, 0) AS h0, "
        f"hash(i, {seed}, 1) AS h1, hash(i, {seed}, 2) AS h2, hash(i, {seed}, 3) AS h3 "
        f"FROM range($n) t(i)",
        {"n": n},
    )


def part_b(registry_images: int, corpus_images: int, planted: int, folder: Path) -> None:
    variants = len(pdq.CROP_WINDOWS) * 2
    refs = registry_images * variants
    print(
        f"B. PDQ: {registry_images:,} reference images × {variants} variants = {refs:,} hashes "
        f"vs {corpus_images:,} corpus hashes ({lsh.BANDS} bands × {lsh.BAND_BITS} bits, "
        f"threshold {pdq.MATCH_DISTANCE})"
    )
    con = duckdb.connect(str(folder / "b.duckdb"))  # a file: DuckDB may spill to disk
    t = time.perf_counter()
    _random_parts(con, "ref", refs, 1)
    _random_parts(con, "corpus", corpus_images, 2)
    # planted copies: a reference's variant 0 with d random bits flipped
    rng = np.random.default_rng(3)
    distances = [8, 16, 24, 31]
    rows = con.execute(
        "SELECT id, h0, h1, h2, h3 FROM ref WHERE id % $v = 0 LIMIT $n",
        {"v": variants, "n": planted},
    ).fetchall()
    plants = []
    for k, (rid, *parts) in enumerate(rows):
        d = distances[k % len(distances)]
        value = sum(int(p) << (64 * (3 - j)) for j, p in enumerate(parts))
        for bit in rng.choice(256, d, replace=False):
            value ^= 1 << int(bit)
        plants.append(
            [
                corpus_images + k,
                *((value >> (64 * (3 - j))) & (2**64 - 1) for j in range(4)),
                rid,
                d,
            ]
        )
    con.execute("CREATE TABLE plants (id BIGINT, h0 UBIGINT, h1 UBIGINT, h2 UBIGINT, h3 UBIGINT, "
                "ref BIGINT, d INTEGER)")  # fmt: skip
    con.executemany("INSERT INTO plants VALUES (?, ?, ?, ?, ?, ?, ?)", plants)
    con.execute("INSERT INTO corpus SELECT id, h0, h1, h2, h3 FROM plants")
    _line("generate hashes", time.perf_counter() - t)
    t = time.perf_counter()
    sql = lsh.pairs_sql("SELECT * FROM ref", "SELECT * FROM corpus")
    con.execute(f"CREATE TABLE pairs AS {sql}", {"threshold": pdq.MATCH_DISTANCE})
    seconds = time.perf_counter() - t
    found = con.execute("SELECT count(*) FROM pairs").fetchone()[0]
    _line("match (LSH bands + exact Hamming)", seconds, f"{found:,} pairs within the threshold")
    for d, hit, total in con.execute(
        "SELECT p.d, count(x.lid), count(*) FROM plants p LEFT JOIN pairs x "
        "ON x.rid = p.id AND x.lid = p.ref GROUP BY p.d ORDER BY p.d"
    ).fetchall():
        print(f"      planted at distance {d:2d}: found {hit}/{total}  (expected recall "
              f"{lsh.recall(d):.3f})")  # fmt: skip
    con.close()


def main() -> None:
    """Run the parts asked for and print their figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--items", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=1_000_000)
    parser.add_argument("--registry-images", type=int, default=100_000)
    parser.add_argument("--corpus-images", type=int, default=1_000_000)
    parser.add_argument("--planted", type=int, default=2_000)
    parser.add_argument("--skip-a", action="store_true")
    parser.add_argument("--skip-b", action="store_true")
    args = parser.parse_args()
    print(f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}")
    with tempfile.TemporaryDirectory() as tmp:
        if not args.skip_a:
            part_a(args.items, args.requests, Path(tmp))
        if not args.skip_b:
            part_b(args.registry_images, args.corpus_images, args.planted, Path(tmp))


if __name__ == "__main__":
    main()
