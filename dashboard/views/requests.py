"""Requests page: the consent registry as the selected run applied it (the report's rows).

Per request the items it covers by each way, when it was first honoured, and — first — the
requests that matched nothing, which a reviewer must check. Subjects are never shown.
"""

from __future__ import annotations

import streamlit as st

from dashboard.lib import data, state
from dashboard.lib.style import page_header

db, run_id = state.context()

page_header(
    "Requests",
    "Opt-out, erasure and objection requests from the consent registry (`audit scan … "
    "--registry FILE`): which items each covers, by account, URL, domain, e-mail, image copy "
    "or face. Requests that matched nothing come first: check them (a misspelt handle, an "
    "outdated URL).",
)
requests, removed = data.registry_requests(db, run_id)
if requests.empty:
    st.info("This run applied no consent registry.")
    st.stop()
unmatched = int((requests["status"] == "matched nothing").sum())
c1, c2, c3, c4 = st.columns(4)
c1.metric("Requests", f"{len(requests):,}")
c2.metric("Honoured", f"{len(requests) - unmatched:,}")
c3.metric("Matched nothing", f"{unmatched:,}")
c4.metric("Items covered", f"{int(requests['items'].sum()):,}")
if unmatched:
    st.warning(
        f"{unmatched} request(s) matched nothing in this corpus: a reviewer must check them."
    )
st.dataframe(
    requests.drop(columns=["source_file"]),
    hide_index=True,
    width="stretch",
    column_config={
        "request_id": "Request",
        "items": st.column_config.NumberColumn("Items"),
        "first_honoured": st.column_config.DatetimeColumn("First honoured (UTC)"),
        "source_line": st.column_config.NumberColumn("Line", format="%d"),
    },
)
if not removed.empty:
    st.caption("Withdrawn since the previous scan: " + ", ".join(removed["request_id"]))
