"""Session state shared by the pages: database path, run, reviewer and sidebar filters.

Widget values normally vanish when a page that does not draw the widget runs;
:func:`keep_widget_state` re-asserts them every run so filters and the reviewer name
survive page switches.
"""

from __future__ import annotations

import argparse
import os
import sys
from datetime import date, datetime, time, timedelta
from pathlib import Path

import streamlit as st

from audit.vocabulary import SEVERITIES
from dashboard.lib import data

DEFAULT_DB = Path("audit-out") / "audit.duckdb"
ENV_DB = "AUDIT_DB"
_KEPT_PREFIX = "f_"
REVIEWER_KEY = "f_reviewer"


def db_path(argv: list[str] | None = None) -> str:
    """The audit DB: ``--db`` after ``--`` of ``streamlit run``, else $AUDIT_DB, else the default."""
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--db")
    args, _ = parser.parse_known_args(sys.argv[1:] if argv is None else argv)
    return str(Path(args.db or os.environ.get(ENV_DB) or DEFAULT_DB).resolve())


def keep_widget_state() -> None:
    """Keep sidebar-filter and reviewer widgets alive across page switches."""
    for key in list(st.session_state.keys()):
        if isinstance(key, str) and key.startswith(_KEPT_PREFIX):
            st.session_state[key] = st.session_state[key]


def reviewer() -> str:
    """The reviewer name entered in the sidebar ('' when none)."""
    return str(st.session_state.get(REVIEWER_KEY) or "").strip()


def reviewer_input() -> None:
    """Sidebar field for the reviewer's name (written into decisions and access_log)."""
    st.sidebar.text_input(
        "Reviewer",
        key=REVIEWER_KEY,
        placeholder="Your name",
        help="Recorded with every decision and every reveal of a sensitive value.",
    )


def run_selector(db: str) -> str | None:
    """Sidebar choice of run (default: the latest completed run)."""
    latest = data.latest_run(db)
    if latest is None:
        return None
    run_ids = data.runs(db, latest)["run_id"].tolist() or [latest]
    if st.session_state.get("f_run") not in run_ids:
        st.session_state["f_run"] = latest
    return st.sidebar.selectbox(
        "Run", run_ids, key="f_run", help="Flags and rule metadata are per scan run."
    )


def _span(opts: dict) -> tuple[date, date] | None:
    if opts["first_post"] is None or opts["last_post"] is None:
        return None
    return opts["first_post"].date(), opts["last_post"].date()


def sidebar_filters(db: str, run_id: str) -> data.Scope:
    """Draw the filters (platform, dates, category, severity, after review); return the scope."""
    opts = data.filter_options(db, run_id)
    sb = st.sidebar
    sb.markdown("**Filters**")
    sb.multiselect("Platform", opts["platforms"], key="f_platforms", placeholder="All platforms")
    span = _span(opts)
    date_from = date_to = None
    if span is not None:
        st.session_state.setdefault("f_dates", span)
        picked = sb.date_input(
            "Posted between", key="f_dates", min_value=span[0], max_value=span[1]
        )
        if isinstance(picked, tuple | list) and len(picked) == 2 and tuple(picked) != span:
            # a partial range (one date clicked) keeps the previous full span
            date_from = datetime.combine(picked[0], time.min)
            date_to = datetime.combine(picked[1] + timedelta(days=1), time.min)
    sb.multiselect(
        "Rule category", opts["categories"], key="f_categories", placeholder="All categories"
    )
    sb.multiselect("Severity", list(SEVERITIES), key="f_severities", placeholder="All severities")
    sb.toggle(
        "After review",
        key="f_after_review",
        help="Leave out flags a reviewer marked as false positive (latest decision).",
    )
    after_review = bool(st.session_state.get("f_after_review"))
    return data.Scope(
        db=db,
        run_id=run_id,
        platforms=tuple(st.session_state.get("f_platforms") or ()),
        date_from=date_from,
        date_to=date_to,
        categories=tuple(st.session_state.get("f_categories") or ()),
        severities=tuple(st.session_state.get("f_severities") or ()),
        after_review=after_review,
        decisions_v=data.decisions_version(db),
    )


def set_context(db: str, run_id: str | None) -> None:
    """Record the database and run chosen by app.py for the pages of this run."""
    st.session_state["_db"] = db
    st.session_state["_run"] = run_id


def context() -> tuple[str, str]:
    """The (database path, run id) of this script run; stops the page when there is no run."""
    db, run_id = st.session_state.get("_db"), st.session_state.get("_run")
    if not db or not run_id:
        st.info("This audit database has no completed run yet. Run `audit scan` first.")
        st.stop()
    return db, run_id
