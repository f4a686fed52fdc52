"""The "Requests" section of report.html: the consent registry as the scan applied it.

Rendered from ``report["requests"]`` (report.sql ``kpi_requests`` and
``kpi_requests_removed``): request ids, kinds and counts only — the subjects (handles,
e-mail addresses, photos) are personal data and never reach the report.
"""

from __future__ import annotations

from html import escape
from typing import Any

from audit.report.html import _num, _section, _table

#: The ways a request can cover an item, as report.sql names their columns.
WAYS = (("by_author", "author"), ("by_url", "URL"), ("by_domain", "domain"),
        ("by_email", "e-mail"), ("by_image", "image copy"), ("by_face", "face"))  # fmt: skip


def requests_section(report: dict[str, Any]) -> str:
    """Per request: items covered by each way, first honoured, status; unmatched first."""
    data = report.get("requests") or {"rows": [], "removed": []}
    rows, removed = data["rows"], data["removed"]
    unmatched = [r for r in rows if r["status"] == "matched nothing"]
    new = [r for r in rows if r["since_last_scan"] in ("new", "changed")]
    body = []
    for r in rows:
        status = (
            '<span class="badge sev-high">matched nothing — review</span>'
            if r["status"] == "matched nothing"
            else escape(r["status"])
        )
        body.append(
            f"<tr><td><code>{escape(r['request_id'])}</code></td><td>{escape(r['kind'])}</td>"
            f"<td>{escape(r['subject_type'])}</td><td>{escape(r['platform'] or '')}</td>"
            f"<td class='num'>{_num(r['items'])}</td>"
            + "".join(f"<td class='num'>{_num(r[k]) if r[k] else ''}</td>" for k, _ in WAYS)
            + f"<td>{escape(str(r['first_honoured'] or '–'))}</td><td>{status}</td>"
            f"<td>{escape(r['since_last_scan'])}</td></tr>"
        )
    table = _table(
        [("Request", False), ("Kind", False), ("Subject", False), ("Platform", False),
         ("Items", True), *((w, True) for _, w in WAYS), ("First honoured", False),
         ("Status", False), ("Since last scan", False)],
        body,
        "No consent registry was given to this scan (audit scan … --registry FILE).",
    )  # fmt: skip
    lead = (
        f"{_num(len(rows))} requests from the consent registry; {_num(len(rows) - len(unmatched))} "
        f"cover items of this corpus, {_num(len(unmatched))} matched nothing (a reviewer must "
        f"check those: a misspelt handle or a photo without a usable face is a request not "
        f"honoured). {_num(len(new))} new or changed since the previous scan"
        + (f", {_num(len(removed))} withdrawn." if removed else ".")
        + " Subjects are not shown."
    )
    gone = ""
    if removed:
        gone = (
            "<p class='muted'>Withdrawn since the previous scan: "
            + ", ".join(f"<code>{escape(r['request_id'])}</code>" for r in removed)
            + "</p>"
        )
    return _section("requests", "Requests", lead, table + gone)
