"""Assurance page: residual-risk estimates with intervals, and the review queue of a sample."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from audit.assurance.plot import estimates_figure
from audit.errors import AuditError
from audit.vocabulary import REVIEW_CATEGORIES, REVIEW_POPULATIONS, REVIEW_STRATA
from dashboard.lib import assurance, state
from dashboard.lib.db import DatabaseBusy
from dashboard.lib.item_panel import item_panel
from dashboard.lib.style import page_header

db, run_id = state.context()

page_header(
    "Assurance",
    "Detectors miss things. Review a random sample of items per category (present or not) "
    "and see, with 95% intervals, how much personal data, how many minors and faces remain "
    "in what training keeps. Answers are appended with your name; nothing is changed.",
)
estimates_tab, queue_tab = st.tabs(["Residual risk", "Review queue"])


def _pct(x: float | None) -> str:
    return "–" if x is None or pd.isna(x) else f"{x * 100:.1f}%"


with estimates_tab:
    result = assurance.estimates(db, run_id, None, assurance.version(db))
    pops = list(result["populations"])
    if not pops:
        st.info("No review sample for this run yet: draw one in **Review queue**.")
    else:
        pop = st.segmented_control(
            "Population", pops, default=result["population"], key="assure_pop"
        )
        block = result["populations"].get(pop or result["population"])
        d = block["design"]
        how = f"stratified by {d['stratify']}" if d["stratify"] else "simple random sample"
        st.caption(
            f"**{pop}** — {REVIEW_POPULATIONS[pop]}: {d['population_size']:,} items; "
            f"{d['n']:,} drawn ({how}, seed {d['seed']})."
        )
        st.plotly_chart(estimates_figure(block["categories"]), key="assure_chart")
        rows = [
            {
                "category": c["label"],
                "reviewed": c["reviewed"],
                "present": c["present"],
                "estimate": _pct(c["estimate"]),
                "95% interval": f"{_pct(c['ci_low'])} – {_pct(c['ci_high'])}",
                "est. items": None if c["count"] is None else
                f"{c['count']:,} ({c['count_low']:,}–{c['count_high']:,})",
                f"n for ±{result['target_half_width'] * 100:g} pts": c["needed_for_target"],
                "more to review": c["more_needed"],
            }
            for c in block["categories"].values()
        ]  # fmt: skip
        st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")
        with st.expander("Rule precision"):
            prec = [
                {"rule": r["rule_id"], "flagged": r["flagged"],
                 "decided": r["from_decisions"]["decided"],
                 "precision (decisions)": _pct(r["from_decisions"]["precision"]),
                 "interval (decisions)": f"{_pct(r['from_decisions']['ci_low'])} – "
                 f"{_pct(r['from_decisions']['ci_high'])}",
                 "sampled": (r["from_reviews"] or {}).get("reviewed", 0),
                 "precision (sample)": _pct((r["from_reviews"] or {}).get("precision"))}
                for r in result["rule_precision"]
            ]  # fmt: skip
            st.dataframe(pd.DataFrame(prec), hide_index=True, width="stretch")
        with st.expander("Detector miss rates in kept items"):
            misses = pd.DataFrame(result["detector_miss_rates"])
            st.dataframe(misses, hide_index=True, width="stretch")

with queue_tab:
    with st.form("assure_draw", border=True):
        st.markdown("**Draw a sample** (the same settings draw the same items)")
        c1, c2, c3, c4 = st.columns(4)
        population = c1.selectbox("Population", list(REVIEW_POPULATIONS), key="assure_d_pop")
        n = c2.number_input("Items", min_value=1, value=200, step=50, key="assure_d_n")
        seed = c3.number_input("Seed", min_value=0, value=1, step=1, key="assure_d_seed")
        stratify = c4.selectbox("Stratify by", ["(none)", *REVIEW_STRATA], key="assure_d_strat")
        if st.form_submit_button("Draw"):
            try:
                design = assurance.draw(
                    db, run_id, population, int(n), int(seed),
                    None if stratify == "(none)" else stratify,
                )  # fmt: skip
                st.success(f"Sample {design.sample_id}: {design.n:,} items.")
            except (AuditError, DatabaseBusy) as exc:
                st.error(str(exc))
    drawn = assurance.samples(db, run_id)
    if drawn.empty:
        st.stop()
    sample_id = st.selectbox("Sample", drawn["sample_id"].tolist(), key="assure_sample")
    q = assurance.queue(db, sample_id)
    done = int(q["done"].sum())
    st.progress(done / len(q) if len(q) else 1.0, text=f"{done:,} of {len(q):,} items answered")
    open_items = q[~q["done"]]["item_id"].tolist()
    if not open_items:
        st.success("Every item of this sample is answered.")
        st.stop()
    item_id = st.selectbox("Item", open_items, key="assure_item")
    current = assurance.item_answers(db, item_id)
    with st.form(f"assure_answers_{item_id}", border=True):
        st.markdown(f"**Is it present in** `{item_id}`? (leave *not sure* to skip)")
        picked = {}
        for cat in REVIEW_CATEGORIES:
            old = current.get(cat.key)
            default = {True: 0, False: 1}.get(old, 2)  # type: ignore[arg-type]
            picked[cat.key] = st.radio(
                f"{cat.label} — {cat.question}", ["present", "absent", "not sure"],
                index=default, horizontal=True, key=f"assure_{item_id}_{cat.key}",
            )  # fmt: skip
        if st.form_submit_button("Record answers", type="primary"):
            answers = {k: v == "present" for k, v in picked.items() if v != "not sure"}
            if not state.reviewer():
                st.error("Enter your name under **Reviewer** in the sidebar first.")
            elif answers:
                try:
                    count = assurance.record(db, item_id, answers, state.reviewer())
                    st.toast(f"Recorded {count} answers on {item_id}", icon="✅")
                    st.rerun()
                except (AuditError, DatabaseBusy) as exc:
                    st.error(str(exc))
    item_panel(db, run_id, item_id, key="assure")
