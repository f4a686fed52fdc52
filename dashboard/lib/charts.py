"""Plotly figures of the Overview, all in the shared severity palette."""

from __future__ import annotations

import pandas as pd
import plotly.express as px
import plotly.graph_objects as go

from audit.declared_sql import exposure_categories
from dashboard.lib.style import SEVERITY_COLOURS, SEVERITY_LABELS, SEVERITY_ORDER

_LAYOUT = {
    "margin": {"l": 10, "r": 10, "t": 30, "b": 10},
    "height": 320,
    "legend": {"orientation": "h", "yanchor": "bottom", "y": 1.02, "x": 0, "title": None},
    "plot_bgcolor": "#ffffff",
    "font": {"family": "Inter, system-ui, sans-serif", "size": 12},
}
_COLOURS = {SEVERITY_LABELS[s]: c for s, c in SEVERITY_COLOURS.items()}
_ORDER = {"severity": [SEVERITY_LABELS[s] for s in reversed(SEVERITY_ORDER)]}


def _labelled(df: pd.DataFrame, column: str) -> pd.DataFrame:
    out = df.copy()
    out["severity"] = out[column].fillna("").map(lambda s: SEVERITY_LABELS.get(s, s))
    return out


def _severity_bars(df: pd.DataFrame, column: str, **axes: str) -> go.Figure:
    """Bars stacked and coloured by severity (``column`` holds the severity code)."""
    return px.bar(
        _labelled(df, column), color="severity",
        color_discrete_map=_COLOURS, category_orders=_ORDER, **axes,
    )  # fmt: skip


def _finish(fig: go.Figure, x_title: str | None, y_title: str | None) -> go.Figure:
    fig.update_layout(**_LAYOUT)
    fig.update_xaxes(title=x_title, gridcolor="#f1f5f9")
    fig.update_yaxes(title=y_title, gridcolor="#f1f5f9")
    return fig


def face_ages(df: pd.DataFrame) -> go.Figure:
    """Images by the apparent age of their youngest face (report.json's face_ages)."""
    d = df.assign(group=df["age"].map(lambda a: "under 18" if a < 18 else "18 or over"))
    fig = px.bar(
        d, x="age", y="images", color="group",
        color_discrete_map={"under 18": "#dc2626", "18 or over": "#94a3b8"},
    )  # fmt: skip
    fig.add_vline(x=17.5, line_dash="dot", line_color="#64748b")
    fig = _finish(fig, "apparent age of the youngest face (years)", "images")
    fig.update_xaxes(range=[-0.5, max(25, int(d["age"].max()) + 1)])
    return fig


def exposure(df: pd.DataFrame) -> go.Figure:
    """Share of items in each exposure category (report.json's kpi_exposure)."""
    labels = {c.key: c.short_label for c in exposure_categories()}
    d = df.assign(label=df["category"].map(lambda c: labels.get(c, c)))
    d["pct"] = (d["share"].fillna(0) * 100).round(1)
    fig = px.bar(
        d, y="label", x="pct", orientation="h", text=d["items"].map("{:,}".format),
        color_discrete_sequence=["#475569"],
    )  # fmt: skip
    fig.update_yaxes(autorange="reversed")
    fig.update_traces(textposition="outside", cliponaxis=False)
    fig.update_layout(showlegend=False)
    fig = _finish(fig, "% of items", None)
    fig.update_xaxes(range=[0, max(1.0, float(d["pct"].max())) * 1.18])  # room for the labels
    return fig


def flags_by_category(df: pd.DataFrame) -> go.Figure:
    """Flagged items per rule category, stacked by severity."""
    fig = _severity_bars(df, "severity", y="category", x="items", orientation="h")
    fig.update_yaxes(categoryorder="total ascending")
    return _finish(fig, "items flagged", None)


def items_by_platform(df: pd.DataFrame) -> go.Figure:
    """Items per platform stacked by their worst severity (grey = not flagged)."""
    fig = _severity_bars(df, "worst_severity", x="platform", y="items")
    return _finish(fig, None, "items")


def flags_over_time(df: pd.DataFrame) -> go.Figure:
    """Flagged items per month of posting, by worst severity."""
    fig = _severity_bars(df, "worst_severity", x="month", y="items")
    fig.update_xaxes(tickformat="%b %Y")  # automatic tick spacing: corpora span months to years
    return _finish(fig, None, "flagged items")


def visibility_heatmap(df: pd.DataFrame) -> go.Figure:
    """Items by visibility × what was found in them (faces, PII)."""
    cols = ["neither", "PII", "face", "face + PII"]
    grid = (
        df.pivot_table(index="visibility", columns="exposure", values="items", aggfunc="sum")
        .reindex(columns=cols)
        .fillna(0)
        .astype(int)
    )
    fig = px.imshow(
        grid, text_auto=True, aspect="auto",
        color_continuous_scale=["#f8fafc", "#fdba74", "#dc2626"],
    )  # fmt: skip
    fig.update_coloraxes(showscale=False)
    return _finish(fig, "found in item", None)


def media_signals(media: dict, labels: dict[str, str]) -> go.Figure:
    """Share of analysed images carrying each media_meta signal (report.sql kpi_media)."""
    d = pd.DataFrame(
        {
            "label": list(labels.values()),
            "pct": [round((media[f"share_{k}"] or 0) * 100, 1) for k in labels],
            "images": [f"{media[k]:,}" for k in labels],
        }
    )
    fig = px.bar(
        d, y="label", x="pct", orientation="h", text="images",
        color_discrete_sequence=["#475569"],
    )  # fmt: skip
    fig.update_yaxes(autorange="reversed")
    fig.update_traces(textposition="outside", cliponaxis=False)
    fig.update_layout(showlegend=False)
    fig = _finish(fig, "% of analysed images", None)
    fig.update_xaxes(range=[0, max(1.0, float(d["pct"].max())) * 1.18])
    return fig
