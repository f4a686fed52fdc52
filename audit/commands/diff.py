"""`audit diff`: what changed between two scans."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer


def _print_tables(result: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    a, b = result["a"], result["b"]
    console.print(f"A: [bold]{a['run_id']}[/] ({a['db']})\nB: [bold]{b['run_id']}[/] ({b['db']})")

    flags = Table(title="Flags per rule (A → B)", title_justify="left")
    for name, justify in (
        ("rule", "left"), ("A", "right"), ("B", "right"), ("newly flagged", "right"),
        ("no longer", "right"), ("examples", "left"),
    ):  # fmt: skip
        flags.add_column(name, justify=justify)
    for r in result["flags"]:
        if not (r["newly_flagged"] or r["no_longer_flagged"]):
            continue
        examples = [f"+{i}" for i in r["new_examples"][:3]] + [
            f"-{i}" for i in r["gone_examples"][:3]
        ]
        flags.add_row(
            r["rule_id"], f"{r['flagged_a']:,}", f"{r['flagged_b']:,}",
            f"[red]+{r['newly_flagged']:,}[/]", f"[green]-{r['no_longer_flagged']:,}[/]",
            " ".join(examples),
        )  # fmt: skip
    console.print(flags if flags.row_count else "Flags: no change.")

    if result["rules"]:
        rules = Table(title="Rule set", title_justify="left")
        for name in ("rule", "change", "sha256 A", "sha256 B"):
            rules.add_column(name)
        for r in result["rules"]:
            rules.add_row(
                r["rule_id"], r["change"], (r["sha256_a"] or "")[:12], (r["sha256_b"] or "")[:12]
            )
        console.print(rules)
    else:
        console.print("Rule set: no change.")

    if result.get("requests"):
        requests = Table(title="Consent registry (A → B)", title_justify="left")
        for name, justify in (("request", "left"), ("change", "left"), ("kind", "left"),
                              ("subject", "left"), ("items in B", "right"),
                              ("newly covered", "right"), ("examples", "left")):  # fmt: skip
            requests.add_column(name, justify=justify)
        for r in result["requests"]:
            requests.add_row(
                r["request_id"], r["change"], r["kind"], r["subject_type"], f"{r['items_b']:,}",
                f"[red]+{r['newly_covered']:,}[/]", " ".join(r["new_examples"][:3]),
            )  # fmt: skip
        console.print(requests)

    c = result["corpus"]
    line = f"Corpus: {c.get('items_a')} → {c.get('items_b')} items"
    if c["item_level"]:
        line += f", +{c['added']:,} added, -{c['removed']:,} removed"
    else:
        line += " (same database: item-level changes need two out folders)"
    if c["digest_a"] != c["digest_b"]:
        line += "; corpus files changed"
    console.print(line)


def diff(
    a: Annotated[str, typer.Argument(help="Before: an out folder, audit.duckdb, or a run id.")],
    b: Annotated[str, typer.Argument(help="After: an out folder, audit.duckdb, or a run id.")],
    db: Annotated[Path, typer.Option("--db", help="Database for run ids.")] = Path(
        "audit-out/audit.duckdb"
    ),
    limit: Annotated[int, typer.Option("--limit", help="Example item ids per list.")] = 20,
    as_json: Annotated[bool, typer.Option("--json", help="Print the diff as JSON.")] = False,
) -> None:
    """Compare two scans: items newly flagged / no longer flagged per rule, rules added, removed or changed, consent registry requests new / withdrawn / changed and the items they newly cover, items added to or removed from the corpus.

    Example:  audit diff audit-out-v1 audit-out-v2    (or two run ids: audit diff RUN_A RUN_B --db audit-out/audit.duckdb)

    Exit codes: 0 compared; 2 a side is not an audit database or run.
    """
    from audit.diff import diff_runs, resolve_side

    result = diff_runs(resolve_side(a, db), resolve_side(b, db), limit=limit)
    if as_json:
        typer.echo(json.dumps(result, indent=2, default=str))
    else:
        _print_tables(result)


def register(app: typer.Typer) -> None:
    """Add `audit diff` to the CLI."""
    app.command("diff")(diff)
