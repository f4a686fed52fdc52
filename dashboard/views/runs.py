"""Runs page: scan history with manifests, and what changed between two runs."""

from __future__ import annotations

import streamlit as st

from dashboard.lib import data, state
from dashboard.lib.style import page_header

db, run_id = state.context()

page_header(
    "Runs",
    "Every `audit scan` recorded in this database, its manifest (versions, digests, counts, "
    "timings), and the flags that appeared or disappeared between two runs.",
)

runs = data.runs(db, data.latest_run(db))
st.dataframe(
    runs,
    hide_index=True,
    width="stretch",
    column_config={
        "run_id": "Run",
        "started_at": st.column_config.DatetimeColumn("Started (UTC)"),
        "finished_at": st.column_config.DatetimeColumn("Finished (UTC)"),
        "flags": st.column_config.NumberColumn("Flags"),
    },
)
ids = runs["run_id"].tolist()

manifest_col, diff_col = st.columns([2, 3], gap="large")
with manifest_col:
    st.subheader("Manifest")
    shown = st.selectbox("Run", ids, index=ids.index(run_id) if run_id in ids else 0, key="runs_m")
    manifest = data.run_manifest(db, shown)
    if manifest is None:
        st.caption("No manifest recorded.")
    else:
        st.json(manifest, expanded=1)

with diff_col:
    st.subheader("Diff between runs")
    if len(ids) < 2:
        st.info("Only one run so far: scan again to compare.")
    else:
        a, b = st.columns(2)
        base = a.selectbox("Base (older)", ids, index=1, key="runs_base")
        head = b.selectbox("Compared run (newer)", ids, index=0, key="runs_head")
        diff = data.run_diff(db, base, head)
        new, removed = int(diff["new_flags"].sum()), int(diff["removed_flags"].sum())
        m1, m2, m3 = st.columns(3)
        m1.metric("New flags", f"{new:,}")
        m2.metric("Removed flags", f"{removed:,}")
        m3.metric("Unchanged", f"{int(diff['unchanged'].sum()):,}")
        st.dataframe(
            diff,
            hide_index=True,
            width="stretch",
            column_config={
                "rule_id": "Rule",
                "new_flags": st.column_config.NumberColumn("New", format="+%d"),
                "removed_flags": st.column_config.NumberColumn("Removed", format="-%d"),
                "unchanged": "Unchanged",
            },
        )
