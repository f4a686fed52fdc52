"""Data access of the dashboard: named SQL blocks of ``audit/sql/dashboard.sql``, bound parameters.

Filtering, sorting, pagination and aggregation all happen in DuckDB; Python only receives
page-sized frames. Results are cached with ``st.cache_data`` keyed on the database path, the
run id, the filters and a decisions version (so an appended decision refreshes the figures
that depend on reviews). Streamlit is only used for that cache; the functions work anywhere.
"""

from __future__ import annotations

import io
import json
import re
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

import pandas as pd
import streamlit as st

from audit.declared_sql import fill_declared
from audit.report.queries import GROUP_LIMIT, GROUP_MIN_ITEMS, report_query
from audit.store import query
from audit.vocabulary import DECISIONS
from dashboard.lib.db import bind, reader, writer

SQL = "dashboard.sql"
REPORT_SQL = "report.sql"
_TTL = "10m"  # bounded memory; cache keys already change when the data does
_MAX = 256

#: Sort keys of the Items table (the SQL maps them; nothing is spliced into SQL).
SORT_KEYS: dict[str, str] = {
    "severity": "Worst severity",
    "created_at": "Posted",
    "n_flags": "Number of flags",
    "platform": "Platform",
    "item_id": "Item id",
}
ACCESS_ACTIONS = ("reveal_text", "unblur_image", "reveal_media", "export_lookup")


@dataclass(frozen=True)
class Scope:
    """Which data a page shows: run, sidebar filters, and the decisions version."""

    db: str
    run_id: str
    platforms: tuple[str, ...] = ()
    date_from: datetime | None = None
    date_to: datetime | None = None
    categories: tuple[str, ...] = ()
    severities: tuple[str, ...] = ()
    after_review: bool = False
    decisions_v: int = 0

    def params(self) -> dict[str, Any]:
        """The scope as named SQL parameters."""
        p = asdict(self)
        del p["db"], p["decisions_v"]
        for k in ("platforms", "categories", "severities"):
            p[k] = list(p[k])
        return p


@dataclass(frozen=True)
class ItemQuery:
    """Filters of the Items table on top of the scope."""

    rule_id: str | None = None
    search: str = ""
    flagged_only: bool = True
    decision: str = ""  # '' any, 'undecided', or one of audit.schema.DECISIONS
    sort: str = "severity"
    descending: bool = True
    # one group of the Groups page (report.sql group_items); '' = no group filter
    group_kind: str = ""
    group_key: str = ""
    group_platform: str | None = None

    def params(self) -> dict[str, Any]:
        """The table filters as named SQL parameters."""
        return asdict(self)


@dataclass(frozen=True)
class Group:
    """One row of the Groups page: what the Items page filters on when drilling down."""

    kind: str
    key: str
    platform: str | None = None

    def item_query(self) -> ItemQuery:
        """Every item of the group, flagged or not (the group's "items" figure)."""
        return ItemQuery(
            flagged_only=False, group_kind=self.kind, group_key=self.key,
            group_platform=self.platform,
        )  # fmt: skip


@dataclass
class ItemDetail:
    """Everything the detail panel shows about one item."""

    item: dict[str, Any]
    flags: pd.DataFrame
    findings: pd.DataFrame = field(default_factory=pd.DataFrame)


def run_sql(db: str, sql: str, params: dict[str, Any] | None = None) -> pd.DataFrame:
    """Run one read-only statement and return its result as a DataFrame."""
    with reader(db) as con:
        return con.execute(sql, bind(sql, params or {})).df()


_REPORT_REF = re.compile(r"\{report\.([\w.-]+)\}")

#: The filtered scope, inlined (dashboard.sql scope_* blocks).
SCOPE = ("scope_items", "scope_flags", "scope_item_view", "scope_item_flags")
#: The same scope reading the temp tables that :func:`overview` fills once per connection.
SHARED_SCOPE = ("scope_items", "scope_shared_flags", "scope_shared_rest")
#: How each shared temp table is filled: (table, scope blocks, body block). Order matters:
#: item_flags is summarised from the already filtered flags.
_SHARES = (
    ("shared_flags", ("scope_items", "scope_flags"), "share_flags"),
    ("shared_item_view", ("scope_items", "scope_item_view"), "share_item_view"),
    (
        "shared_item_flags",
        ("scope_items", "scope_shared_flags", "scope_item_flags"),
        "share_item_flags",
    ),
)
#: The Overview's figures (body blocks of dashboard.sql), all computed by :func:`overview`.
OVERVIEW_PARTS = (
    "kpis",
    "exposure",
    "face_ages",
    "media",
    "flags_by_category",
    "items_by_platform",
    "flags_over_time",
    "visibility_exposure",
)


