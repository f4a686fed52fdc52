"""The "Media metadata" section of report.html: signals embedded in the image files.

Rendered from ``report["media"]`` (report.sql ``kpi_media``), which holds counts only: no
GPS position, camera owner name or serial ever reaches the report.
"""

from __future__ import annotations

from html import escape
from typing import Any

from audit.report.html import _COLORS, _chart, _num, _pct, _section, _share_cell, _table

#: Signals in display order, with the label a privacy lead reads.
MEDIA_SIGNALS = {
    "gps": "GPS position in EXIF",
    "reservation_prohibited": "Training reservation: prohibited",
    "reservation_constrained": "Training reservation: constrained",
    "reservation_allowed": "Training reservation: allowed",
    "c2pa": "C2PA manifest",
    "camera_ids": "Camera identifiers (serial, owner, image id)",
    "stripped": "Metadata stripped (no EXIF, XMP or C2PA)",
}

#: Why an image could not be analysed, in display order.
MEDIA_GAPS = {
    "not_local": "Remote URL (never downloaded)",
    "missing": "File missing",
    "unreadable": "Unreadable or corrupt file",
    "not_scanned": "Not scanned by media_meta",
}


def media_section(report: dict[str, Any]) -> str:
    """Shares of analysed images per signal (chart + table) and the images not analysed."""
    import plotly.graph_objects as go

    m = report["media"]
    lead = (
        f"Signals embedded in the image files, over the {_num(m['analysed'])} of "
        f"{_num(m['images'])} images that could be read. Counts only: no position, owner "
        "name or serial is printed."
    )
    if not m["images"]:
        return _section("media", "Media metadata", lead, "<p class='empty'>No images.</p>")
    keys = list(MEDIA_SIGNALS)
    shares = [(m[f"share_{k}"] or 0) * 100 for k in keys]
    fig = go.Figure(
        go.Bar(
            x=list(reversed(shares)),
            y=[MEDIA_SIGNALS[k] for k in reversed(keys)],
            orientation="h",
            marker_color=_COLORS["accent"],
            text=[_pct(m[f"share_{k}"]) for k in reversed(keys)],
            textposition="outside",
            cliponaxis=False,
            hovertemplate="%{y}: %{x:.1f}% of analysed images<extra></extra>",
        )
    )
    fig.update_xaxes(
        title="% of analysed images", ticksuffix="%", range=[0, max(shares + [1]) * 1.25]
    )
    signals = _table(
        [("Signal", False), ("Images", True), ("Share of analysed", True)],
        [
            f"<tr><td>{escape(label)}</td><td class='num'>{_num(m[k])}</td>"
            f"{_share_cell(m[f'share_{k}'])}</tr>"
            for k, label in MEDIA_SIGNALS.items()
        ],
        "",
    )
    gaps = _table(
        [("Images", False), ("Count", True), ("Share of images", True)],
        [
            f"<tr><td>Analysed by media_meta</td><td class='num'>{_num(m['analysed'])}</td>"
            f"{_share_cell(m['analysed'] / m['images'])}</tr>",
            f"<tr><td>Not analysed</td><td class='num'>{_num(m['not_analysed'])}</td>"
            f"{_share_cell(m['not_analysed'] / m['images'])}</tr>",
            *(
                f"<tr><td class='sub'>{escape(label)}</td><td class='num'>{_num(m[k])}</td>"
                f"{_share_cell(m[k] / m['images'])}</tr>"
                for k, label in MEDIA_GAPS.items()
            ),
        ],
        "",
    )
    return _section(
        "media",
        "Media metadata",
        lead,
        f'<div class="grid2"><div>{_chart(fig, 320)}</div><div>{signals}'
        f"<h3 class='spaced'>{_num(m['images'])} images, {_num(m['not_analysed'])} not "
        f"analysed</h3>{gaps}"
        "</div></div>",
    )
