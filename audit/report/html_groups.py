"""The "Exposure by group" section of report.html: authors and sources by flagged share.

Rendered from ``report["groups"]`` (report.sql ``kpi_groups`` per kind of ``group_kinds``).
Author ids are the corpus's pseudonymous ids; the group evidence is the label an aggregate
rule wrote for the group (its key and the rule's words), so no item value is shown.
"""

from __future__ import annotations

from html import escape
from typing import Any

from audit.report.html import _num, _section, _share_cell, _table
from audit.vocabulary import GROUP_KINDS


def _rules_cell(top_rules: list[dict[str, Any]]) -> str:
    if not top_rules:
        return "<td class='muted'>–</td>"
    return (
        "<td class='hits'>"
        + "<br>".join(
            f"<code>{escape(r['rule_id'])}</code> <span class='muted'>{_num(r['items'])}</span>"
            for r in top_rules
        )
        + "</td>"
    )


def _evidence_cell(evidence: list[str]) -> str:
    if not evidence:
        return "<td class='muted'>–</td>"
    return "<td><ul class='ev'>" + "".join(f"<li>{escape(e)}</li>" for e in evidence) + "</ul></td>"


def _kind_table(kind: str, table: dict[str, Any], min_items: int) -> str:
    heading, key_label = GROUP_KINDS.get(kind, (kind, "Group"))
    rows = table["rows"]
    headers = [(key_label, False)]
    if kind == "author":
        headers.append(("Platform", False))
    headers += [
        ("Items", True),
        ("Flagged", True),
        ("Flagged share", True),
        ("Excluded", True),
        ("Top rules (items)", False),
        ("Group evidence", False),
    ]
    body = [
        f"<tr><td><code>{escape(str(r['group_key']))}</code></td>"
        + (f"<td>{escape(r['platform'] or '–')}</td>" if kind == "author" else "")
        + f"<td class='num'>{_num(r['items'])}</td><td class='num'>{_num(r['flagged_items'])}</td>"
        + _share_cell(r["flagged_share"])
        + f"<td class='num'>{_num(r['excluded_items'])}</td>"
        + _rules_cell(r["top_rules"])
        + _evidence_cell(r["evidence"])
        + "</tr>"
        for r in rows
    ]
    count = f"{len(rows)} of {_num(table['groups_total'])} groups with ≥ {min_items} items"
    content = _table(headers, body, f"No group has {min_items} or more items.")
    return (
        f"<details class='rule' {'open' if kind == 'author' else ''}><summary>"
        f"{escape(heading)}<span class='count'>{escape(count)}</span></summary>"
        f"<div class='body groups'>{content}</div></details>"
    )


def groups_section(report: dict[str, Any]) -> str:
    """One collapsible table per group kind, most exposed groups first."""
    groups = report["groups"]
    blocks = [
        _kind_table(kind, table, groups["min_items"]) for kind, table in groups["kinds"].items()
    ]
    lead = (
        f"The {groups['limit']} groups with the highest share of flagged items per kind (ties: "
        f"larger groups first), among groups of at least {groups['min_items']} items. Group "
        "evidence is what an aggregate rule recorded for the whole group."
    )
    content = "".join(blocks) or "<p class='empty'>No items.</p>"
    return _section("groups", "Exposure by group", lead, content)