def _with_report(sql: str) -> str:
    """``sql`` with each ``{report.NAME}`` replaced by report.sql block NAME as a subquery."""
    return fill_declared(_REPORT_REF.sub(lambda m: f"(\n{report_query(m.group(1))}\n)", sql))


def scoped(*blocks: str, scope: tuple[str, ...] = SCOPE) -> str:
    """Compose ``WITH <scope>[, item_rows] <body>``; the last block is the body.

    ``{report.NAME}`` in a block becomes the report.sql block NAME as a subquery: it reads the
    shadowed (filtered) ``items``/``flags``/``item_view`` of the scope, so the KPIs have one
    definition, shared with report.json.
    """
    *ctes, body = blocks
    parts = [_with_report(query(SQL, b)) for b in (*scope, *ctes)]
    return "WITH " + ",\n".join(parts) + "\n" + _with_report(query(SQL, body))


# --- run and version lookups (uncached: cheap, and they form the cache keys) -------------


def latest_run(db: str) -> str | None:
    """The run shown by default: the newest completed run (the report's own definition)."""
    df = run_sql(db, query(REPORT_SQL, "latest_run"))
    return None if df.empty else str(df.iloc[0, 0])


def decisions_version(db: str) -> int:
    """Grows with every appended decision."""
    return int(run_sql(db, query(SQL, "decisions_version")).iloc[0, 0])


# --- cached, scope-keyed queries -------------------------------------------------------------


@st.cache_data(ttl=_TTL, max_entries=_MAX, show_spinner=False)
def filter_options(db: str, run_id: str) -> dict[str, Any]:
    """Platforms, rule categories and the date span for the sidebar filters."""
    row = run_sql(db, query(SQL, "filter_options"), {"run_id": run_id}).iloc[0]
    return {
        "platforms": list(row["platforms"] if row["platforms"] is not None else []),
        "categories": list(row["categories"] if row["categories"] is not None else []),
        "first_post": None if pd.isna(row["first_post"]) else row["first_post"].to_pydatetime(),
        "last_post": None if pd.isna(row["last_post"]) else row["last_post"].to_pydatetime(),
    }


@st.cache_data(ttl=_TTL, max_entries=_MAX, show_spinner=False)
def overview(scope: Scope) -> dict[str, pd.DataFrame]:
    """Every figure of the Overview page (``OVERVIEW_PARTS``), computed on one connection.

    The filtered flags, the per-item flag summary and the narrow item_view are what each
    figure would otherwise recompute (~0.5-0.9 s each at 1M items); they are evaluated once
    into connection-local temp tables, which the figures then read through the same scope
    names (``SHARED_SCOPE``), so the report.sql KPI blocks still run unchanged.
    """
    params = scope.params()
    with reader(scope.db) as con:
        for table, blocks, body in _SHARES:
            # table names are the constants above, never user input
            sql = f"CREATE TEMP TABLE {table} AS " + scoped(body, scope=blocks)
            con.execute(sql, bind(sql, params))
        frames = {}
        for name in OVERVIEW_PARTS:
            sql = scoped(name, scope=SHARED_SCOPE)
            frames[name] = con.execute(sql, bind(sql, params)).df()
    return frames


def kpis(scope: Scope) -> dict[str, int]:
    """Item counts behind the KPI cards (items, public, consent_safe, flagged, excluded).

    Consent-safe items are those without an opt-out or noai signal (report.json's
    ``items - consent_signal_items``).
    """
    row = overview(scope)["kpis"].iloc[0]
    n = int(row["items"])
    return {
        "items": n,
        "public": int(row["public_items"]),
        "consent_safe": n - int(row["consent_signal_items"]),
        "flagged": int(row["flagged_items"]),
        "excluded": int(row["excluded_items"]),
    }


def chart_data(scope: Scope, name: str) -> pd.DataFrame:
    """Data of one Overview figure (a body block of dashboard.sql, run in the scope)."""
    if name not in OVERVIEW_PARTS:
        raise KeyError(name)
    return overview(scope)[name]


def media(scope: Scope) -> dict[str, Any]:
    """report.sql ``kpi_media`` in the scope: images, why some were not analysed, signals."""
    return records(overview(scope)["media"])[0]


