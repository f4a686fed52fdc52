"""corpus-audit reviewer dashboard: entry point (st.navigation over dashboard/views/*.py).

Run it with ``audit dashboard [--db PATH]`` or
``streamlit run dashboard/app.py -- --db audit-out/audit.duckdb``.
"""

from __future__ import annotations

import sys
from pathlib import Path

# `streamlit run` puts dashboard/ on sys.path, not the repository root that holds the packages
_ROOT = Path(__file__).resolve().parents[1]
if str(_ROOT) not in sys.path:
    sys.path.insert(0, str(_ROOT))

import streamlit as st  # noqa: E402

from audit.store import StoreError  # noqa: E402
from dashboard.lib import state  # noqa: E402
from dashboard.lib.db import DatabaseBusy  # noqa: E402
from dashboard.lib.style import apply_theme  # noqa: E402

_VIEWS = Path(__file__).parent / "views"

st.set_page_config(page_title="corpus-audit · review", page_icon="🛡️", layout="wide")
apply_theme()
state.keep_widget_state()

pages = {
    "Audit": [
        st.Page(
            _VIEWS / "overview.py", title="Overview", icon=":material/monitoring:", default=True
        ),
        st.Page(_VIEWS / "rules.py", title="Rules", icon=":material/rule:"),
        st.Page(_VIEWS / "groups.py", title="Groups", icon=":material/groups:"),
        st.Page(_VIEWS / "items.py", title="Items", icon=":material/table_rows:"),
    ],
    "Act": [
        st.Page(_VIEWS / "review.py", title="Review", icon=":material/fact_check:"),
        st.Page(_VIEWS / "assurance.py", title="Assurance", icon=":material/verified:"),
        st.Page(_VIEWS / "lookup.py", title="Data-subject lookup", icon=":material/person_search:"),
        st.Page(_VIEWS / "requests.py", title="Requests", icon=":material/gavel:"),
    ],
    "History": [st.Page(_VIEWS / "runs.py", title="Runs", icon=":material/history:")],
}
nav = st.navigation(pages)

db = state.db_path()
try:
    run_id = state.run_selector(db)
except (StoreError, DatabaseBusy) as exc:
    st.title("corpus-audit")
    st.error(str(exc))
    st.caption("Start the dashboard with `audit dashboard --db PATH/audit.duckdb`.")
    st.stop()
state.reviewer_input()
state.set_context(db, run_id)
st.sidebar.caption(f"Database: `{db}`")
try:
    nav.run()
except DatabaseBusy as exc:
    st.error(str(exc))
