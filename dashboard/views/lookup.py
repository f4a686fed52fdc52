"""Data-subject lookup: "was I in this corpus?" by author id/handle or by a face photo.

Face matching is a Euclidean distance between 128-d face_recognition encodings, computed in
DuckDB over the encodings the faces detector stored. Results export as CSV for a takedown
response; an export is logged in access_log like any other disclosure.
"""

from __future__ import annotations

import hashlib

import pandas as pd
import streamlit as st

from audit.detectors.faces.reference import MATCH_DISTANCE
from audit.imageio import ImageLoadError
from dashboard.lib import data, state
from dashboard.lib.db import DatabaseBusy
from dashboard.lib.faces import UploadedFace, encode_photo
from dashboard.lib.style import page_header, severity_styler

db, run_id = state.context()

page_header(
    "Data-subject lookup",
    "Answer “was I in this corpus?”: find every item by an author, or every image showing a "
    "person's face, with its flag status. Export the list for a takedown response.",
)


@st.cache_data(max_entries=16, show_spinner="Finding faces in the photo…")
def _faces(digest: str, payload: bytes, suffix: str) -> list[UploadedFace]:
    """Encodings of an uploaded photo (keyed on its hash so a rerun does not recompute)."""
    return encode_photo(payload, suffix)


def _log_export(item_ids: list[str]) -> None:
    try:
        for item_id in item_ids:
            data.log_access(db, item_id, "export_lookup", state.reviewer())
    except DatabaseBusy as exc:
        st.error(str(exc))


def _results(df: pd.DataFrame, key: str, extra: list[str] | None = None) -> None:
    """Matching items with their flag status, and a CSV export."""
    if df.empty:
        st.info("No matching items.")
        return
    flagged = int((df["n_flags"] > 0).sum())
    excluded = int(df["excluded"].sum())
    st.markdown(
        f"**{len(df):,}** matching items · **{flagged:,}** flagged · **{excluded:,}** on the "
        "exclusion list"
    )
    st.dataframe(
        severity_styler(
            df[
                [
                    "item_id",
                    *(extra or []),
                    "worst_severity",
                    "excluded",
                    "rules",
                    "platform",
                    "author_id",
                    "created_at",
                    "visibility",
                    "url",
                ]
            ],
            "worst_severity",
        ),  # fmt: skip
        hide_index=True,
        width="stretch",
        column_config={
            "worst_severity": "Worst severity",
            "distance": st.column_config.NumberColumn("Distance", format="%.3f"),
            "rules": st.column_config.ListColumn("Rules"),
            "url": st.column_config.LinkColumn("Source"),
            "created_at": st.column_config.DatetimeColumn("Posted", format="YYYY-MM-DD"),
        },
    )
    csv = df.assign(rules=df["rules"].map(lambda r: ";".join(r))).to_csv(index=False)
    who = state.reviewer()
    st.download_button(
        "Export CSV for takedown",
        data=csv.encode("utf-8"),
        file_name=f"lookup-{key}.csv",
        mime="text/csv",
        key=f"lookup_export_{key}",
        disabled=not who,
        help="Logged with your name." if who else "Enter your name in the sidebar to export.",
        on_click=_log_export,
        args=(df["item_id"].tolist(),),
    )


by_author, by_face = st.tabs(["By author id or handle", "By face photo"])

with by_author:
    who = st.text_input(
        "Author id or handle", key="lookup_author", placeholder="e.g. user123 or @someone"
    ).strip()
    if who:
        _results(data.lookup_author(db, run_id, who), "author")

with by_face:
    st.caption(
        "Upload a clear photo of the person. It is analysed in memory and never stored. "
        f"Lower distance = more similar; {MATCH_DISTANCE} is the calibrated threshold the "
        "consent registry's face requests use (docs/REGISTRY.md)."
    )
    photo = st.file_uploader("Photo", type=["jpg", "jpeg", "png", "webp"], key="lookup_photo")
    threshold = st.slider(
        "Match threshold (distance)", 0.3, 0.8, MATCH_DISTANCE, 0.01, key="lookup_thr"
    )
    if photo is not None:
        payload = photo.getvalue()
        suffix = "." + photo.name.rsplit(".", 1)[-1].lower() if "." in photo.name else ".jpg"
        try:
            faces = _faces(hashlib.sha256(payload).hexdigest(), payload, suffix)
        except ImageLoadError as exc:
            st.error(f"Cannot read this photo: {exc}")
            faces = []
        if not faces:
            st.warning("No face found in this photo. Try a larger, front-facing picture.")
        if faces:
            choice = 0
            if len(faces) > 1:
                choice = st.radio(
                    "Several faces found — which person?",
                    range(len(faces)),
                    format_func=lambda i: f"Face {i + 1}",
                    horizontal=True,
                    key="lookup_face_pick",
                )
            st.image(faces[choice].thumbnail, width=120, caption="Searching for this face")
            matches = data.lookup_face(db, run_id, faces[choice].encoding, threshold)
            _results(matches, "face", extra=["distance"])
