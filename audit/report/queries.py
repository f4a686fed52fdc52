"""Collect the report numbers from the store (audit/sql/report.sql) and write report.json.

:func:`collect_report` is the single producer of report data: report.html renders the
same dict, so the two files can never disagree.
"""

from __future__ import annotations

import datetime as dt
import decimal
import json
import re
from collections import defaultdict
from pathlib import Path
from typing import Any

import duckdb

from audit import atomic
from audit.declared_sql import fill_declared
from audit.report.masking import mask_evidence
from audit.store import query

#: report.json format version; bump when a key changes meaning or disappears.
REPORT_FORMAT = "1"

#: Flagged items shown per rule in the report sample.
SAMPLE_PER_RULE = 5

#: Groups shown per kind in the exposure-by-group tables, and the smallest group shown
#: (a 1-item author at 100% would otherwise outrank a 300-item source at 90%).
GROUP_LIMIT = 20
GROUP_MIN_ITEMS = 3

#: ``{report.NAME}`` inside a report.sql block includes block NAME (as a subquery's text).
REPORT_REF = re.compile(r"\{report\.([\w.-]+)\}")


def json_value(value: Any) -> Any:
    """A DuckDB value as JSON-safe Python (dates → ISO strings, decimals → floats)."""
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return float(value)
    return value


def fetch_dicts(
    con: duckdb.DuckDBPyConnection, sql: str, params: dict[str, Any]
) -> list[dict[str, Any]]:
    """Run ``sql`` and return JSON-safe dict rows.

    Only the parameters the SQL actually uses are bound (DuckDB rejects extra ones).
    """
    bound = {k: v for k, v in params.items() if f"${k}" in sql}
    cursor = con.execute(sql, bound)
    columns = [d[0] for d in cursor.description]
    return [
        {c: json_value(v) for c, v in zip(columns, row, strict=True)} for row in cursor.fetchall()
    ]


def expand_report_refs(sql: str) -> str:
    """``sql`` with every ``{report.NAME}`` replaced by report.sql block NAME (recursively).

    This is how one definition (e.g. ``group_keys``, an item's group) is shared by several
    blocks, and by the dashboard's queries, without copying SQL.
    """
    return REPORT_REF.sub(lambda m: report_query(m.group(1)), sql)


def report_query(name: str) -> str:
    """The report.sql block ``name`` with its ``{report.NAME}`` includes expanded and the
    fragments declared by the detectors (exposure categories, masking) filled in."""
    return fill_declared(expand_report_refs(query("report.sql", name)))


def rows(con: duckdb.DuckDBPyConnection, name: str, **params: Any) -> list[dict[str, Any]]:
    """Run the named block of report.sql (e.g. ``kpi_headline``) and return dict rows."""
    return fetch_dicts(con, report_query(name), params)


def group_tables(
    con: duckdb.DuckDBPyConnection,
    run_id: str,
    *,
    limit: int = GROUP_LIMIT,
    min_items: int = GROUP_MIN_ITEMS,
) -> dict[str, Any]:
    """report.sql ``kpi_groups`` for every kind in ``group_kinds``: the exposure-by-group tables.

    ``groups_total`` (groups of at least ``min_items`` items, before the limit) is lifted out
    of the rows; it is 0 when no group is that large.
    """
    kinds: dict[str, Any] = {}
    for k in rows(con, "group_kinds"):
        found = rows(
            con, "kpi_groups", run_id=run_id, group_kind=k["kind"], limit=limit, min_items=min_items
        )
        total = found[0]["groups_total"] if found else 0
        for r in found:
            del r["groups_total"]
        kinds[k["kind"]] = {"groups_total": total, "rows": found}
    return {"limit": limit, "min_items": min_items, "kinds": kinds}


def _flag_sample(con: duckdb.DuckDBPyConnection, run_id: str, per_rule: int) -> dict[str, list]:
    sample = rows(con, "flag_sample", run_id=run_id, per_rule=per_rule)
    secrets: dict[str, list[tuple[str, str]]] = defaultdict(list)
    item_ids = sorted({r["item_id"] for r in sample})
    for s in rows(con, "sample_secrets", item_ids=item_ids):
        secrets[s["item_id"]].append((s["value"], s["entity_type"]))
    by_rule: dict[str, list] = defaultdict(list)
    for r in sample:
        r["evidence"] = mask_evidence(r["evidence"], secrets.get(r["item_id"], ()))
        by_rule[r.pop("rule_id")].append(r)
    return dict(by_rule)


def collect_report(
    con: duckdb.DuckDBPyConnection,
    run_id: str,
    *,
    manifest: dict[str, Any] | None = None,
    sample_per_rule: int = SAMPLE_PER_RULE,
    group_limit: int = GROUP_LIMIT,
    group_min_items: int = GROUP_MIN_ITEMS,
) -> dict[str, Any]:
    """Every number of the report for ``run_id`` (KPI names = report.sql block names)."""
    from audit.assurance.summary import collect_assurance  # it reads this module's helpers

    if manifest is None:
        row = con.execute(query("report.sql", "run_manifest"), {"run_id": run_id}).fetchone()
        manifest = json.loads(row[0]) if row and row[0] else {}
    return {
        "format": REPORT_FORMAT,
        "run_id": run_id,
        "headline": rows(con, "kpi_headline", run_id=run_id)[0],
        "exposure": rows(con, "kpi_exposure"),
        "media": rows(con, "kpi_media")[0],
        "by_platform": rows(con, "kpi_by_platform", run_id=run_id),
        "by_month": rows(con, "kpi_by_month", run_id=run_id),
        "rules": rows(con, "kpi_rules", run_id=run_id),
        "skipped_rules": [
            {"rule_id": r["rule_id"], "reason": r["skip_reason"]}
            for r in rows(con, "kpi_rules", run_id=run_id)
            if r["skip_reason"]
        ],
        "severity": rows(con, "kpi_severity", run_id=run_id),
        "pii_types": rows(con, "kpi_pii_types"),
        "face_ages": rows(con, "kpi_face_ages"),
        "derivations": rows(con, "kpi_derivations"),
        "visibility_basis": rows(con, "kpi_visibility_basis"),
        "errors": rows(con, "kpi_errors", run_id=run_id),
        "groups": group_tables(con, run_id, limit=group_limit, min_items=group_min_items),
        "flag_sample": _flag_sample(con, run_id, sample_per_rule),
        "assurance": collect_assurance(con, run_id),
        "manifest": manifest,
    }


def write_json(path: str | Path, report: dict[str, Any]) -> None:
    """Write report.json atomically (stable key order, UTF-8)."""
    atomic.write_text(path, json.dumps(report, indent=2, ensure_ascii=False, default=str) + "\n")