@st.cache_data(ttl=_TTL, max_entries=_MAX, show_spinner=False)
def rule_stats(scope: Scope) -> pd.DataFrame:
    """Per-rule metadata of the run with flag counts in scope and review progress."""
    return run_sql(scope.db, scoped("rule_stats"), scope.params())


@st.cache_data(ttl=_TTL, max_entries=_MAX, show_spinner=False)
def group_kinds(scope: Scope) -> list[str]:
    """The group kinds the scope has data for (report.sql ``group_kinds``), in display order."""
    return run_sql(scope.db, scoped("group_kinds"), scope.params())["kind"].tolist()


@st.cache_data(ttl=_TTL, max_entries=_MAX, show_spinner=False)
def groups(
    scope: Scope, kind: str, limit: int = GROUP_LIMIT, min_items: int = GROUP_MIN_ITEMS
) -> pd.DataFrame:
    """report.sql ``kpi_groups`` in the scope: the most exposed groups of ``kind``.

    Unfiltered, the rows equal report.json's ``groups.kinds[kind].rows``.
    """
    params = scope.params() | {"group_kind": kind, "limit": limit, "min_items": min_items}
    return run_sql(scope.db, scoped("groups"), params)


@st.cache_data(ttl=_TTL, max_entries=_MAX, show_spinner=False)
def items_count(scope: Scope, iq: ItemQuery) -> int:
    """Number of rows of the Items table (counted in DuckDB)."""
    df = run_sql(scope.db, scoped("item_rows", "items_count"), scope.params() | iq.params())
    return int(df.iloc[0, 0])


@st.cache_data(ttl=_TTL, max_entries=_MAX, show_spinner=False)
def items_page(scope: Scope, iq: ItemQuery, page: int, page_size: int) -> pd.DataFrame:
    """One page (0-based) of the Items table, sorted in DuckDB."""
    params = scope.params() | iq.params() | {"limit": page_size, "offset": page * page_size}
    return run_sql(scope.db, scoped("item_rows", "items_page"), params)


# --- one item ------------------------------------------------------------------------------


@st.cache_data(ttl=_TTL, max_entries=_MAX, show_spinner=False)
def item_detail(db: str, run_id: str, item_id: str) -> ItemDetail | None:
    """Metadata, flags (with evidence) and findings of one item; None if it does not exist."""
    p = {"run_id": run_id, "item_id": item_id}
    with reader(db) as con:
        items = con.execute(query(SQL, "item_detail"), bind(query(SQL, "item_detail"), p)).df()
        if items.empty:
            return None
        flags = con.execute(query(SQL, "item_flags"), p).df()
        findings = con.execute(query(SQL, "item_findings"), {"item_id": item_id}).df()
    flags["evidence"] = flags["evidence"].map(parse_json)
    return ItemDetail(items.iloc[0].to_dict(), flags, findings)


def item_history(db: str, item_id: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Decisions and sensitive-value accesses of one item, newest first (never cached)."""
    with reader(db) as con:
        decisions = con.execute(query(SQL, "item_decisions"), {"item_id": item_id}).df()
        access = con.execute(query(SQL, "item_access"), {"item_id": item_id}).df()
    return decisions, access


def records(df: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as dicts with missing values (NaN, NA, NaT) as None, safe to test for truth."""
    return [
        {
            k: (None if not isinstance(v, list | tuple) and _is_missing(v) else v)
            for k, v in r.items()
        }
        for r in df.to_dict("records")
    ]


def _is_missing(value: Any) -> bool:
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):  # arrays: never "missing" as a whole
        return False


