"""Render report.html: one self-contained page for a privacy lead.

Input is the dict from :func:`audit.report.queries.collect_report` (the same numbers as
report.json). plotly.js is embedded once in the page head; each chart is a fragment made
with ``include_plotlyjs=False``, so the file works offline and stays one file.
"""

from __future__ import annotations

import json
from html import escape
from importlib import resources
from pathlib import Path
from string import Template
from typing import Any

from audit import __version__, atomic
from audit.declared_sql import exposure_categories

_FONT = "Inter, Segoe UI, system-ui, -apple-system, Helvetica Neue, Arial, sans-serif"
_COLORS = {"items": "#9fb3e6", "flagged": "#d98a00", "excluded": "#c0392b", "accent": "#2f5bd3"}


def _template(name: str) -> str:
    return resources.files("audit.report").joinpath("templates", name).read_text("utf-8")


def _pct(share: float | None) -> str:
    return "–" if share is None else f"{share * 100:.1f}%"


def _num(value: int | float | None) -> str:
    return "–" if value is None else f"{value:,}"


def _badge(severity: str | None) -> str:
    sev = escape(severity or "info")
    return f'<span class="badge sev-{sev}">{sev}</span>'


def _action(action: str | None) -> str:
    act = escape(action or "")
    return f'<span class="action action-{act}">{act}</span>'


def _share_cell(share: float | None) -> str:
    width = 0 if share is None else max(0.0, min(100.0, share * 100))
    return (
        f'<td class="num">{_pct(share)}<div class="bar"><span style="width:{width:.1f}%">'
        "</span></div></td>"
    )


def _table(headers: list[tuple[str, bool]], body_rows: list[str], empty: str) -> str:
    if not body_rows:
        return f'<p class="empty">{escape(empty)}</p>'
    head = "".join(f'<th class="{"num" if num else ""}">{escape(h)}</th>' for h, num in headers)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body_rows)}</tbody></table>"


def _chart(fig: Any, height: int = 340) -> str:
    fig.update_layout(
        template="plotly_white",
        height=height,
        margin={"l": 10, "r": 10, "t": 30, "b": 10},
        font={"family": _FONT, "size": 12, "color": "#1d2433"},
        legend={"orientation": "h", "y": 1.12, "x": 0},
        bargap=0.25,
    )
    html = fig.to_html(include_plotlyjs=False, full_html=False, config={"displaylogo": False})
    return f'<div class="chart">{html}</div>'


def _section(anchor: str, title: str, lead: str, content: str) -> str:
    return (
        f'<section id="{anchor}"><h2>{escape(title)}</h2>'
        f'<p class="lead">{escape(lead)}</p>{content}</section>'
    )


def _kpi_cards(h: dict[str, Any]) -> str:
    cards = [
        ("Items", _num(h["items"]), f"{_num(h['rejected_rows'])} input rows rejected", ""),
        ("Public", _pct(h["share_public"]), f"{_num(h['public_items'])} items", ""),
        (
            "Consent signals",
            _pct(h["share_consent_signal"]),
            f"{_num(h['consent_signal_items'])} opt-out / noai / TDM",
            "warn" if h["consent_signal_items"] else "ok",
        ),
        (
            "Flagged",
            _pct(h["share_flagged"]),
            f"{_num(h['flagged_items'])} items, {_num(h['flags'])} flags",
            "warn" if h["flagged_items"] else "ok",
        ),
        (
            "Excluded",
            _pct(h["share_excluded"]),
            f"{_num(h['excluded_items'])} items",
            "warn" if h["excluded_items"] else "ok",
        ),
        (
            "Errors",
            _num(h["errors"]),
            f"{_num(h['items_with_errors'])} items not fully analysed",
            "warn" if h["errors"] else "ok",
        ),
    ]
    return (
        '<div class="kpis" id="overview">'
        + "".join(
            f'<div class="kpi {cls}"><div class="label">{escape(label)}</div>'
            f'<div class="value">{escape(value)}</div><div class="note">{escape(note)}</div></div>'
            for label, value, note, cls in cards
        )
        + "</div>"
    )


