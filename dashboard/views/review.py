"""Review page: work through flagged items, record decisions, see and export the full history."""

from __future__ import annotations

import streamlit as st

from dashboard.lib import data, state
from dashboard.lib.item_panel import item_panel
from dashboard.lib.style import DECISION_LABELS, page_header

QUEUE_SIZE = 25

db, run_id = state.context()
scope = state.sidebar_filters(db, run_id)

page_header(
    "Review",
    "Confirm a flag, mark it a false positive, or send it to legal. Decisions are appended with "
    "your name and the time — earlier decisions are never changed — and can be exported.",
)
if not state.reviewer():
    st.warning("Enter your name under **Reviewer** in the sidebar to record decisions.")

queue_tab, history_tab = st.tabs(["Queue", "Decision history & export"])

with queue_tab:
    status = st.segmented_control(
        "Show",
        ["undecided", "confirmed", "false_positive", "needs_legal"],
        format_func=lambda d: "Not reviewed" if d == "undecided" else DECISION_LABELS[d],
        default="undecided",
        key="review_status",
    )
    iq = data.ItemQuery(decision=status or "", flagged_only=True, sort="severity")
    total = data.items_count(scope, iq)
    queue = data.items_page(scope, iq, 0, QUEUE_SIZE)
    st.caption(
        f"**{total:,}** flagged items in this state (most severe first; first {QUEUE_SIZE} shown)."
    )
    if queue.empty:
        st.success("Nothing left here.")
    else:
        labels = {
            r.item_id: f"{r.item_id} · {r.worst_severity} · {', '.join(r.rules)}"
            for r in queue.itertuples(index=False)
        }
        if st.session_state.get("review_item") not in labels:
            st.session_state["review_item"] = next(iter(labels))
        item_id = st.selectbox("Item", list(labels), format_func=labels.get, key="review_item")
        item_panel(db, run_id, item_id, key="review")

with history_tab:
    only = st.text_input("Only item", key="review_hist_item", placeholder="all items").strip()
    hist = data.decisions_history(db, only)
    st.dataframe(
        hist.assign(decision=hist["decision"].map(DECISION_LABELS.get)),
        hide_index=True,
        width="stretch",
        column_config={"decided_at": st.column_config.DatetimeColumn("Decided (UTC)")},
    )
    st.caption("Newest 500 shown. Exports hold every decision.")
    left, right, _ = st.columns([1, 1, 3])
    left.download_button(
        "Export CSV",
        data=lambda: data.decisions_export(db, "csv"),
        file_name="decisions.csv",
        mime="text/csv",
        key="export_csv",
        on_click="ignore",
    )
    right.download_button(
        "Export Parquet",
        data=lambda: data.decisions_export(db, "parquet"),
        file_name="decisions.parquet",
        mime="application/vnd.apache.parquet",
        key="export_parquet",
        on_click="ignore",
    )
