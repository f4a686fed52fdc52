"""`audit rules …`: check, lint, list and explain policy rule packs."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from audit.errors import EXIT_FLAGS, EXIT_INPUT
from audit.paths import shipped_rules_dir

rules_app = typer.Typer(
    help="Policy rules: self-test, lint, list, explain, check and try on a scan, JSON Schema.",
    no_args_is_help=True,
)

RulesDir = typer.Argument(
    None, help="Rule folder or file (default: the shipped pack).", show_default=False
)


RulesOption = typer.Option(None, "--rules", help="Rule folder (default: the shipped pack).")


def _load(path: Path | None):
    from audit.rules import RuleLoadError, load_rules

    try:
        return load_rules(path or shipped_rules_dir())
    except RuleLoadError as exc:
        for problem in exc.problems:
            typer.secho(str(problem), err=True, fg="red")
        typer.secho(f"{len(exc.problems)} problem(s) in rule files", err=True, fg="red")
        raise typer.Exit(EXIT_INPUT) from None


@rules_app.command("test")
def test_cmd(path: Path | None = RulesDir) -> None:
    """Run every rule's own test cases. Exit 1 on a failing case, 2 on unloadable rules.

    Example: audit rules test rules/
    """
    from rich.console import Console
    from rich.table import Table

    from audit.rules.selftest import run_selftests

    ruleset = _load(path)
    results = run_selftests(ruleset)
    table = Table("rule", "cases", "result", "details")
    for r in results:
        passed = sum(c.ok for c in r.cases)
        details = [f"{c.name}: {c.detail}" for c in r.cases if not c.ok] + r.problems
        table.add_row(
            r.rule_id,
            f"{passed}/{len(r.cases)}",
            "[green]pass[/]" if r.ok else "[red]FAIL[/]",
            "\n".join(details),
        )
    console = Console()
    console.print(table)
    failed = [r for r in results if not r.ok]
    console.print(f"{len(results) - len(failed)} of {len(results)} rules pass their tests")
    if failed:
        raise typer.Exit(EXIT_FLAGS)


@rules_app.command("lint")
def lint_cmd(
    path: Path | None = RulesDir,
    strict: bool = typer.Option(False, "--strict", help="Exit 1 on warnings too."),
) -> None:
    """Schema errors and policy hygiene (tests, references, deprecated, duplicate matches).

    Exit 2 when rules do not load, 1 on lint errors (or warnings with --strict).

    Example: audit rules lint rules/
    """
    from audit.rules.lint import lint

    ruleset, messages = lint(path or shipped_rules_dir())
    for m in messages:
        typer.secho(str(m), err=True, fg="red" if m.level == "error" else "yellow")
    errors = sum(m.level == "error" for m in messages)
    warnings = len(messages) - errors
    typer.echo(f"{errors} error(s), {warnings} warning(s)", err=True)
    if ruleset is None:
        raise typer.Exit(EXIT_INPUT)
    if errors or (strict and warnings):
        raise typer.Exit(EXIT_FLAGS)


@rules_app.command("schema")
def schema_cmd() -> None:
    """Print the JSON Schema of a rule file (for editor validation).

    Example: audit rules schema > rule.schema.json
    """
    from audit.rules.model import json_schema

    typer.echo(json.dumps(json_schema(), indent=2))


@rules_app.command("list")
def list_cmd(path: Path | None = RulesDir) -> None:
    """Table of the pack's rules: id, severity, action, status, title.

    Example: audit rules list
    """
    from rich.console import Console
    from rich.table import Column, Table

    # The id is what `audit rules explain` needs: never cut it; the title may wrap.
    table = Table(Column("id", no_wrap=True), "severity", "action", "status", "title")
    for loaded in _load(path):
        r = loaded.rule
        action = "/".join(dict.fromkeys(t.action for t in r.tiers))  # tiered: exclude/review
        table.add_row(r.id, r.severity, action, r.status, r.title)
    Console().print(table)


@rules_app.command("explain")
def explain_cmd(
    rule_id: str = typer.Argument(..., help="Rule id, e.g. minors.declared-under-18"),
    rules: Path | None = RulesOption,
) -> None:
    """Describe a rule, its conditions in plain words, and the SQL it compiles to.

    Example: audit rules explain minors.declared-under-18
    """
    from audit.rules.explain import explain

    ruleset = _load(rules)
    try:
        loaded = ruleset.get(rule_id)
    except KeyError:
        typer.secho(f"no rule {rule_id!r} in {ruleset.root}", err=True, fg="red")
        raise typer.Exit(EXIT_INPUT) from None
    e = explain(loaded)
    typer.echo(e.header)
    typer.echo(f"\n{e.description}\n\nWhy: {e.rationale}")
    if e.references:
        typer.echo("References: " + "; ".join(e.references))
    typer.echo("\n" + "\n".join(e.conditions))
    typer.echo(f"\nSQL (runs in the locked sandbox):\n{e.sql}\nParameters: {e.params!r}")


DbOption = typer.Option(
    ..., "--db", help="An audit database written by `audit scan` (e.g. audit-out/audit.duckdb)."
)


def _open_db(db: Path):
    from audit.rules.store_scan import latest_scan, open_scan
    from audit.store import StoreError

    try:
        con = open_scan(db)
    except StoreError as exc:
        typer.secho(str(exc), err=True, fg="red")
        raise typer.Exit(EXIT_INPUT) from None
    return con, latest_scan(con)


@rules_app.command("check")
def check_cmd(
    path: Path | None = RulesDir,
    db: Path = DbOption,
    as_json: bool = typer.Option(False, "--json", help="Print the checks as JSON."),
) -> None:
    """Each rule's flags on a scanned corpus and, for every threshold, how much of the corpus
    reaches it ("min_score 0.5: 0 of 314 PHONE_NUMBER findings reach it"); warns when a
    threshold can never match, and lists skipped and partly evaluated rules with the reason.
    Nothing is written. Exit 1 when a rule is skipped or a threshold never matches.

    Example: audit rules check rules/ --db audit-out/audit.duckdb
    """
    from audit.rules.check import check_rules, format_checks

    ruleset = _load(path)
    con, scan = _open_db(db)
    try:
        checks = check_rules(con, ruleset, detectors_run=scan.detectors_run, run_id=scan.run_id)
    finally:
        con.close()
    if as_json:
        typer.echo(json.dumps([c.as_dict() for c in checks], indent=2))
    else:
        typer.echo(format_checks(checks))
    dead = any(c.flags is None or any(t.dead for t in c.thresholds) for c in checks)
    raise typer.Exit(EXIT_FLAGS if dead else 0)


TryPath = typer.Argument(..., help="A rule file or a folder of rules to try.")


@rules_app.command("try")
def try_cmd(
    path: Path = TryPath,
    db: Path = DbOption,
    sample: int = typer.Option(20, "--sample", min=0, help="Flagged items to show per rule."),
    as_json: bool = typer.Option(False, "--json", help="Print the results as JSON."),
) -> None:
    """Dry-run rules on a scanned corpus in seconds: flag counts (per tier), sample items with
    the values of the fields the rule reads and its evidence (personal data masked as in
    the report), and the difference against the same rule id's flags in the store's latest
    run. Nothing is written; detectors are not run (their stored findings are used).

    Example: audit rules try my-rule.yaml --db audit-out/audit.duckdb --sample 5
    """
    from audit.rules import RuleLoadError, load_rules
    from audit.rules.trial import format_trials, try_rules

    try:
        ruleset = load_rules(path)
    except RuleLoadError as exc:
        for problem in exc.problems:
            typer.secho(str(problem), err=True, fg="red")
        raise typer.Exit(EXIT_INPUT) from None
    con, scan = _open_db(db)
    try:
        trials = try_rules(
            con, ruleset, sample=sample, previous_run=scan.run_id, detectors_run=scan.detectors_run
        )
    finally:
        con.close()
    if as_json:
        typer.echo(json.dumps([t.as_dict() for t in trials], indent=2, ensure_ascii=False))
    else:
        typer.echo(format_trials(trials))


def register(app: typer.Typer) -> None:
    """Add the `rules` command group to the CLI."""
    app.add_typer(rules_app, name="rules")