def _exposure(report: dict[str, Any]) -> str:
    import plotly.graph_objects as go

    rows = report["exposure"]
    categories = {c.key: c for c in exposure_categories()}
    # minor signals are indented under the composite "minors" row, not charted on their own
    sub = {k for k, c in categories.items() if c.minors}
    labels = {k: c.label for k, c in categories.items()}
    top = [r for r in rows if r["category"] not in sub]
    peak = max([(r["share"] or 0) * 100 for r in top] + [1.0])
    fig = go.Figure(
        go.Bar(
            x=[(r["share"] or 0) * 100 for r in reversed(top)],
            y=[labels.get(r["category"], r["category"]) for r in reversed(top)],
            orientation="h",
            marker_color=_COLORS["accent"],
            text=[_pct(r["share"]) for r in reversed(top)],
            textposition="outside",
            cliponaxis=False,
            hovertemplate="%{y}: %{x:.1f}% of items<extra></extra>",
        )
    )
    # Headroom so the outside labels of the longest bar stay inside the plot.
    fig.update_xaxes(title="% of items", ticksuffix="%", range=[0, peak * 1.25])
    table = _table(
        [("Category", False), ("Items", True), ("Share", True)],
        [
            f"<tr><td class='{'sub' if r['category'] in sub else ''}'>"
            f"{escape(labels.get(r['category'], r['category']))}</td>"
            f'<td class="num">{_num(r["items"])}</td>{_share_cell(r["share"])}</tr>'
            for r in rows
        ],
        "No items.",
    )
    return _section(
        "exposure",
        "Exposure by category",
        "Items that carry a privacy or consent risk, whether or not a rule flags them.",
        f'<div class="grid2"><div>{_chart(fig, 360)}</div><div>{table}</div></div>',
    )


def _minors(report: dict[str, Any]) -> str:
    """Minors: items by signal (declared age, text, apparent face age), what the minors rules
    did, and the apparent ages of faces (youngest face per image)."""
    import plotly.graph_objects as go

    minor_keys = {c.key: c.label for c in exposure_categories() if c.minors}
    signals = [r for r in report["exposure"] if r["category"] in minor_keys]
    signal_table = _table(
        [("Signal", False), ("Items", True), ("Share", True)],
        [
            f"<tr><td>{escape(minor_keys[r['category']])}</td>"
            f'<td class="num">{_num(r["items"])}</td>{_share_cell(r["share"])}</tr>'
            for r in signals
        ],
        "No minor signal is declared by the installed detectors.",
    )
    rules = [r for r in report["rules"] if r["category"] == "minors"]
    rule_table = _table(
        [("Rule", False), ("Action", False), ("Items", True)],
        [
            f"<tr><td><code>{escape(r['rule_id'])}</code><br><span class='muted'>"
            f"{escape(r['title'])}</span></td><td>{_action(r['action'])}</td>"
            f'<td class="num">{_num(r["items"])}</td></tr>'
            for r in rules
        ],
        "No minors rule in this pack.",
    )
    ages = report.get("face_ages") or []
    chart = "<p class='empty'>No face with an apparent age in this corpus.</p>"
    if ages:
        fig = go.Figure(
            go.Bar(
                x=[r["age"] for r in ages],
                y=[r["images"] for r in ages],
                marker_color=[
                    _COLORS["excluded"] if r["age"] < 18 else _COLORS["items"] for r in ages
                ],
                hovertemplate="apparent age %{x}: %{y:,} images<extra></extra>",
            )
        )
        fig.add_vline(x=17.5, line_dash="dot", line_color="#64748b", annotation_text="18")
        fig.update_xaxes(
            title="apparent age of the youngest face (years)",
            range=[-0.5, max(25, max(r["age"] for r in ages) + 1)],
        )
        fig.update_yaxes(title="images")
        chart = _chart(fig, 300)
    return _section(
        "minors",
        "Minors",
        "Items that come from or show a minor, by signal: a declared age, cues in the text "
        "(one item, or evidence accumulated over an author's posts), and the apparent age of "
        "faces (an estimate from the face alone; the shipped rules exclude from P(minor) 0.5 "
        "and send 0.02–0.5 to review). Faces stay unshown here.",
        f'<div class="grid2"><div>{signal_table}{rule_table}</div><div>{chart}</div></div>',
    )


