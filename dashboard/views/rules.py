"""Rules page: what each policy rule flags, why, and how often; open a rule's items."""

from __future__ import annotations

import html

import streamlit as st

from dashboard.lib import data, state
from dashboard.lib.style import badge, page_header, severity_styler

db, run_id = state.context()
scope = state.sidebar_filters(db, run_id)

page_header(
    "Rules",
    "Every policy rule evaluated in this run, with how many items it flags in the current "
    "filters and how far review has got. Select a rule to read its rationale and open its items.",
)

rules = data.rule_stats(scope)
if rules.empty:
    st.info("This run has no rule catalog.")
    st.stop()

# A skipped rule's zero is not a finding, and a partly evaluated rule ran without some of
# its conditions: both are said before the table, with the reason.
for kind, column, head in (
    ("skipped", "skip_reason", "not evaluated in this run (their zero is not a finding)"),
    ("partly", "partial_reason", "evaluated without some of their conditions"),
):
    said = rules[rules["evaluated"] == kind]
    if not said.empty:
        lines = "\n".join(f"- `{r['rule_id']}`: {r[column]}" for r in data.records(said))
        st.warning(f"**{len(said)} rule(s) {head}:**\n{lines}")

cols = ["severity", "rule_id", "title", "category", "action", "evaluated", "items", "flags",
        "confirmed", "false_positive", "needs_legal"]  # fmt: skip
event = st.dataframe(
    severity_styler(rules[cols], "severity"),
    hide_index=True,
    width="stretch",
    on_select="rerun",
    selection_mode="single-row",
    key="rules_table",
    column_config={
        "severity": st.column_config.TextColumn("Severity", width="small"),
        "rule_id": "Rule",
        "title": st.column_config.TextColumn("Title", width="large"),
        "category": "Category",
        "action": "Action",
        "evaluated": st.column_config.TextColumn(
            "Evaluated", help="yes; partly (some conditions unknown here); skipped", width="small"
        ),
        "items": st.column_config.NumberColumn("Items", help="Items flagged in the filters"),
        "flags": None,
        "confirmed": st.column_config.NumberColumn("Confirmed", help="Latest decision per item"),
        "false_positive": st.column_config.NumberColumn("False pos."),
        "needs_legal": st.column_config.NumberColumn("Legal"),
    },
)

ids = rules["rule_id"].tolist()
picked_rows = event.selection.rows if event is not None else []
if picked_rows:
    st.session_state["rules_pick"] = ids[picked_rows[0]]
if st.session_state.get("rules_pick") not in ids:
    st.session_state["rules_pick"] = ids[0]
rule_id = st.selectbox("Rule", ids, key="rules_pick")
rule = next(r for r in data.records(rules) if r["rule_id"] == rule_id)

with st.container(border=True):
    st.html(
        f"<h3 style='margin:0'>{html.escape(str(rule['title'] or rule_id))}</h3>"
        f"<div style='margin:.3rem 0 .6rem 0'>{badge(rule['severity'])} "
        f"<code>{html.escape(rule_id)}</code> · action <b>{html.escape(str(rule['action']))}</b>"
        f" · category {html.escape(str(rule['category']))} · status {html.escape(str(rule['status']))}</div>"
    )
    left, right = st.columns([3, 1])
    with left:
        st.markdown(f"**What it flags.** {rule['description'] or '—'}")
        st.markdown(f"**Why it matters.** {rule['rationale'] or '—'}")
        if rule.get("skip_reason"):
            st.markdown(f"**Not evaluated in this run.** {rule['skip_reason']}")
        elif rule.get("partial_reason"):
            st.markdown(f"**Partly evaluated.** {rule['partial_reason']}")
        refs = rule["references"]
        if refs is not None and len(refs) > 0:
            st.markdown("**References.** " + "; ".join(str(r) for r in refs))
    with right:
        st.metric("Items flagged", f"{int(rule['items']):,}")
    if st.button(f"Open its {int(rule['items']):,} items →", type="primary", key="rules_open"):
        st.session_state["items_rule"] = rule_id
        st.session_state.pop("items_group", None)  # a rule's items, not one group's
        st.session_state["items_page"] = 0
        st.switch_page("views/items.py")
