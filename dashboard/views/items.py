"""Items page: a filterable, sortable, paginated table over the whole corpus, and item detail.

Only one page of rows ever leaves DuckDB; the total is counted in SQL. ``?rule=`` and
``?item=`` in the URL (or the Rules page) pre-filter the table and open an item;
``?group_kind=author&group=<id>&group_platform=<platform>`` (or the Groups page) shows one
author's or source's items.
"""

from __future__ import annotations

import math

import streamlit as st

from audit.vocabulary import GROUP_KINDS
from dashboard.lib import data, state
from dashboard.lib.item_panel import item_panel
from dashboard.lib.style import DECISION_LABELS, page_header, severity_styler

PAGE_SIZE = 50
ANY_RULE = "Any rule"
DECISION_FILTERS = {"": "Any", "undecided": "Not reviewed", **DECISION_LABELS}

db, run_id = state.context()
scope = state.sidebar_filters(db, run_id)

page_header(
    "Items",
    "Drill down from the figures to single items. Personal data stays masked and faces blurred "
    "until you reveal them, and every reveal is logged.",
)

# deep links: ?rule=<id>&item=<id>
qp = st.query_params
if "rule" in qp and st.session_state.get("_qp_rule") != qp["rule"]:
    st.session_state["items_rule"] = st.session_state["_qp_rule"] = qp["rule"]
if "item" in qp and "items_item" not in st.session_state:
    st.session_state["items_item"] = qp["item"]
if "group_kind" in qp and "group" in qp:
    link = data.Group(qp["group_kind"], qp["group"], qp.get("group_platform"))
    if st.session_state.get("_qp_group") != link:
        st.session_state["items_group"] = st.session_state["_qp_group"] = link
        st.session_state["items_flagged"] = False
group: data.Group | None = st.session_state.get("items_group")
if group is not None:
    where = f" on {group.platform}" if group.platform else ""
    g_left, g_right = st.columns([5, 1])
    label = GROUP_KINDS.get(group.kind, (group.kind, group.kind))[1].lower()
    g_left.info(f"Only the items of {label} `{group.key}`{where}, flagged or not.")
    if g_right.button("Show all items", key="items_group_clear", width="stretch"):
        del st.session_state["items_group"]
        for k in ("group_kind", "group", "group_platform"):
            st.query_params.pop(k, None)
        st.rerun()

rule_ids = data.rule_stats(scope)["rule_id"].tolist()
if st.session_state.get("items_rule") not in (None, ANY_RULE, *rule_ids):
    st.session_state["items_rule"] = ANY_RULE
c1, c2, c3, c4, c5 = st.columns([2.2, 1.6, 1.2, 1.3, 1.2])
rule = c1.selectbox("Rule", [ANY_RULE, *rule_ids], key="items_rule")
search = c2.text_input("Item or author id starts with", key="items_search")
decision = c3.selectbox(
    "Review status", list(DECISION_FILTERS), format_func=DECISION_FILTERS.get, key="items_decision"
)
sort = c4.selectbox(
    "Sort by", list(data.SORT_KEYS), format_func=data.SORT_KEYS.get, key="items_sort"
)
with c5:
    descending = st.toggle("Descending", value=True, key="items_desc")
    # default set through session state: the Groups page turns it off when drilling down
    st.session_state.setdefault("items_flagged", True)
    flagged_only = st.toggle("Flagged only", key="items_flagged")

iq = data.ItemQuery(
    rule_id=None if rule == ANY_RULE else rule,
    search=search.strip(),
    flagged_only=flagged_only,
    decision=decision,
    sort=sort,
    descending=descending,
    group_kind=group.kind if group else "",
    group_key=group.key if group else "",
    group_platform=group.platform if group else None,
)
total = data.items_count(scope, iq)
pages = max(1, math.ceil(total / PAGE_SIZE))
if iq != st.session_state.get("_items_iq"):  # new filters start on page 1
    st.session_state["_items_iq"] = iq
    st.session_state["items_page"] = 0
page = min(int(st.session_state.get("items_page", 0)), pages - 1)

rows = data.items_page(scope, iq, page, PAGE_SIZE)
st.caption(f"**{total:,}** items · page {page + 1:,} of {pages:,} · select a row to open the item")
table = rows.assign(decision=rows["decision"].map(lambda d: DECISION_LABELS.get(d, "")))
event = st.dataframe(
    severity_styler(
        table[
            [
                "item_id",
                "worst_severity",
                "n_flags",
                "rules",
                "platform",
                "author_id",
                "created_at",
                "visibility",
                "decision",
            ]
        ],  # fmt: skip
        "worst_severity",
    ),
    hide_index=True,
    width="stretch",
    height=min(38 + 35 * max(len(table), 1), 420),
    on_select="rerun",
    selection_mode="single-row",
    key=f"items_table_{page}",
    column_config={
        "item_id": "Item",
        "worst_severity": st.column_config.TextColumn("Worst severity", width="small"),
        "n_flags": st.column_config.NumberColumn("Flags", width="small"),
        "rules": st.column_config.ListColumn("Rules"),
        "platform": "Platform",
        "author_id": "Author",
        "created_at": st.column_config.DatetimeColumn("Posted", format="YYYY-MM-DD"),
        "visibility": "Visibility",
        "decision": "Review",
    },
)

prev_col, mid, next_col = st.columns([1, 4, 1])
if prev_col.button("← Previous", disabled=page == 0, key="items_prev", width="stretch"):
    st.session_state["items_page"] = page - 1
    st.rerun()
if next_col.button("Next →", disabled=page >= pages - 1, key="items_next", width="stretch"):
    st.session_state["items_page"] = page + 1
    st.rerun()

picked = event.selection.rows if event is not None else []
if picked:
    st.session_state["items_item"] = str(rows.iloc[picked[0]]["item_id"])
item_id = mid.text_input("Open item", key="items_item", placeholder="item id").strip()

if item_id:
    st.query_params["item"] = item_id
    st.divider()
    item_panel(db, run_id, item_id, key="items")