def _platforms(report: dict[str, Any]) -> str:
    import plotly.graph_objects as go

    rows = report["by_platform"]
    names = [r["platform"] for r in rows]
    fig = go.Figure()
    for key, label in (
        ("items", "Items"),
        ("flagged_items", "Flagged"),
        ("excluded_items", "Excluded"),
    ):
        color = _COLORS[key.split("_")[0]]
        fig.add_bar(x=names, y=[r[key] for r in rows], name=label, marker_color=color)
    fig.update_layout(barmode="group")
    table = _table(
        [
            ("Platform", False),
            ("Items", True),
            ("Public", True),
            ("Consent signals", True),
            ("Flagged", True),
            ("Excluded", True),
        ],
        [
            f"<tr><td>{escape(r['platform'])}</td><td class='num'>{_num(r['items'])}</td>"
            f"<td class='num'>{_num(r['public_items'])}</td>"
            f"<td class='num'>{_num(r['consent_signal_items'])}</td>"
            f"<td class='num'>{_num(r['flagged_items'])}</td>"
            f"<td class='num'>{_num(r['excluded_items'])}</td></tr>"
            for r in rows
        ],
        "No items.",
    )
    return _section(
        "platforms",
        "By platform",
        "Where the flagged and excluded items come from.",
        f'<div class="grid2"><div>{_chart(fig)}</div><div>{table}</div></div>',
    )


def _over_time(report: dict[str, Any]) -> str:
    import plotly.graph_objects as go

    rows = [r for r in report["by_month"] if r["month"] is not None]
    undated = sum(r["items"] for r in report["by_month"] if r["month"] is None)
    if not rows:
        return _section(
            "time", "Over time", "Items per month of posting.", "<p class='empty'>No dates.</p>"
        )
    months = [f"{r['month']}-01" for r in rows]
    fig = go.Figure()
    fig.add_bar(x=months, y=[r["items"] for r in rows], name="Items", marker_color=_COLORS["items"])
    fig.add_scatter(
        x=months,
        y=[r["flagged_items"] for r in rows],
        name="Flagged",
        mode="lines+markers",
        line={"color": _COLORS["flagged"], "width": 2},
    )
    fig.add_scatter(
        x=months,
        y=[r["excluded_items"] for r in rows],
        name="Excluded",
        mode="lines+markers",
        line={"color": _COLORS["excluded"], "width": 2},
    )
    fig.update_xaxes(type="date", tickformat="%b %Y", dtick="M3" if len(rows) > 12 else "M1")
    note = f" {undated:,} items have no date and are not shown." if undated else ""
    return _section(
        "time",
        "Over time",
        "Items posted per month, with flagged and excluded items." + note,
        _chart(fig, 320),
    )


def _rules(report: dict[str, Any]) -> str:
    body = [
        f"<tr><td><code>{escape(r['rule_id'])}</code><div class='muted'>{escape(r['title'] or '')}</div></td>"
        f"<td>{_badge(r['severity'])}</td><td>{_action(r['action'])}</td>"
        + (
            f"<td class='num muted'>–</td><td class='muted'>not evaluated</td>"
            f"<td><strong>Skipped:</strong> {escape(r['skip_reason'])}</td></tr>"
            if r.get("skip_reason")
            else f"<td class='num'>{_num(r['items'])}</td>{_share_cell(r['share'])}"
            f"<td>{escape(r['description'] or '')}</td></tr>"
        )
        for r in report["rules"]
    ]
    table = _table(
        [
            ("Rule", False),
            ("Severity", False),
            ("Action", False),
            ("Items", True),
            ("Share", True),
            ("Description", False),
        ],
        body,
        "No rules were evaluated.",
    )
    return _section(
        "rules",
        "Rules",
        "Every rule of the pack, most severe first. A skipped rule was not evaluated (the "
        "reason says why): its zero is not a finding.",
        f"<div class='rules'>{table}</div>",
    )


