"""report.html's "Residual risk" section: what remains in the kept items, estimated from a
reviewed random sample, with rule precision and detector miss rates (audit/assurance)."""

from __future__ import annotations

from html import escape
from typing import Any

from audit.assurance.plot import estimates_figure
from audit.report.html import _chart, _num, _pct, _section, _table
from audit.vocabulary import REVIEW_POPULATIONS

LEAD = (
    "Detectors miss things, so excluded shares say little about what is left. A random sample "
    "of items was reviewed by people; these are the estimated shares and numbers of items with "
    "each category present, with 95% intervals (docs/ASSURANCE.md)."
)


def _interval(row: dict[str, Any], low: str = "ci_low", high: str = "ci_high") -> str:
    return f"{_pct(row[low])} – {_pct(row[high])}" if row[low] is not None else "–"


def _population_table(categories: dict[str, dict[str, Any]], target: float) -> str:
    body = [
        f"<tr><td>{escape(c['label'])} <code>{escape(key)}</code></td>"
        f"<td class='num'>{_num(c['reviewed'])}</td><td class='num'>{_num(c['present'])}</td>"
        f"<td class='num'><b>{_pct(c['estimate'])}</b></td><td class='num'>{_interval(c)}</td>"
        f"<td class='num'>{_num(c['count'])}"
        + (f" ({_num(c['count_low'])}–{_num(c['count_high'])})" if c["count"] is not None else "")
        + f"</td><td class='num'>{_num(c['needed_for_target'])} (+{_num(c['more_needed'])})</td></tr>"
        for key, c in categories.items()
    ]
    return _table(
        [("Category", False), ("Reviewed", True), ("Present", True), ("Estimate", True),
         ("95% interval", True), ("Est. items (interval)", True),
         (f"Sample for ±{target * 100:g} pts (more)", True)],
        body, "No category.",
    )  # fmt: skip


def _design(pop: str, d: dict[str, Any]) -> str:
    how = f"stratified by {d['stratify']} ({len(d['strata'])} strata, proportional allocation)" \
        if d["stratify"] else "simple random sample"  # fmt: skip
    return (
        f"<p class='muted'><b>{escape(pop)}</b> — {escape(REVIEW_POPULATIONS.get(pop, ''))}: "
        f"{_num(d['population_size'])} items; {_num(d['n'])} drawn, {escape(how)}, seed "
        f"{escape(str(d['seed']))}.</p>"
    )


def _with_interval(share: float | None, row: dict[str, Any] | None) -> str:
    if not row or share is None:
        return "–"
    return f"<b>{_pct(share)}</b> <span class='muted'>({_interval(row)})</span>"


def _precision(rules: list[dict[str, Any]]) -> str:
    body = []
    for r in rules:
        d, s = r["from_decisions"], r["from_reviews"]
        if not d["decided"] and not s:
            continue
        body.append(
            f"<tr><td><code>{escape(r['rule_id'])}</code></td><td class='num'>{_num(r['flagged'])}</td>"
            f"<td class='num'>{_num(d['decided'])}</td>"
            f"<td class='num'>{_with_interval(d['precision'], d)}</td>"
            f"<td class='num'>{_num(s['reviewed']) if s else '–'}</td>"
            f"<td class='num'>{_with_interval(s['precision'] if s else None, s)}</td></tr>"
        )
    return _table(
        [("Rule", False), ("Flagged", True), ("Decided", True),
         ("Precision: decisions", True), ("Sampled", True),
         ("Precision: sample", True)],
        body, "No decision or sample answer on a flagged item yet.",
    )  # fmt: skip


def _misses(rows: list[dict[str, Any]]) -> str:
    body = [
        f"<tr><td><code>{escape(m['detector'])}</code></td><td><code>{escape(m['category'])}</code></td>"
        f"<td class='num'>{_num(m['present_reviewed'])}</td><td class='num'>{_num(m['missed'])}</td>"
        f"<td class='num'>{_pct(m['miss_rate'])}</td>"
        f"<td class='num'>{_interval(m)}</td></tr>"
        for m in rows
        if m["present_reviewed"]
    ]
    return _table(
        [("Detector", False), ("Category", False), ("Present (reviewed)", True),
         ("Missed", True), ("Miss rate", True), ("95% interval", True)],
        body, "No reviewed kept item with a category present yet.",
    )  # fmt: skip


def residual_section(report: dict[str, Any]) -> str:
    """The section (an invitation to sample when the run has no review sample yet)."""
    a = report.get("assurance") or {}
    if not a.get("populations"):
        return _section(
            "residual", "Residual risk", LEAD,
            "<p class='empty'>No review sample for this run yet. Draw one with "
            "<code>audit review sample OUT --n 200 --seed 1 --population kept --to sample.csv"
            "</code>, answer it, import it with <code>audit review import</code>, then "
            "re-render with <code>audit report OUT</code>.</p>",
        )  # fmt: skip
    head = a["categories"]
    parts = [
        _design(a["population"], a["design"]),
        _chart(estimates_figure(head), 80 + 34 * len(head)),
        f"<div class='rules'>{_population_table(head, a['target_half_width'])}</div>",
    ]
    for pop, block in a["populations"].items():
        if pop != a["population"]:
            table = _population_table(block["categories"], a["target_half_width"])
            parts += [_design(pop, block["design"]), f"<div class='rules'>{table}</div>"]
    parts += [
        "<h3>Rule precision</h3><p class='muted'>With 95% intervals: from reviewers' decisions "
        "(confirmed vs false positive; not a random sample), and from the sample's answers for "
        "rules that point at one review category.</p>",
        _precision(a["rule_precision"]),
        "<h3>Detector miss rates in kept items</h3><p class='muted'>Among reviewed kept items "
        "where the category is present: the share the detector found nothing of it in.</p>",
        _misses(a["detector_miss_rates"]),
    ]
    return _section("residual", "Residual risk", LEAD, "".join(parts))
