"""Groups page: the authors and sources with the highest share of flagged items.

One table per group kind (report.sql ``kpi_groups``, the same rows as report.json's
``groups`` when unfiltered); a group opens the Items page filtered to exactly its items.
"""

from __future__ import annotations

import html

import streamlit as st

from audit.report.queries import GROUP_LIMIT, GROUP_MIN_ITEMS
from audit.vocabulary import GROUP_KINDS
from dashboard.lib import data, state
from dashboard.lib.style import page_header, pct

db, run_id = state.context()
scope = state.sidebar_filters(db, run_id)

page_header(
    "Groups",
    "Authors and sources whose items are flagged most often: where a whole account, community "
    "or source may need one decision. Select a group to read its evidence and open its items.",
)

kinds = data.group_kinds(scope)
if not kinds:
    st.info("No items match the filters.")
    st.stop()
if st.session_state.get("groups_kind") not in kinds:
    st.session_state["groups_kind"] = kinds[0]
c1, c2, c3 = st.columns([3, 1, 1])
kind = c1.segmented_control(
    "Group by", kinds, format_func=lambda k: GROUP_KINDS.get(k, (k, k))[0], key="groups_kind"
)
kind = kind or kinds[0]  # a segmented control can be cleared; fall back to the first kind
min_items = int(
    c2.number_input(
        "Min. items per group",
        min_value=1,
        value=GROUP_MIN_ITEMS,
        key="groups_min",
        help="Smaller groups are left out so that a single flagged post does not top the list.",
    )
)
limit = int(
    c3.number_input("Show top", min_value=1, max_value=500, value=GROUP_LIMIT, key="groups_limit")
)

rows = data.groups(scope, kind, limit, min_items)
heading, key_label = GROUP_KINDS.get(kind, (kind, "Group"))
if rows.empty:
    st.info(f"No group has {min_items} or more items in the current filters.")
    st.stop()
total = int(rows["groups_total"].iloc[0])
st.caption(
    f"Top **{len(rows):,}** of {total:,} {heading.lower()} with ≥ {min_items} items, by flagged "
    "share, then size."
)

table = rows.assign(
    top_rules=rows["top_rules"].map(lambda rs: [f"{r['rule_id']} ({r['items']})" for r in rs]),
    evidence=rows["evidence"].map(lambda ev: "; ".join(ev)),
)
cols = ["rank", "group_key", "platform", "items", "flagged_items", "flagged_share",
        "excluded_items", "top_rules", "evidence"]  # fmt: skip
if kind != "author":
    cols.remove("platform")  # the platform is part of the key of authors only
event = st.dataframe(
    table[cols],
    hide_index=True,
    width="stretch",
    on_select="rerun",
    selection_mode="single-row",
    key=f"groups_table_{kind}",
    column_config={
        "rank": st.column_config.NumberColumn("#", width="small"),
        "group_key": st.column_config.TextColumn(key_label),
        "platform": "Platform",
        "items": st.column_config.NumberColumn("Items"),
        "flagged_items": st.column_config.NumberColumn("Flagged"),
        "flagged_share": st.column_config.ProgressColumn(
            "Flagged share", min_value=0.0, max_value=1.0, format="percent"
        ),
        "excluded_items": st.column_config.NumberColumn("Excluded"),
        "top_rules": st.column_config.ListColumn("Top rules (items)", width="medium"),
        "evidence": st.column_config.TextColumn(
            "Group evidence", width="large", help="What an aggregate rule recorded for the group"
        ),
    },
)

records = data.records(rows)
picked_rows = event.selection.rows if event is not None else []
if picked_rows:
    st.session_state["groups_pick"] = picked_rows[0]
if not isinstance(st.session_state.get("groups_pick"), int) or not (
    0 <= st.session_state["groups_pick"] < len(records)
):
    st.session_state["groups_pick"] = 0


def _label(i: int) -> str:
    r = records[i]
    return f"{r['group_key']} ({r['platform']})" if r["platform"] else str(r["group_key"])


pick = st.selectbox(key_label, range(len(records)), format_func=_label, key="groups_pick")
g = records[pick]
with st.container(border=True):
    where = f" · {html.escape(g['platform'])}" if g["platform"] else ""
    st.html(
        f"<h3 style='margin:0'>{html.escape(key_label)} <code>{html.escape(str(g['group_key']))}"
        f"</code>{where}</h3>"
    )
    m1, m2, m3, m4 = st.columns(4)
    m1.metric("Items", f"{g['items']:,}")
    m2.metric("Flagged", f"{g['flagged_items']:,} · {pct(g['flagged_items'], g['items'])}")
    m3.metric("Excluded", f"{g['excluded_items']:,}")
    m4.metric("Rank", f"{g['rank']:,} of {total:,}")
    if len(g["top_rules"]):
        st.markdown(
            "**Top rules.** "
            + "; ".join(
                f"`{r['rule_id']}` ({r['items']:,} item{'s' if r['items'] != 1 else ''})"
                for r in g["top_rules"]
            )
        )
    if len(g["evidence"]):
        # escaped HTML, not markdown: keys and rule words may hold *, _ or [ ]
        st.html(
            "<b>Group evidence</b> (aggregate rules)<ul>"
            + "".join(f"<li>{html.escape(str(e))}</li>" for e in g["evidence"])
            + "</ul>"
        )
    if st.button(f"Open its {g['items']:,} items →", type="primary", key="groups_open"):
        st.session_state["items_group"] = data.Group(kind, str(g["group_key"]), g["platform"])
        # the group's items, all of them: no rule, search or review filter left over
        st.session_state["items_flagged"] = False
        for k in ("items_rule", "items_search", "items_decision", "items_item"):
            st.session_state.pop(k, None)
        st.session_state["items_page"] = 0
        st.switch_page("views/items.py")