def _pii(report: dict[str, Any]) -> str:
    import plotly.graph_objects as go

    rows = report["pii_types"][:15]
    if not rows:
        return _section(
            "pii",
            "Personal data in text, by type",
            "",
            "<p class='empty'>No personal data detected.</p>",
        )
    fig = go.Figure(
        go.Bar(
            x=[r["findings"] for r in reversed(rows)],
            y=[r["entity_type"] for r in reversed(rows)],
            orientation="h",
            marker_color=_COLORS["accent"],
            hovertemplate="%{y}: %{x:,} findings<extra></extra>",
        )
    )
    table = _table(
        [
            ("Entity type", False),
            ("Detector", False),
            ("Findings", True),
            ("Items", True),
            ("Share of items", True),
        ],
        [
            f"<tr><td><code>{escape(r['entity_type'])}</code></td>"
            f"<td>{escape(r['detector'])}</td>"
            f"<td class='num'>{_num(r['findings'])}</td><td class='num'>{_num(r['items'])}</td>"
            f"{_share_cell(r['share'])}</tr>"
            for r in rows
        ],
        "",
    )
    return _section(
        "pii",
        "Personal data in text, by type",
        "Findings of every detector that declares its text spans personal data (masked in the "
        "dashboard, redacted by the export).",
        f'<div class="grid2"><div>{_chart(fig, 30 * len(rows) + 80)}</div><div>{table}</div></div>',
    )


def _evidence(ev: dict[str, list[str]]) -> str:
    items = [f"<li>{escape(c)}</li>" for c in ev["conditions"]]
    items += [f"<li><code>{escape(f)}</code></li>" for f in ev["findings"]]
    return f"<ul class='ev'>{''.join(items)}</ul>" if items else "<span class='muted'>–</span>"


def _samples(report: dict[str, Any]) -> str:
    blocks = []
    for rule in report["rules"]:
        sample = report["flag_sample"].get(rule["rule_id"], [])
        if not sample:
            continue
        body = [
            f"<tr><td><code>{escape(s['item_id'])}</code></td><td>{escape(s['platform'] or '–')}</td>"
            f"<td>{escape(s['visibility'] or '–')}</td><td>{escape((s['created_at'] or '–')[:10])}</td>"
            f"<td>{_evidence(s['evidence'])}</td></tr>"
            for s in sample
        ]
        table = _table(
            [
                ("Item", False),
                ("Platform", False),
                ("Visibility", False),
                ("Posted", False),
                ("Evidence (masked)", False),
            ],
            body,
            "",
        )
        blocks.append(
            f"<details class='rule'><summary>{_badge(rule['severity'])} <code>{escape(rule['rule_id'])}</code>"
            f" {_action(rule['action'])}<span class='count'>{len(sample)} of {_num(rule['items'])} shown</span>"
            f"</summary><div class='body'>{table}</div></details>"
        )
    content = "".join(blocks) or "<p class='empty'>No item was flagged.</p>"
    return _section(
        "samples",
        "Flagged items (sample)",
        "The first flagged items of each rule with the evidence that matched. Personal data is "
        "masked: only its type and character positions are shown.",
        content,
    )


def _errors(report: dict[str, Any]) -> str:
    body = [
        f"<tr><td>{escape(e['stage'])}</td><td><code>{escape(e['code'])}</code></td>"
        f"<td class='num'>{_num(e['errors'])}</td><td class='num'>{_num(e['items'])}</td>"
        f"<td>{', '.join(f'<code>{escape(str(x))}</code>' for x in e['examples'] or [])}</td></tr>"
        for e in report["errors"]
    ]
    table = _table(
        [("Stage", False), ("Code", False), ("Errors", True), ("Items", True), ("Examples", False)],
        body,
        "No errors: every item was read and fully analysed.",
    )
    return _section(
        "errors",
        "Errors",
        "Rows that could not be read and items that could not be fully analysed.",
        table,
    )


def _derivations(report: dict[str, Any]) -> str:
    """How values the exports did not state were derived: visibility by basis, and notes."""
    basis = [
        f"<tr><td>{escape(r['visibility'])}</td><td>{escape(r['basis'])}</td>"
        f"<td class='num'>{_num(r['items'])}</td></tr>"
        for r in report.get("visibility_basis") or []
    ]
    notes = [
        f"<li>{escape(n['message'])} <span class='muted'>({escape(Path(n['source_file'] or '').name)})"
        "</span></li>"
        for n in report.get("derivations") or []
        if n["code"] != "note_visibility"  # the table above says these, summed
    ]
    return _section(
        "derivations",
        "How values were derived",
        "Where an export does not state an item's audience, visibility is unknown — never "
        "public; each inferred value is counted here with what it was inferred from.",
        _table([("Visibility", False), ("Basis", False), ("Items", True)], basis, "No items.")
        + (f"<ul class='notes'>{''.join(notes)}</ul>" if notes else ""),
    )