def parse_json(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


# --- decisions -------------------------------------------------------------------------------


def decisions_history(db: str, item_id: str = "", limit: int = 500) -> pd.DataFrame:
    """The newest ``limit`` decisions (all items, or one), never cached."""
    sql = query(SQL, "decisions_history")
    return run_sql(db, sql, {"item_id": item_id, "limit": limit})


def decisions_export(db: str, fmt: str) -> bytes:
    """Every decision as CSV or Parquet bytes, for st.download_button."""
    with reader(db) as con:
        table = con.execute(query(SQL, "decisions_export")).to_arrow_table()
    if fmt == "csv":
        return table.to_pandas().to_csv(index=False).encode("utf-8")
    if fmt == "parquet":
        import pyarrow.parquet as pq  # lazily: only needed for this export

        buf = io.BytesIO()
        pq.write_table(table, buf)
        return buf.getvalue()
    raise ValueError(f"unknown export format {fmt!r}")


def _checked_append(reviewer: str, what: str, value: str, allowed: tuple[str, ...]) -> str:
    """The stripped reviewer name of an append, after checking it and ``value``."""
    reviewer = reviewer.strip()
    if not reviewer:
        raise ValueError("a reviewer name is required")
    if value not in allowed:
        raise ValueError(f"{what} must be one of {allowed}")
    return reviewer


def append_decision(
    db: str, item_id: str, rule_id: str | None, decision: str, reviewer: str, comment: str
) -> datetime:
    """Append one decision (UTC timestamp) and return its time. Never updates a row."""
    reviewer = _checked_append(reviewer, "decision", decision, DECISIONS)
    at = _utcnow()
    with writer(db) as con:
        con.execute(
            query(SQL, "insert_decision"),
            {
                "item_id": item_id,
                "rule_id": rule_id,
                "decision": decision,
                "reviewer": reviewer,
                "comment": comment.strip() or None,
                "decided_at": at,
            },
        )
    return at


def log_access(db: str, item_id: str, action: str, reviewer: str) -> datetime:
    """Append one access to a sensitive value (reveal, unblur, export) to access_log."""
    reviewer = _checked_append(reviewer, "action", action, ACCESS_ACTIONS)
    at = _utcnow()
    with writer(db) as con:
        con.execute(
            query(SQL, "insert_access"),
            {"item_id": item_id, "action": action, "reviewer": reviewer, "accessed_at": at},
        )
    return at


def _utcnow() -> datetime:
    # stored naive in UTC, like every other timestamp of the store
    return datetime.now(UTC).replace(tzinfo=None)


# --- runs --------------------------------------------------------------------------------------


@st.cache_data(ttl=_TTL, max_entries=_MAX, show_spinner=False)
def runs(db: str, latest: str | None) -> pd.DataFrame:
    """Run history, newest first (``latest`` only keys the cache)."""
    return run_sql(db, query(SQL, "runs"))


@st.cache_data(ttl=_TTL, max_entries=_MAX, show_spinner=False)
def run_manifest(db: str, run_id: str) -> Any:
    """The manifest JSON of one run (parsed), or None."""
    df = run_sql(db, query(REPORT_SQL, "run_manifest"), {"run_id": run_id})
    return None if df.empty else parse_json(df.iloc[0, 0])


@st.cache_data(ttl=_TTL, max_entries=_MAX, show_spinner=False)
def run_diff(db: str, base: str, head: str) -> pd.DataFrame:
    """New and removed flags per rule between two runs."""
    return run_sql(db, query(SQL, "run_diff"), {"base": base, "head": head})


# --- data-subject lookup ----------------------------------------------------------------------


def items_status(db: str, run_id: str, item_ids: list[str]) -> pd.DataFrame:
    """Flag status of the given items in a run."""
    return run_sql(db, query(SQL, "items_status"), {"run_id": run_id, "item_ids": item_ids})


@st.cache_data(ttl=_TTL, max_entries=_MAX, show_spinner=False)
def lookup_author(db: str, run_id: str, who: str) -> pd.DataFrame:
    """Items posted by an author id or handle, with their flag status."""
    ids = run_sql(db, query(SQL, "lookup_author"), {"who": who})["item_id"].tolist()
    return items_status(db, run_id, ids)


@st.cache_data(ttl=_TTL, max_entries=_MAX, show_spinner=False)
def lookup_face(
    db: str, run_id: str, embedding: tuple[float, ...], threshold: float
) -> pd.DataFrame:
    """Items whose image shows a face within ``threshold`` of ``embedding`` (distance in DuckDB)."""
    hits = run_sql(
        db, query(SQL, "lookup_face"), {"embedding": list(embedding), "threshold": threshold}
    )
    status = items_status(db, run_id, hits["item_id"].tolist())
    out = status.merge(hits, on="item_id")
    return out.sort_values("distance").reset_index(drop=True)


# --- consent registry ---------------------------------------------------------------------------


@st.cache_data(ttl=_TTL, max_entries=_MAX, show_spinner=False)
def registry_requests(db: str, run_id: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The run's consent registry requests (report.sql ``kpi_requests``, the report's own rows)
    and the ones withdrawn since the previous scan."""
    params = {"run_id": run_id}
    return (
        run_sql(db, report_query("kpi_requests"), params),
        run_sql(db, report_query("kpi_requests_removed"), params),
    )
