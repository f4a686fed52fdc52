"""The dashboard's look: one palette for severities and decisions, page headers, KPI cards."""

from __future__ import annotations

import html

import pandas as pd
import streamlit as st
from pandas.io.formats.style import Styler

from audit.vocabulary import DECISION_LABELS, SEVERITIES

#: One colour per severity, used by every chart and badge (colour-blind safe ramp).
SEVERITY_COLOURS: dict[str, str] = {
    "info": "#94a3b8",
    "low": "#38bdf8",
    "medium": "#facc15",
    "high": "#f97316",
    "critical": "#dc2626",
    "": "#e2e8f0",  # not flagged
}
SEVERITY_ORDER: list[str] = ["", *SEVERITIES]
SEVERITY_LABELS: dict[str, str] = {"": "not flagged", **{s: s for s in SEVERITIES}}
DECISION_COLOURS: dict[str, str] = {
    "confirmed": "#dc2626",
    "false_positive": "#16a34a",
    "needs_legal": "#7c3aed",
}

_CSS = """
<style>
  .block-container {padding-top: 2.2rem; max-width: 1400px;}
  [data-testid="stSidebarNav"] {padding-top: .5rem;}
  .ca-sub {color:#475569; margin:-.6rem 0 1.1rem 0; font-size:.95rem;}
  .ca-cards {display:grid; grid-template-columns:repeat(5, minmax(0,1fr)); gap:.8rem; margin-bottom:1rem;}
  .ca-card {border:1px solid #e2e8f0; border-radius:10px; padding:.8rem 1rem; background:#fff;}
  .ca-card .label {color:#64748b; font-size:.8rem; text-transform:uppercase; letter-spacing:.04em;}
  .ca-card .value {font-size:1.7rem; font-weight:650; color:#0f172a; line-height:1.3;}
  .ca-card .note {color:#64748b; font-size:.8rem;}
  .ca-card.accent {border-left:4px solid var(--accent);}
  .ca-badge {display:inline-block; padding:.05rem .5rem; border-radius:999px; font-size:.78rem;
             font-weight:600; color:#0f172a; background:var(--bg); white-space:nowrap;}
  .ca-caption {font-size:1.02rem; line-height:1.7; padding:.8rem 1rem; border-radius:8px;
               background:#f8fafc; border:1px solid #e2e8f0;}
  .pii-masked {background:#1e293b; color:#1e293b; border-radius:4px; padding:0 .25rem;}
  .pii-masked sub, .pii-revealed sub {color:#fff; background:#475569; border-radius:3px;
               padding:0 .25rem; margin-left:.25rem; font-size:.65rem; vertical-align:middle;}
  .pii-revealed {background:#fef08a; border-radius:4px; padding:0 .2rem;}
</style>
"""


def apply_theme() -> None:
    """Inject the shared CSS (once per run; Streamlit dedupes identical markup cheaply)."""
    st.html(_CSS)


def page_header(title: str, subtitle: str) -> None:
    """Page title with a one-line explanation for reviewers."""
    st.title(title)
    st.html(f'<div class="ca-sub">{html.escape(subtitle)}</div>')


def badge(severity: str) -> str:
    """HTML pill in the severity's colour."""
    colour = SEVERITY_COLOURS.get(severity, "#e2e8f0")
    label = html.escape(SEVERITY_LABELS.get(severity, severity))
    return f'<span class="ca-badge" style="--bg:{colour}">{label}</span>'


def decision_badge(decision: str) -> str:
    """HTML pill for a reviewer decision."""
    colour = DECISION_COLOURS.get(decision, "#e2e8f0")
    label = html.escape(DECISION_LABELS.get(decision, decision))
    return f'<span class="ca-badge" style="--bg:{colour};color:#fff">{label}</span>'


def kpi_cards(cards: list[tuple[str, str, str, str]]) -> None:
    """A row of KPI cards: (label, value, note, accent colour)."""
    parts = [
        f'<div class="ca-card accent" style="--accent:{accent}"><div class="label">'
        f'{html.escape(label)}</div><div class="value">{html.escape(value)}</div>'
        f'<div class="note">{html.escape(note)}</div></div>'
        for label, value, note, accent in cards
    ]
    st.html(f'<div class="ca-cards">{"".join(parts)}</div>')


def severity_styler(df: pd.DataFrame, column: str) -> Styler:
    """A pandas Styler colouring ``column`` (severity names) in the severity palette."""

    def cell(value: object) -> str:
        colour = SEVERITY_COLOURS.get(str(value or ""), "")
        return f"background-color: {colour}; color: #0f172a" if value and colour else ""

    return df.style.map(cell, subset=[column])


def pct(part: int, whole: int) -> str:
    """``part/whole`` as a percentage with one decimal ('–' when whole is 0)."""
    return "–" if whole == 0 else f"{100 * part / whole:.1f}%"
