"""Time every dashboard page on a synthetic audit DB of N items (default 1,000,000).

The DB is generated in DuckDB with range() through audit.store (items, PII and face findings
with 128-d embeddings, media_meta state and findings of the 200k images, flags of 6 rules in
two runs, decisions; source files and URLs for the Groups page), then each page is rendered
with Streamlit's AppTest — cold (caches cleared) and warm — and a table is printed.

    uv run python benchmarks/dashboard.py [--items 1000000] [--db /tmp/bench.duckdb]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import warnings
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import duckdb

warnings.filterwarnings("ignore")

ROOT = Path(__file__).resolve().parents[1]
# this file is named dashboard.py: keep benchmarks/ off sys.path so `dashboard` is the package
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "benchmarks"]
sys.path.insert(0, str(ROOT))
APP = ROOT / "dashboard" / "app.py"
RULES = [
    # rule_id, category, severity, action, condition over the generated columns
    ("consent.opted-out", "consent", "critical", "exclude", "opt_out"),
    ("minors.declared-under-18", "minors", "high", "exclude", "author_age_at_post < 18"),
    ("visibility.not-public", "visibility", "high", "exclude", "visibility <> 'public'"),
    ("pii.email", "pii", "medium", "redact", "n % 10 = 3"),
    ("faces.identifiable", "faces", "medium", "review", "n % 5 = 1"),
    ("consent.noai", "consent", "low", "review", "noai"),
]


def build(path: Path, n: int) -> None:
    """Generate the synthetic store (replaces ``path``)."""
    from audit.store import open_store

    path.unlink(missing_ok=True)
    con = open_store(path)
    con.execute(
        """
        INSERT INTO items (item_id, platform, author_id, created_at, text, media_path, visibility,
                           author_age_at_post, opt_out, noai, deleted, extra, media_uri,
                           source_file, url)
        SELECT 'it-' || lpad(n::VARCHAR, 8, '0'),
               ['mastodon', 'bluesky', 'reddit', 'twitter'][n % 4 + 1],
               'user' || (n % 50000),
               TIMESTAMP '2021-01-01' + to_minutes((n * 7919) % (4 * 365 * 24 * 60)),
               CASE WHEN n % 10 = 3 THEN 'mail me at someone' || n || '@example.org please'
                    ELSE 'post number ' || n END,
               CASE WHEN n % 5 = 1 THEN 'img/' || n || '.jpg' END,
               ['public', 'public', 'public', 'unlisted', 'followers', 'unknown'][n % 6 + 1],
               CASE WHEN n % 37 = 0 THEN 15 ELSE 20 + n % 40 END,
               n % 23 = 0, n % 29 = 0, n % 101 = 0,
               json_object('handle', '@user' || (n % 50000)),
               CASE WHEN n % 5 = 1 THEN 'img/' || n || '.jpg' END,
               'part-' || (n % 16) || '.parquet',
               'https://www.host' || (n % 1000) || '.example/p/' || n
        FROM range(?) t(n)
        """,
        [n],
    )
    con.execute(
        """
        INSERT INTO findings (item_id, detector, detector_version, entity_type, score, "start", "end")
        SELECT item_id, 'pii', '1', 'EMAIL_ADDRESS', 0.95, 11, 11 + length(split_part(text, ' ', 4))
        FROM items WHERE text LIKE 'mail me%'
        """
    )
    con.execute(
        """
        INSERT INTO cached_findings (detector, version, content_sha256, entity_type, score, bbox, embedding)
        SELECT 'faces', '1', 'sha-' || item_id, 'FACE', 1.0, [10, 90, 90, 10],
               list_transform(range(128), lambda x: (random() * 0.2 - 0.1)::FLOAT)
        FROM items WHERE media_path IS NOT NULL
        """
    )
    con.execute(
        """
        INSERT INTO findings (item_id, detector, detector_version, content_sha256, entity_type, score, bbox)
        SELECT item_id, 'faces', '1', 'sha-' || item_id, 'FACE', 1.0, [10, 90, 90, 10]
        FROM items WHERE media_path IS NOT NULL
        """
    )
    _media_meta(con)
    for k, run_id in enumerate(("run-1", "run-2")):
        con.execute(
            "INSERT INTO runs VALUES (?, TIMESTAMP '2024-01-01' + to_days(?), "
            "TIMESTAMP '2024-01-01' + to_days(?), 'complete', 'benchmark', '{}')",
            [run_id, k, k],
        )
        for rule_id, cat, sev, action, cond in RULES:
            con.execute(
                "INSERT INTO rule_catalog (run_id, rule_id, title, category, status, severity, "
                "action, description, rationale) VALUES (?, ?, ?, ?, 'stable', ?, ?, ?, ?)",
                [run_id, rule_id, rule_id, cat, sev, action, "benchmark rule", "benchmark"],
            )
            # the condition is one of the fixed strings above, never user input
            con.execute(
                f"""
                INSERT INTO flags
                SELECT ?, item_id, ?, ?, ?, '{{"conditions": ["{rule_id}"]}}'
                FROM (SELECT *, CAST(substr(item_id, 4) AS BIGINT) AS n FROM items)
                WHERE {cond} AND (? = 'run-2' OR n % 7 <> 0)
                """,
                [run_id, rule_id, sev, action, run_id],
            )
    con.execute(
        "INSERT INTO decisions (item_id, rule_id, decision, reviewer, decided_at) "
        "SELECT item_id, NULL, ['confirmed', 'false_positive', 'needs_legal'][n % 3 + 1], "
        "'bench', TIMESTAMP '2024-03-01' + to_seconds(n) "
        "FROM (SELECT item_id, row_number() OVER () AS n FROM flags WHERE run_id = 'run-2' LIMIT 5000)"
    )
    con.execute("CHECKPOINT")
    con.close()


def _media_meta(con: duckdb.DuckDBPyConnection) -> None:
    """media_meta state of the 200k images: 1 in 5 remote, the rest read; some signals."""
    con.execute(
        """
        INSERT INTO media_files
        SELECT media_uri, 'sha-' || item_id, 1000,
               CASE WHEN hash(item_id) % 5 = 0 THEN 'not_local' ELSE 'ok' END, NULL, now()
        FROM items WHERE media_uri IS NOT NULL
        """
    )
    con.execute(
        "INSERT INTO analysed SELECT 'media_meta', '1', content_sha256, 'ok', NULL, 0, now() "
        "FROM media_files WHERE status = 'ok'"
    )
    con.execute(
        """
        INSERT INTO findings (item_id, detector, detector_version, content_sha256, entity_type,
                              attributes)
        SELECT i.item_id, 'media_meta', '1', m.content_sha256, t.entity_type, t.attributes::JSON
        FROM items i JOIN media_files m ON m.media_uri = i.media_uri AND m.status = 'ok'
        JOIN (VALUES (3, 'EMBEDDED_METADATA', '{"exif": true}'),
                     (7, 'GPS_LOCATION', '{"lat": 48.85, "lon": 2.29}'),
                     (11, 'TRAINING_RESERVATION', '{"reservation": "prohibited"}'),
                     (13, 'C2PA_MANIFEST', '{"container": "jumbf"}'),
                     (17, 'CAMERA_SERIAL', '{"value": "SN"}')) t(k, entity_type, attributes)
          ON hash(i.item_id) % t.k = 0 AND (t.k = 3 OR hash(i.item_id) % 3 = 0)
        """
    )


def time_pages(db: Path) -> list[tuple[str, float, float]]:
    """(page, cold seconds, warm seconds) for every page via AppTest."""
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    os.environ["AUDIT_DB"] = str(db)
    at = AppTest.from_file(str(APP), default_timeout=300).run()  # imports, warms nothing else
    cases = [
        ("overview", "overview", {}),
        ("rules", "rules", {}),
        ("groups", "groups (authors)", {}),
        ("items", "items", {}),
        ("items", "items (item open)", {"item": "it-00000003"}),
        # the Groups page's drill-down: one author's 20 items
        ("items", "items (one group)", {"group_kind": "author", "group": "user42",
                                        "group_platform": "reddit"}),
        ("review", "review", {}),
        ("lookup", "lookup", {}),
        ("runs", "runs", {}),
    ]  # fmt: skip
    out = []
    for page, label, query in cases:
        timings = []
        for cold in (True, False):
            if cold:
                st.cache_data.clear()
            at.query_params.clear()
            at.query_params.update(query)
            t = time.perf_counter()
            at.switch_page(f"views/{page}.py").run()
            timings.append(time.perf_counter() - t)
            if at.exception:
                raise RuntimeError(f"{page}: {at.exception[0].value}")
        out.append((label, *timings))
    return out


def time_groups(db: Path) -> list[tuple[str, float, float]]:
    """The exposure-by-group table of every kind (report.sql kpi_groups, top 20, min 3 items)."""
    import streamlit as st

    from dashboard.lib import data

    scope = data.Scope(db=str(db), run_id=data.latest_run(str(db)))
    rows = []
    for kind in data.group_kinds(scope):
        st.cache_data.clear()
        t = time.perf_counter()
        data.groups(scope, kind)
        cold = time.perf_counter() - t
        t = time.perf_counter()
        data.groups(scope, kind)
        rows.append((f"groups: {kind}", cold, time.perf_counter() - t))
    return rows


def time_lookups(db: Path) -> list[tuple[str, float, float]]:
    """Author and face lookups (the face search scans every stored embedding in DuckDB)."""
    import streamlit as st

    from dashboard.lib import data

    run = data.latest_run(str(db))
    rows = []
    for label, call in (
        ("lookup: author handle", lambda: data.lookup_author(str(db), run, "@user42")),
        ("lookup: face (200k enc.)", lambda: data.lookup_face(str(db), run, (0.0,) * 128, 0.6)),
    ):
        st.cache_data.clear()
        t = time.perf_counter()
        call()
        cold = time.perf_counter() - t
        t = time.perf_counter()
        call()
        rows.append((label, cold, time.perf_counter() - t))
    return rows


def main() -> None:
    """Build (unless present) and time."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=1_000_000)
    parser.add_argument("--db", type=Path, default=Path("/tmp/dashboard-bench/audit.duckdb"))
    parser.add_argument("--rebuild", action="store_true")
    args = parser.parse_args()
    args.db.parent.mkdir(parents=True, exist_ok=True)
    if args.rebuild or not args.db.exists():
        t = time.perf_counter()
        build(args.db, args.items)
        print(f"built {args.items:,} items in {time.perf_counter() - t:.1f}s → {args.db}")
    rows = time_pages(args.db) + time_groups(args.db) + time_lookups(args.db)
    # the machine is shared: the load says how much the figures are worth
    print(
        f"\nload average {' '.join(f'{x:.2f}' for x in os.getloadavg())} on {os.cpu_count()} cores"
    )
    print(f"{'page':28} {'cold s':>8} {'warm s':>8}")
    for label, cold, warm in rows:
        print(f"{label:28} {cold:8.2f} {warm:8.2f}")


if __name__ == "__main__":
    main()
