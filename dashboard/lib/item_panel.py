"""Detail panel of one item: metadata, rules hit with evidence, masked caption, blurred image.

Sensitive values stay hidden by default. Revealing one item's PII values, unblurring its
image or revealing its exact position and camera identifiers is logged in ``access_log`` (reviewer, time) *before* anything is shown; if logging
fails nothing is revealed.
"""

from __future__ import annotations

import html
import math
from typing import Any

import pandas as pd
import streamlit as st

from audit.detectors.registry import box_blurring_detectors
from audit.imageio import ImageLoadError
from audit.report.masking import mask_evidence
from dashboard.lib import data, masking
from dashboard.lib.decision_form import decision_form
from dashboard.lib.images import faces_image
from dashboard.lib.media_panel import media_panel
from dashboard.lib.reveal import is_revealed, reveal_button
from dashboard.lib.style import DECISION_LABELS, badge

_META = ("platform", "author_id", "created_at", "visibility", "url", "license",
         "author_age_at_post", "opt_out", "noai", "deleted", "media_path", "source_file",
         "source_row")  # fmt: skip


def _clean(value: Any) -> Any:
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NaT:
        return None
    return value


def _metadata(item: dict[str, Any], secrets: list[tuple[str, str]]) -> None:
    rows = {k: _clean(item.get(k)) for k in _META if _clean(item.get(k)) is not None}
    extra = data.parse_json(item.get("extra"))
    if isinstance(extra, dict) and extra:
        rows["extra"] = extra
    st.json(masking.scrub_all({k: v if k == "extra" else str(v) for k, v in rows.items()}, secrets))


def _flags(flags: pd.DataFrame, secrets: list[tuple[str, str]]) -> None:
    if flags.empty:
        st.success("No rule flags this item in this run.")
        return
    for f in flags.itertuples(index=False):
        st.html(
            f"<div style='margin-top:.4rem'>{badge(f.severity)} <b>{html.escape(str(f.title or f.rule_id))}</b>"
            f" <code>{html.escape(f.rule_id)}</code> → {html.escape(str(f.action))}</div>"
        )
        with st.expander("Why (evidence)", expanded=False):
            if f.description:
                st.caption(f.description)
            # whitelisted keys only, detected values scrubbed: the report's evidence masking
            st.json(mask_evidence(f.evidence, secrets))


def _image(db: str, item: dict[str, Any], findings: pd.DataFrame) -> None:
    path = _clean(item.get("media_uri"))
    if not path:
        st.caption(
            "No image for this item." if not item.get("media_path") else "Image not on disk."
        )
        return
    status = _clean(item.get("media_status"))
    if status not in (None, "ok"):
        # The scan refused or failed to read this file (e.g. a symlink leading outside the
        # corpus): the dashboard must not read it either.
        st.caption(f"Image not shown: the scan did not read it ({status}).")
        return
    # boxes of every detector that declares them personal data (faces, text read in images)
    blurred = findings["detector"].isin(box_blurring_detectors())
    boxes = [
        list(b)
        for b in findings.loc[blurred, "bbox"]
        if b is not None and not (isinstance(b, float) and math.isnan(b))
    ]
    unblurred = is_revealed(item["item_id"], "unblur_image")
    try:
        im = faces_image(str(path), boxes, blur=not unblurred)
    except ImageLoadError as exc:
        st.warning(f"Cannot show the image: {exc}")
        return
    n = len(boxes)
    note = "" if not n else (" — faces shown" if unblurred else " — faces blurred")
    what = f"{n} region{'s' * (n != 1)} of personal data (faces, text in the image)"
    st.image(im, caption=f"{what}{note}" if n else "No face detected", width="stretch")
    if n:
        reveal_button(db, item["item_id"], "unblur_image", "Unblur faces")


def _caption(db: str, item: dict[str, Any], spans: list[masking.Span]) -> None:
    text = _clean(item.get("text")) or ""
    if not text:
        st.caption("No text.")
        return
    reveal = is_revealed(item["item_id"], "reveal_text")
    st.html(f'<div class="ca-caption">{masking.caption_html(text, spans, reveal=reveal)}</div>')
    if spans:
        reveal_button(db, item["item_id"], "reveal_text", "Reveal personal data")


def item_panel(db: str, run_id: str, item_id: str, *, key: str) -> None:
    """Render the full detail of ``item_id`` (or a notice when it does not exist)."""
    detail = data.item_detail(db, run_id, item_id)
    if detail is None:
        st.warning(f"No item `{item_id}` in this database.")
        return
    item, findings = detail.item, detail.findings
    text = _clean(item.get("text")) or ""
    spans = masking.spans_from_rows(findings.to_dict("records"))
    secrets = masking.secrets(text, spans)

    st.subheader(f"Item {item_id}")
    left, right = st.columns([3, 2], gap="large")
    with left:
        st.markdown("**Caption** (personal data masked)")
        _caption(db, item, spans)
        st.markdown("**Rules hit**")
        _flags(detail.flags, secrets)
    with right:
        _image(db, item, findings)
        with st.expander("Metadata", expanded=True):
            _metadata(item, secrets)
        with st.expander("Embedded in the image (EXIF, XMP, C2PA)", expanded=True):
            media_panel(db, item, findings)

    decisions, access = data.item_history(db, item_id)
    if decision_form(db, item_id, detail.flags["rule_id"].tolist(), key=key):
        decisions, access = data.item_history(db, item_id)
    hist_l, hist_r = st.columns(2, gap="large")
    with hist_l:
        st.markdown("**Decision history** (append-only, newest first, UTC)")
        if decisions.empty:
            st.caption("No decisions yet.")
        else:
            st.dataframe(
                decisions.assign(decision=decisions["decision"].map(DECISION_LABELS.get)),
                hide_index=True,
                width="stretch",
            )
    with hist_r:
        st.markdown("**Access log** (reveals of sensitive values)")
        if access.empty:
            st.caption("Nobody has revealed this item's values.")
        else:
            st.dataframe(access, hide_index=True, width="stretch")
