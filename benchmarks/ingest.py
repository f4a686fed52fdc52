"""Ingest throughput: generate an N-row canonical Parquet corpus with DuckDB, ingest it.

Prints rows/s and peak RSS. Target (2 cores): >= 1 M rows/s, peak RSS < 4 GB.

    uv run python benchmarks/ingest.py --rows 10000000
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from audit.ingest import ingest_corpus  # noqa: E402
from audit.store import open_store  # noqa: E402

# Canonical columns with realistic shapes: ids, a ~70-char caption, a relative media path
# on a third of the rows, mixed visibility, a few ages.
_GENERATE = """
COPY (
    SELECT
        'item-' || i AS item_id,
        (['mastodon', 'bluesky', 'reddit', 'app'])[1 + i % 4] AS platform,
        'user-' || (i % 100003) AS author_id,
        TIMESTAMP '2020-01-01' + to_seconds(i % 100000000) AS created_at,
        'post number ' || i || ' about the weather in town, see you at the market later' AS text,
        CASE WHEN i % 3 = 0 THEN 'images/img_' || (i % 5000) || '.jpg' END AS media_path,
        'https://example.org/p/' || i AS url,
        (['public', 'unlisted', 'followers', 'private', 'direct', 'public'])[1 + i % 6] AS visibility,
        CASE WHEN i % 50 = 0 THEN DATE '2005-01-01' + (i % 3000)::INTEGER END AS author_birth_date,
        NULL::INTEGER AS author_age_at_post,
        i % 17 = 0 AS opt_out,
        i % 23 = 0 AS noai,
        CASE WHEN i % 5 = 0 THEN 'CC-BY-4.0' END AS license,
        i % 101 = 0 AS deleted,
        (['news', 'pics', 'cats'])[1 + i % 3] AS subreddit
    FROM range(?) t(i)
) TO '{path}' (FORMAT parquet, ROW_GROUP_SIZE 122880)
"""


def main() -> None:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        corpus = Path(tmp) / "corpus.parquet"
        t0 = time.perf_counter()
        duckdb.connect().execute(_GENERATE.format(path=corpus), [args.rows])
        gen = time.perf_counter() - t0
        con = open_store(Path(tmp) / "audit.duckdb")
        summary = ingest_corpus(con, corpus)
        con.close()
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        size_mb = corpus.stat().st_size / 1e6
    print(f"rows generated      {args.rows:,} ({size_mb:.0f} MB parquet, {gen:.1f} s)")
    print(
        f"items ingested      {summary.items:,} (rejected {summary.rejected}, "
        f"row errors {summary.row_errors})"
    )
    print(f"ingest seconds      {summary.seconds:.2f}")
    print(f"rows/s              {args.rows / summary.seconds:,.0f}")
    print(f"peak RSS            {peak_mb:,.0f} MB")


if __name__ == "__main__":
    main()
