"""`audit assurance`: residual-risk estimates with confidence intervals from reviewed samples."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from audit.vocabulary import REVIEW_POPULATIONS


def _pct(x: float | None) -> str:
    return "–" if x is None else f"{x * 100:.1f}%"


def _table(result: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    if not result["populations"]:
        console.print(
            "No review sample for this run yet: draw one with "
            "`audit review sample OUT --n 200 --seed 1 --population kept --to sample.csv`."
        )
        return
    for pop, block in result["populations"].items():
        d = block["design"]
        how = f"stratified by {d['stratify']}" if d["stratify"] else "simple random sample"
        table = Table(
            "category", "reviewed", "present", "estimate", "95% interval", "est. items",
            f"n for ±{result['target_half_width'] * 100:g} pts",
            title=f"{pop}: {d['population_size']:,} items, {how}, seed {d['seed']}",
        )  # fmt: skip
        for key, c in block["categories"].items():
            count = (
                "–"
                if c["count"] is None
                else f"{c['count']:,} ({c['count_low']:,}–{c['count_high']:,})"
            )
            table.add_row(
                key, f"{c['reviewed']:,}", f"{c['present']:,}", _pct(c["estimate"]),
                f"{_pct(c['ci_low'])} – {_pct(c['ci_high'])}", count,
                f"{c['needed_for_target']:,} (+{c['more_needed']:,})",
            )  # fmt: skip
        console.print(table)
    rules = [
        r for r in result["rule_precision"] if r["from_decisions"]["decided"] or r["from_reviews"]
    ]
    if rules:
        table = Table("rule", "flagged", "decided", "precision (decisions)", "reviewed",
                      "precision (sample answers)", title="Rule precision")  # fmt: skip
        for r in rules:
            d, s = r["from_decisions"], r["from_reviews"] or {}
            table.add_row(
                r["rule_id"], f"{r['flagged']:,}", f"{d['decided']:,}",
                f"{_pct(d['precision'])} ({_pct(d['ci_low'])}–{_pct(d['ci_high'])})",
                f"{s.get('reviewed', 0):,}",
                f"{_pct(s.get('precision'))} ({_pct(s.get('ci_low'))}–{_pct(s.get('ci_high'))})",
            )  # fmt: skip
        console.print(table)
    misses = [m for m in result["detector_miss_rates"] if m["present_reviewed"]]
    if misses:
        table = Table("detector", "category", "present (reviewed)", "missed", "miss rate",
                      "95% interval", title="Detector miss rates in kept items")  # fmt: skip
        for m in misses:
            table.add_row(m["detector"], m["category"], f"{m['present_reviewed']:,}",
                          f"{m['missed']:,}", _pct(m["miss_rate"]),
                          f"{_pct(m['ci_low'])} – {_pct(m['ci_high'])}")  # fmt: skip
        console.print(table)


def assurance(
    out: Annotated[Path, typer.Argument(help="Out folder of a scan (or its audit.duckdb).")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")] = False,
    population: Annotated[
        str | None,
        typer.Option(
            "--population",
            help="Population of the top-level `categories` ("
            + " | ".join(REVIEW_POPULATIONS)
            + "; default: kept when sampled).",
        ),
    ] = None,
    target: Annotated[
        float,
        typer.Option("--target", help="Half-width of the 95% interval to size samples for."),
    ] = 0.02,
    run_id: Annotated[
        str | None, typer.Option("--run-id", help="Run (default: the latest complete run).")
    ] = None,
) -> None:
    """Estimate, per review category and sampled population, the share and number of items
    with the category present, with a 95% interval (Wilson with finite-population correction
    for simple random samples; the stratified estimator for stratified ones; docs/ASSURANCE.md),
    the reviewed count, the population size and the sample size a ±TARGET interval needs.
    Also each rule's precision (reviewers' decisions; sample answers) and each detector's
    miss rate in kept items.

    JSON: {"categories": {CAT: {"population", "reviewed", "estimate", "ci_low", "ci_high", …}},
    "populations": {…}, "rule_precision": […], "detector_miss_rates": […]}.

    Example:  audit assurance audit-out --json

    Exit codes: 0 printed; 2 no audit database, no such run or population.
    """
    from audit.assurance.outdir import audit_db
    from audit.assurance.summary import collect_assurance
    from audit.errors import UsageError

    if population is not None and population not in REVIEW_POPULATIONS:
        raise UsageError(
            f"--population {population!r}: choose one of {', '.join(REVIEW_POPULATIONS)}"
        )
    if not 0 < target < 1:
        raise UsageError("--target must be between 0 and 1 (0.02 = ±2 points)")
    with audit_db(out, run_id) as (con, run):
        result = collect_assurance(con, run, population=population, target=target)
    if as_json:
        typer.echo(json.dumps(result, indent=2, default=str))
    else:
        _table(result)


def register(app: typer.Typer) -> None:
    """Add `audit assurance` to the CLI."""
    app.command("assurance")(assurance)
