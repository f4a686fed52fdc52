"""Draw a reproducible review sample and record its design (`audit review sample`).

A sample is drawn from one population of a run (kept, excluded, flagged, all), either simply
at random or stratified by a key of :data:`audit.vocabulary.REVIEW_STRATA` with proportional
allocation. The design — population, strata, seed, N_h and n_h — is stored in the audit
database, so that :mod:`audit.assurance.summary` knows every item's inclusion probability.
The draw itself is one DuckDB statement (assurance.sql ``draw``): items ordered by
``md5(seed:item_id)`` within their stratum, the first n_h taken.
"""

from __future__ import annotations

import csv
import heapq
import io
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from audit import atomic
from audit.errors import UsageError
from audit.report.masking import mask_plain, spans_from_rows
from audit.store import query, rollback
from audit.vocabulary import REVIEW_CATEGORIES, REVIEW_POPULATIONS, REVIEW_STRATA

SQL = "assurance.sql"
#: Items a stratum gets before the proportional share (two: its variance can be estimated).
MIN_PER_STRATUM = 2
#: Columns of the sample CSV (``item_id`` first; README "Assurance").
SAMPLE_COLUMNS = ("item_id", "stratum", "platform", "created_at", "visibility",
                  "author_age_at_post", "rules", "actions", "media_path", "text_masked")  # fmt: skip
#: Columns of an answers file (`audit review import`).
ANSWER_COLUMNS = ("item_id", "category", "present")


@dataclass(frozen=True)
class SampleDesign:
    """What was drawn, and from what."""

    sample_id: str
    run_id: str
    population: str
    stratify: str | None
    seed: int
    n: int
    population_size: int
    strata: dict[str, tuple[int, int]]  # stratum -> (N_h, n_h)
    reused: bool = False  # the same design was drawn before: the stored sample is reused


def allocate(sizes: dict[str, int], n: int) -> dict[str, int]:
    """Proportional allocation of ``n`` draws over strata of ``sizes`` (N_h).

    Every stratum first gets ``min(MIN_PER_STRATUM, N_h)``; the rest goes one by one to the
    stratum furthest below its share ``n·N_h/N`` (largest remainder), never above N_h.
    Raises UsageError when ``n`` cannot give every stratum its minimum.
    """
    total = sum(sizes.values())
    n = min(n, total)
    alloc = {h: min(MIN_PER_STRATUM, size) for h, size in sizes.items()}
    left = n - sum(alloc.values())
    if left < 0:
        raise UsageError(
            f"--n {n} is too small for {len(sizes)} strata: each needs {MIN_PER_STRATUM} "
            f"items (at least {sum(alloc.values())} in all); raise --n or stratify by a "
            "coarser key"
        )
    heap = [(-(n * size / total - alloc[h]), h) for h, size in sizes.items() if alloc[h] < size]
    heapq.heapify(heap)
    while left > 0 and heap:
        _, h = heapq.heappop(heap)
        alloc[h] += 1
        left -= 1
        if alloc[h] < sizes[h]:
            heapq.heappush(heap, (-(n * sizes[h] / total - alloc[h]), h))
    return alloc


def sample_id_for(run_id: str, population: str, stratify: str | None, seed: int, n: int) -> str:
    """The id of a design: the same arguments on the same run name the same sample."""
    return f"{population}-{stratify or 'srs'}-n{n}-seed{seed}@{run_id}"


def check_design(population: str, stratify: str | None, n: int) -> None:
    """UsageError for a population, stratum key or size the tool does not know."""
    if population not in REVIEW_POPULATIONS:
        raise UsageError(
            f"--population {population!r}: choose one of {', '.join(REVIEW_POPULATIONS)}"
        )
    if stratify is not None and stratify not in REVIEW_STRATA:
        raise UsageError(f"--stratify {stratify!r}: choose one of {', '.join(REVIEW_STRATA)}")
    if n < 1:
        raise UsageError("--n must be at least 1")


