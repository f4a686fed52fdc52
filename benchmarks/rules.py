"""Benchmark: evaluate the shipped rule pack over a generated store.

Builds N items (default 10 M) with DuckDB ``range()`` straight into a temporary audit
database, plus findings for a realistic fraction (30% of items with 1–2 PII findings, 5%
with faces, 1% with minor cues), then times ``evaluate_rules``. Prints seconds, items/s
and per-rule timings.

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
SELECT 'p' || i, ['reddit', 'mastodon', 'bluesky'][1 + i % 3], 'a' || (hash(i) % ($n // 20)),
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
SELECT 'p' || i, 'minor_cues', 'AGE_CUE', 1.0, 0, 8, NULL
FROM range($n) t(i) WHERE i % 100 = 11
"""


def main() -> None:
    """Build the store, evaluate the shipped pack, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=10_000_000)
    parser.add_argument("--rules", type=Path, default=Path(__file__).parent.parent / "rules")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        con = open_store(Path(tmp) / "audit.duckdb")
        started = time.perf_counter()
        con.execute(ITEMS_SQL.replace("$n", str(args.items)))
        con.execute(FINDINGS_SQL.replace("$n", str(args.items)))
        con.execute("INSERT INTO extra_columns VALUES ('subreddit', 'VARCHAR')")
        con.execute("CHECKPOINT")
        findings = con.execute("SELECT count(*) FROM findings").fetchall()[0][0]
        print(
            f"generated {args.items:,} items, {findings:,} findings in {time.perf_counter() - started:.1f} s"
        )
        ruleset = load_rules(args.rules)
        cpu = os.times()
        summary = evaluate_rules(con, ruleset, "bench")
        cpu_s = sum(os.times()[:2]) - sum(cpu[:2])  # user + sys of all DuckDB threads
        rate = args.items / summary.seconds
        print(
            f"evaluated {len(ruleset)} rules in {summary.seconds:.1f} s wall, {cpu_s:.1f} s CPU "
            f"({os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}) — {rate:,.0f} items/s, "
            f"{summary.flags:,} flags"
        )
        print("  phases: " + ", ".join(f"{k} {v:.1f} s" for k, v in summary.phase_seconds.items()))
        for rule_id, seconds in sorted(summary.rule_seconds.items(), key=lambda kv: -kv[1]):
            print(f"  {seconds:6.2f} s  {summary.per_rule[rule_id]:>11,}  {rule_id}")
        for rule_id, why in summary.skipped.items():
            print(f"  skipped {rule_id}: {why}")
        con.close()


if __name__ == "__main__":
    main()
