"""Overview page: headline consent/exposure figures and where the flags are."""

from __future__ import annotations

import streamlit as st

from audit.report.html_media import MEDIA_GAPS, MEDIA_SIGNALS
from dashboard.lib import charts, data, state
from dashboard.lib.style import kpi_cards, page_header, pct

db, run_id = state.context()
scope = state.sidebar_filters(db, run_id)

page_header(
    "Overview",
    "How much of the corpus is public, consent-safe, flagged and excluded in this run. "
    "Every figure follows the filters in the sidebar; unfiltered, they equal report.json.",
)

k = data.kpis(scope)
n = k["items"]
kpi_cards(
    [
        ("Items", f"{n:,}", "in the current filters", "#334155"),
        ("Public", pct(k["public"], n), f"{k['public']:,} posted publicly", "#38bdf8"),
        ("Consent-safe", pct(k["consent_safe"], n), "no opt-out or noai signal", "#16a34a"),
        ("Flagged", pct(k["flagged"], n), f"{k['flagged']:,} items with ≥1 flag", "#f97316"),
        ("Excluded", pct(k["excluded"], n), f"{k['excluded']:,} on the exclusion list", "#dc2626"),
    ]
)
if scope.after_review:
    st.caption("After review: flags a reviewer marked as false positive are left out.")

if n == 0:
    st.info("No items match the filters.")
    st.stop()

left, right = st.columns(2, gap="large")
with left:
    st.subheader("Exposure by category")
    st.plotly_chart(charts.exposure(data.chart_data(scope, "exposure")), key="c_exposure")
with right:
    st.subheader("Items by platform")
    st.plotly_chart(
        charts.items_by_platform(data.chart_data(scope, "items_by_platform")), key="c_platform"
    )

st.subheader("Apparent age of faces")
ages = data.chart_data(scope, "face_ages")
if ages.empty:
    st.caption("No face with an apparent age in the current filters.")
else:
    st.plotly_chart(charts.face_ages(ages), key="c_face_ages")
    st.caption(
        "Youngest-looking face per image, estimated from the face alone (faces stay blurred "
        "in the item view). The minors rules exclude from P(minor) 0.5 and send 0.02–0.5 to "
        "review; the Items page filtered by those rules lists them."
    )

st.subheader("Metadata embedded in the images")
m = data.media(scope)
if not m["images"]:
    st.caption("No item in the filters references an image.")
else:
    a = m["analysed"]
    kpi_cards(
        [
            ("GPS position", pct(m["gps"], a), f"{m['gps']:,} images with EXIF GPS", "#dc2626"),
            (
                "Training reserved",
                pct(m["reservation_prohibited"], a),
                f"{m['reservation_prohibited']:,} prohibited · "
                f"{m['reservation_constrained']:,} constrained · "
                f"{m['reservation_allowed']:,} allowed",
                "#7c3aed",
            ),
            ("C2PA", pct(m["c2pa"], a), f"{m['c2pa']:,} with a C2PA manifest", "#0ea5e9"),
            (
                "Camera ids",
                pct(m["camera_ids"], a),
                f"{m['camera_ids']:,} with serial / owner / image id",
                "#f97316",
            ),
            ("Stripped", pct(m["stripped"], a), f"{m['stripped']:,} with no metadata", "#16a34a"),
        ]
    )
    left, right = st.columns([3, 2], gap="large")
    with left:
        st.plotly_chart(charts.media_signals(m, MEDIA_SIGNALS), key="c_media")
    with right:
        st.markdown(
            f"**{m['images']:,} images**, {a:,} analysed by media_meta "
            f"({pct(a, m['images'])}); shares are of the analysed ones."
        )
        st.markdown("\n".join(f"- {label}: **{m[k]:,}**" for k, label in MEDIA_GAPS.items()))

left, right = st.columns(2, gap="large")
with left:
    st.subheader("Flagged items over time")
    df = data.chart_data(scope, "flags_over_time")
    if df.empty:
        st.caption("No dated flagged items.")
    else:
        st.plotly_chart(charts.flags_over_time(df), key="c_time")
with right:
    st.subheader("Visibility × faces and personal data")
    st.plotly_chart(
        charts.visibility_heatmap(data.chart_data(scope, "visibility_exposure")), key="c_heat"
    )

st.subheader("Flagged items by rule category")
df = data.chart_data(scope, "flags_by_category")
if df.empty:
    st.success("No flags in the current filters.")
else:
    st.plotly_chart(charts.flags_by_category(df), key="c_category")
st.caption("Bars are coloured by severity (an item's worst one); grey items have no flag.")
