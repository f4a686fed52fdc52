"""The residual-risk chart: each category's estimated share with its 95 % interval.

One Plotly figure shared by report.html and the dashboard, so both draw the same thing.
"""

from __future__ import annotations

from typing import Any

COLOR = "#c0392b"


def estimates_figure(categories: dict[str, dict[str, Any]]) -> Any:
    """Points at the estimates, error bars to the interval bounds, in % of the population.

    Categories not reviewed yet are left out (their interval is 0–100 %).
    """
    import plotly.graph_objects as go

    shown = [(k, c) for k, c in categories.items() if c.get("estimate") is not None]
    shown.reverse()  # plotly draws the first category at the bottom
    x = [c["estimate"] * 100 for _, c in shown]
    fig = go.Figure(
        go.Scatter(
            x=x,
            y=[c.get("label") or k for k, c in shown],
            mode="markers",
            marker={"color": COLOR, "size": 10},
            error_x={
                "type": "data",
                "symmetric": False,
                "array": [c["ci_high"] * 100 - v for (_, c), v in zip(shown, x, strict=True)],
                "arrayminus": [v - c["ci_low"] * 100 for (_, c), v in zip(shown, x, strict=True)],
                "color": COLOR,
                "thickness": 2,
                "width": 6,
            },
            customdata=[[c["ci_low"] * 100, c["ci_high"] * 100, c["reviewed"]] for _, c in shown],
            hovertemplate="%{y}: %{x:.1f}% (95% interval %{customdata[0]:.1f}–"
            "%{customdata[1]:.1f}%, %{customdata[2]} reviewed)<extra></extra>",
        )
    )
    peak = max([c["ci_high"] * 100 for _, c in shown] + [1.0])
    fig.update_xaxes(title="% of the population (95% interval)", ticksuffix="%",
                     range=[0, min(100.0, peak * 1.15)], zeroline=True)  # fmt: skip
    return fig
