"""The decision form shared by the Items detail panel and the Review page.

A decision is appended (never updated) with the reviewer's name and a UTC time; a locked
database gives a clear message and nothing is recorded.
"""

from __future__ import annotations

import streamlit as st

from audit.vocabulary import DECISIONS
from dashboard.lib import data, state
from dashboard.lib.db import DatabaseBusy
from dashboard.lib.style import DECISION_LABELS

WHOLE_ITEM = "(whole item)"


def decision_form(db: str, item_id: str, rule_ids: list[str], key: str) -> bool:
    """Draw the form for ``item_id``; return True when a decision was recorded."""
    with st.form(f"decide_{key}_{item_id}", clear_on_submit=True, border=True):
        st.markdown(f"**Record a decision** on `{item_id}`")
        left, right = st.columns([1, 1])
        with left:
            rule = st.selectbox(
                "Applies to",
                [WHOLE_ITEM, *rule_ids],
                key=f"dec_{key}_rule",
                help="A whole-item false positive dismisses every flag of the item.",
            )
        with right:
            decision = st.radio(
                "Decision",
                DECISIONS,
                format_func=DECISION_LABELS.get,
                horizontal=True,
                key=f"dec_{key}_decision",
            )
        comment = st.text_area("Comment", key=f"dec_{key}_comment", height=80)
        submitted = st.form_submit_button("Record decision", type="primary")
    if not submitted:
        return False
    who = state.reviewer()
    if not who:
        st.error("Enter your name under **Reviewer** in the sidebar first; nothing was recorded.")
        return False
    try:
        at = data.append_decision(
            db, item_id, None if rule == WHOLE_ITEM else rule, decision, who, comment
        )
    except DatabaseBusy as exc:
        st.error(str(exc))
        return False
    st.toast(f"Recorded {DECISION_LABELS[decision]} on {item_id} by {who}", icon="✅")
    st.success(f"Recorded **{DECISION_LABELS[decision]}** by {who} at {at:%Y-%m-%d %H:%M:%S} UTC.")
    return True