def _manifest(manifest: dict[str, Any]) -> str:
    versions = manifest.get("versions", {})
    corpus = manifest.get("corpus", {})
    rules = manifest.get("rules", {})
    facts = [
        ("Run id", manifest.get("run_id")),
        (
            "Started / finished",
            f"{manifest.get('started_at', '–')} → {manifest.get('finished_at', '–')}",
        ),
        ("Command", manifest.get("command")),
        ("Tool version", versions.get("corpus-audit")),
        ("Corpus digest", corpus.get("digest")),
        (
            "Corpus files",
            f"{len(corpus.get('sources', []))} files, {_num(corpus.get('rows'))} rows",
        ),
        ("Rules digest", f"{rules.get('digest')} ({len(rules.get('files', {}))} files)"),
        (
            "Detectors",
            ", ".join(f"{k} {v.get('version')}" for k, v in manifest.get("detectors", {}).items()),
        ),
        ("Cache hit rate", _pct(manifest.get("cache_hit_rate"))),
        (
            "Timings",
            " · ".join(f"{k} {v:.1f} s" for k, v in manifest.get("timings", {}).items()),
        ),
    ]
    dl = "".join(
        f"<dt>{escape(k)}</dt><dd>{escape(str(v if v is not None else '–'))}</dd>" for k, v in facts
    )
    raw = escape(json.dumps(manifest, indent=2, default=str))
    detectors = _table(
        [("Detector", False), ("Version", False), ("Contents", True), ("Cache hits", True),
         ("Analysed", True), ("Errors", True), ("Findings", True), ("Seconds", True)],
        [
            f"<tr><td><code>{escape(name)}</code></td><td>{escape(str(d.get('version')))}</td>"
            + "".join(
                f"<td class='num'>{_num(d.get(k))}</td>"
                for k in ("contents", "cache_hits", "analysed", "errors", "findings")
            )
            + f"<td class='num'>{d.get('seconds') or 0:.1f}</td></tr>"
            for name, d in manifest.get("detectors", {}).items()
        ],
        "",
    )  # fmt: skip
    return _section(
        "manifest",
        "Run manifest",
        "What was run, on what, with which versions: enough to reproduce it.",
        f"<dl class='manifest'>{dl}</dl><div class='spaced'>{detectors}</div><details><summary class='muted'>Full manifest (JSON)</summary>"
        f"<pre class='json'>{raw}</pre></details>",
    )


def render_html(report: dict[str, Any]) -> str:
    """The complete report page for ``report`` (from collect_report)."""
    import plotly.offline

    # imported here: html_media, html_groups and html_assurance build on this module's helpers
    from audit.report.html_assurance import residual_section
    from audit.report.html_groups import groups_section
    from audit.report.html_media import media_section

    manifest = report.get("manifest") or {}
    corpus = manifest.get("corpus", {}).get("path", "")
    subtitle = (
        f"Run <code>{escape(report['run_id'])}</code> · corpus <code>{escape(str(corpus))}</code>"
        f" · finished {escape(str(manifest.get('finished_at', '–')))}"
    )
    body = "".join(
        [
            _kpi_cards(report["headline"]),
            _exposure(report),
            residual_section(report),
            media_section(report),
            _platforms(report),
            _over_time(report),
            _minors(report),
            _rules(report),
            groups_section(report),
            _pii(report),
            _samples(report),
            _errors(report),
            _derivations(report),
            _manifest(manifest),
        ]
    )
    return Template(_template("report.html")).substitute(
        run_id=escape(report["run_id"]),
        css=_template("report.css"),
        plotlyjs=plotly.offline.get_plotlyjs(),
        subtitle=subtitle,
        body=body,
        version=escape(__version__),
    )


def write_html(path: str | Path, report: dict[str, Any]) -> None:
    """Render and write report.html atomically."""
    atomic.write_text(path, render_html(report))
