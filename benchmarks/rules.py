"""Benchmark: evaluate the shipped rule pack over a generated store.

Builds N items (default 10 M, one author per 20 items unless --authors) with DuckDB
``range()`` straight into a temporary audit database, plus findings for a realistic
fraction (30% of items with 1–2 PII findings, 5% with faces, 1% with minor cues, 2% with
image metadata), then times ``evaluate_rules``. Prints wall and CPU seconds (all threads),
the load average, items/s, phase timings and flags per rule.

    uv run python benchmarks/rules.py --items 1000000
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

from audit.rules import evaluate_rules, load_rules
from audit.store import open_store

ITEMS_SQL = """
INSERT INTO items (item_id, platform, author_id, created_at, text, visibility,
                   author_age_at_post, opt_out, noai, license, deleted, extra)
SELECT 'p' || i, ['reddit', 'mastodon', 'bluesky'][1 + i % 3], 'a' || (hash(i) % $authors),
       TIMESTAMP '2020-01-01' + to_seconds(i % 100000000),
       'post number ' || i,
       CASE WHEN i % 100 < 80 THEN 'public' WHEN i % 100 < 88
            THEN ['unlisted', 'followers', 'private', 'direct'][1 + i % 4]
            WHEN i % 100 < 95 THEN 'unknown' END,
       CASE WHEN i % 5 = 0 THEN 13 + (i % 60)::INTEGER END,
       CASE WHEN i % 4 = 0 THEN i % 97 = 0 END,
       i % 211 = 0,
       CASE WHEN i % 20 = 0 THEN 'CC-BY-NC-4.0' WHEN i % 20 = 1 THEN 'All rights reserved'
            WHEN i % 20 < 10 THEN 'CC-BY-4.0' END,
       i % 89 = 0,
       ('{"subreddit": "r/s' || (i % 5000) || '"}')::JSON
FROM range($n) t(i)
"""

FINDINGS_SQL = """
INSERT INTO findings (item_id, detector, entity_type, score, "start", "end", bbox)
SELECT 'p' || i, 'pii',
       ['EMAIL_ADDRESS', 'PHONE_NUMBER', 'PERSON', 'LOCATION', 'STREET_ADDRESS', 'US_SSN'][1 + (i // 10 + k) % 6],
       0.4 + (i % 60) / 100.0, 5 * k, 5 * k + 12, NULL
FROM range($n) t(i), range(2) r(k)
WHERE i % 10 < 3 AND (k = 0 OR i % 2 = 0)
UNION ALL
SELECT 'p' || i, 'faces', 'FACE', 0.9, NULL, NULL, [0, s, s, 0]
FROM (SELECT i, 20 + (i % 150)::INTEGER AS s FROM range($n) t(i) WHERE i % 20 = 5)
UNION ALL
SELECT 'p' || i, 'minor_cues', 'SCHOOL_GRADE', 1.0, 0, 8, NULL
FROM range($n) t(i) WHERE i % 100 = 11
"""

MEDIA_SQL = """
INSERT INTO findings (item_id, detector, entity_type, score, attributes)
SELECT 'p' || i, 'media_meta',
       ['GPS_LOCATION', 'CAMERA_SERIAL', 'TRAINING_RESERVATION', 'TRAINING_RESERVATION'][1 + (i // 50) % 4],
       1.0, CASE WHEN (i // 50) % 4 = 2 THEN '{"reservation": "constrained"}'
                 WHEN (i // 50) % 4 = 3 THEN '{"reservation": "prohibited"}' END::JSON
FROM range($n) t(i) WHERE i % 50 = 7
"""


def build_store(con, items: int, authors: int) -> None:
    """Generate ``items`` items by ``authors`` authors and their findings into ``con``."""
    for sql in (ITEMS_SQL, FINDINGS_SQL, MEDIA_SQL):
        con.execute(sql.replace("$authors", str(authors)).replace("$n", str(items)))
    con.execute("INSERT INTO extra_columns VALUES ('subreddit', 'VARCHAR')")
    con.execute("CHECKPOINT")


def timed_evaluation(con, ruleset, items: int) -> None:
    """Evaluate ``ruleset`` once and print wall/CPU seconds, load, phases and flags per rule."""
    cpu = os.times()
    summary = evaluate_rules(con, ruleset, "bench")
    cpu_s = sum(os.times()[:2]) - sum(cpu[:2])  # user + sys of all DuckDB threads
    print(
        f"evaluated {len(ruleset)} rules in {summary.seconds:.1f} s wall, {cpu_s:.1f} s CPU "
        f"({os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}) — "
        f"{items / summary.seconds:,.0f} items/s, {summary.flags:,} flags"
    )
    print("  phases: " + ", ".join(f"{k} {v:.1f} s" for k, v in summary.phase_seconds.items()))
    for rule_id, flags in sorted(summary.per_rule.items(), key=lambda kv: -kv[1]):
        print(f"  {flags:>11,}  {rule_id}")
    for rule_id, why in summary.skipped.items():
        print(f"  skipped {rule_id}: {why}")


def main() -> None:
    """Build the store, evaluate the shipped pack, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=10_000_000)
    parser.add_argument("--authors", type=int, default=None, help="default: items / 20")
    parser.add_argument("--rules", type=Path, default=Path(__file__).parent.parent / "rules")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        con = open_store(Path(tmp) / "audit.duckdb")
        started = time.perf_counter()
        build_store(con, args.items, args.authors or max(1, args.items // 20))
        findings = con.execute("SELECT count(*) FROM findings").fetchall()[0][0]
        print(
            f"generated {args.items:,} items, {findings:,} findings in {time.perf_counter() - started:.1f} s"
        )
        timed_evaluation(con, load_rules(args.rules), args.items)
        con.close()


if __name__ == "__main__":
    main()
