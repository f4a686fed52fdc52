"""Decoded image metadata of one item (detector media_meta), masked until revealed.

By default the GPS position is rounded to 2 decimals (about 1 km) and camera owner, serial,
image id and artist name are masked; *Reveal exact position and camera ids* logs a
``reveal_media`` access (reviewer, time) before the exact values are shown, like the PII
reveal. Values that are not personal (training reservation, rights, licences, C2PA) show.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import pandas as pd
import streamlit as st

from audit.detectors.media_meta.detector import EVIDENCE_DECIMALS
from dashboard.lib import data
from dashboard.lib.masking import MASK
from dashboard.lib.reveal import is_revealed, reveal_button

REVEAL_ACTION = "reveal_media"

#: Identifying EXIF values (entity type → label), masked unless revealed.
IDENTIFIERS = {
    "CAMERA_OWNER_NAME": "Camera owner",
    "CAMERA_SERIAL": "Camera serial",
    "IMAGE_UNIQUE_ID": "Image unique id",
    "ARTIST_NAME": "Artist",
}

#: Error codes that mean the image's metadata could not be read.
_UNREAD = ("media_not_local", "media_missing", "media_unreadable", "media_empty",
           "corrupt_image", "bad_metadata")  # fmt: skip


def _rounded(value: Any) -> float | None:
    try:
        return round(float(value), EVIDENCE_DECIMALS)
    except (TypeError, ValueError):
        return None


def decoded(rows: Iterable[dict[str, Any]], *, reveal: bool) -> dict[str, Any]:
    """What media_meta decoded from the image, as a JSON-able dict safe to show.

    Unless ``reveal``, the position is rounded and identifiers are replaced by the mask, so
    the exact values never leave the server.
    """
    out: dict[str, Any] = {}
    for r in rows:
        if r.get("detector") != "media_meta":
            continue
        kind = str(r.get("entity_type"))
        a = data.parse_json(r.get("attributes"))
        a = a if isinstance(a, dict) else {}
        if kind == "GPS_LOCATION":
            if reveal:
                out["GPS position (exact)"] = {
                    k: a.get(k) for k in ("lat", "lon", "alt", "timestamp") if a.get(k) is not None
                }
            else:
                out[f"GPS position (rounded to {EVIDENCE_DECIMALS} decimals)"] = {
                    "lat": _rounded(a.get("lat")),
                    "lon": _rounded(a.get("lon")),
                }
        elif kind in IDENTIFIERS:
            out[IDENTIFIERS[kind]] = str(a.get("value")) if reveal else MASK
        elif kind == "TRAINING_RESERVATION":
            out.setdefault("Training reservation", []).append(
                {"reservation": a.get("reservation"), "source": a.get("source")}
            )
        elif kind == "RIGHTS_STATEMENT":
            out["Rights statement"] = {k: v for k, v in a.items() if v}
        elif kind == "CC_LICENSE":
            out.setdefault("Creative Commons licence", []).append(a.get("url"))
        elif kind == "C2PA_MANIFEST":
            out["C2PA manifest"] = {
                "container": a.get("container"),
                "training_mining": a.get("training_mining"),
            }
        elif kind == "EMBEDDED_METADATA":
            out["Metadata blocks"] = [k for k in ("exif", "xmp", "c2pa") if a.get(k)]
    return out


def has_sensitive(rows: Iterable[dict[str, Any]]) -> bool:
    """Whether any finding holds a value that is masked until revealed."""
    return any(
        r.get("detector") == "media_meta"
        and (r.get("entity_type") == "GPS_LOCATION" or r.get("entity_type") in IDENTIFIERS)
        for r in rows
    )


def _unread_codes(item: dict[str, Any]) -> list[str]:
    errors = item.get("errors")
    if errors is None or (isinstance(errors, float) and math.isnan(errors)):
        return []
    return [str(c) for c in errors if str(c) in _UNREAD]


def media_panel(db: str, item: dict[str, Any], findings: pd.DataFrame) -> None:
    """Render the decoded metadata of ``item`` with its reveal button."""
    rows = data.records(findings)
    if not item.get("media_uri"):
        st.caption("No image for this item.")
        return
    item_id = str(item["item_id"])
    shown = decoded(rows, reveal=is_revealed(item_id, REVEAL_ACTION))
    if not shown:
        codes = _unread_codes(item)
        st.caption(
            f"Metadata not read ({', '.join(codes)})."
            if codes
            else "No EXIF, XMP or C2PA metadata in the file (stripped), or media_meta was not run."
        )
        return
    st.json(shown)
    if has_sensitive(rows):
        reveal_button(db, item_id, REVEAL_ACTION, "Reveal exact position and camera ids")