def draw_sample(
    con: duckdb.DuckDBPyConnection,
    run_id: str,
    *,
    population: str,
    n: int,
    seed: int,
    stratify: str | None = None,
) -> SampleDesign:
    """Draw (or reuse) a sample on a read-write connection and record its design."""
    check_design(population, stratify, n)
    sample_id = sample_id_for(run_id, population, stratify, seed, n)
    con.execute(
        query(SQL, "population"),
        {"run_id": run_id, "population": population, "stratify": stratify or ""},
    )
    sizes = dict(con.execute(query(SQL, "strata_sizes")).fetchall())
    total = sum(sizes.values())
    if con.execute(query(SQL, "sample_exists"), {"sample_id": sample_id}).fetchone()[0]:
        strata = {s: (pop, k) for s, pop, k in con.execute(
            query(SQL, "sample_strata"), {"sample_id": sample_id}).fetchall()}  # fmt: skip
        return SampleDesign(sample_id, run_id, population, stratify, seed,
                            sum(k for _, k in strata.values()), total, strata, reused=True)  # fmt: skip
    alloc = allocate(sizes, n) if total else {}
    drawn = con.execute(
        query(SQL, "draw"),
        {"strata": list(alloc), "sizes": list(alloc.values()), "seed": str(seed)},
    ).fetchall()
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute(
            query(SQL, "insert_sample"),
            {"sample_id": sample_id, "run_id": run_id, "population": population,
             "stratify": stratify, "seed": seed, "n": len(drawn), "population_size": total,
             "created_at": datetime.now(UTC).replace(tzinfo=None)},
        )  # fmt: skip
        con.executemany(
            query(SQL, "insert_stratum"),
            [{"sample_id": sample_id, "stratum": h, "population": sizes[h], "sampled": k}
             for h, k in alloc.items()],
        )  # fmt: skip
        con.executemany(
            query(SQL, "insert_sample_item"),
            [{"sample_id": sample_id, "item_id": item_id, "stratum": h, "draw_rank": rank}
             for item_id, h, rank, _ in drawn],
        )  # fmt: skip
        con.execute("COMMIT")
    except BaseException:
        rollback(con)
        raise
    strata = {h: (sizes[h], k) for h, k in alloc.items()}
    return SampleDesign(sample_id, run_id, population, stratify, seed, len(drawn), total, strata)


def sample_rows(con: duckdb.DuckDBPyConnection, run_id: str, sample_id: str) -> list[dict]:
    """The drawn items with what a reviewer needs, personal data in the text masked."""
    cur = con.execute(query(SQL, "sample_rows"), {"run_id": run_id, "sample_id": sample_id})
    cols = [d[0] for d in cur.description]
    rows = [dict(zip(cols, r, strict=True)) for r in cur.fetchall()]
    spans: dict[str, list[dict]] = defaultdict(list)
    ids = [r["item_id"] for r in rows]
    for item_id, detector, entity_type, start, end in con.execute(
        query(SQL, "item_text_findings"), {"item_ids": ids}
    ).fetchall():
        spans[item_id].append(
            {"detector": detector, "entity_type": entity_type, "start": start, "end": end}
        )
    for r in rows:
        text = r.pop("text") or ""
        r["text_masked"] = mask_plain(text, spans_from_rows(spans[r["item_id"]]))
        r["created_at"] = r["created_at"].isoformat(sep=" ") if r["created_at"] else ""
    return rows


def _csv_text(columns: tuple[str, ...], rows: list[dict]) -> str:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    for r in rows:
        writer.writerow({c: "" if r.get(c) is None else r[c] for c in columns})
    return buf.getvalue()


def answers_template_path(to: Path) -> Path:
    """``sample.csv`` → ``sample.answers.csv``."""
    return to.with_name(to.stem + ".answers.csv")


def write_sample_files(to: Path, rows: list[dict]) -> Path:
    """Write the sample CSV and, beside it, an answers template (one row per item and
    category, ``present`` blank); return the template's path."""
    atomic.write_text(to, _csv_text(SAMPLE_COLUMNS, rows))
    template = answers_template_path(to)
    answers = [
        {"item_id": r["item_id"], "category": c.key, "present": ""}
        for r in rows
        for c in REVIEW_CATEGORIES
    ]
    atomic.write_text(template, _csv_text(ANSWER_COLUMNS, answers))
    return template
