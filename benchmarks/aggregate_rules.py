"""Benchmark: the shipped pack's aggregate (group-level) rules over a generated store.

Same generated store as benchmarks/rules.py, by default 10 M items and 1 M authors
(10 items per author), evaluating only the rules that hold an ``aggregate`` condition
(by author, by subreddit). Prints wall and CPU seconds, the load average and flags per rule.

    uv run python benchmarks/aggregate_rules.py --items 1000000 --authors 100000
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from audit.rules import load_rules
from audit.rules.compile import compile_rule
from audit.rules.loader import RuleSet
from audit.store import open_store
from rules import build_store, timed_evaluation


def main() -> None:
    """Build the store, evaluate the aggregate rules of the pack, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=10_000_000)
    parser.add_argument("--authors", type=int, default=1_000_000)
    parser.add_argument("--rules", type=Path, default=Path(__file__).parent.parent / "rules")
    args = parser.parse_args()
    pack = load_rules(args.rules)
    aggregates = [r for r in pack.rules if compile_rule(r).is_aggregate]
    with tempfile.TemporaryDirectory() as tmp:
        con = open_store(Path(tmp) / "audit.duckdb")
        started = time.perf_counter()
        build_store(con, args.items, args.authors)
        print(
            f"generated {args.items:,} items by {args.authors:,} authors "
            f"in {time.perf_counter() - started:.1f} s"
        )
        timed_evaluation(con, RuleSet(aggregates, pack.root, pack.digest), args.items)
        con.close()


if __name__ == "__main__":
    main()
