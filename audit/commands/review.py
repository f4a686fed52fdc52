"""`audit review sample|import`: draw a review sample, record reviewers' answers."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from audit.vocabulary import REVIEW_CATEGORIES, REVIEW_POPULATIONS, REVIEW_STRATA

review_app = typer.Typer(
    help="Sampled review for assurance: draw a sample, import reviewers' answers.",
    no_args_is_help=True,
    add_completion=False,
)

OutArg = typer.Argument(help="Out folder of a scan (or its audit.duckdb).")
RunOption = typer.Option(
    "--run-id", help="Run whose flags define the population (default: latest)."
)


@review_app.command("sample")
def sample(
    out: Annotated[Path, OutArg],
    to: Annotated[Path, typer.Option("--to", help="Sample CSV to write (item_id first).")],
    n: Annotated[int, typer.Option("--n", help="Items to draw.")] = 200,
    seed: Annotated[int, typer.Option("--seed", help="Random seed (same seed, same items).")] = 1,
    population: Annotated[
        str, typer.Option("--population", help=" | ".join(REVIEW_POPULATIONS) + ".")
    ] = "kept",
    stratify: Annotated[
        str | None,
        typer.Option(
            "--stratify",
            help="Stratify with proportional allocation by " + " | ".join(REVIEW_STRATA) + ".",
        ),
    ] = None,
    run_id: Annotated[str | None, RunOption] = None,
) -> None:
    """Draw a reproducible random sample of a population for review and record its design
    (population, strata, seed, sizes) in the audit database; write it as CSV with personal
    data in the text masked, and an answers template beside it (FILE.answers.csv: item_id,
    category, present — fill present with true/false).

    Populations: kept = items without an exclude flag (what training receives), excluded,
    flagged, all. The same arguments on the same run draw the same items.

    Example:  audit review sample audit-out --n 200 --seed 7 --population kept --to sample.csv

    Exit codes: 0 written; 2 no audit database, bad option, or the folder is in use by a scan.
    """
    from audit.assurance.outdir import audit_db
    from audit.assurance.sampling import draw_sample, sample_rows, write_sample_files

    with audit_db(out, run_id, write=True) as (con, run):
        design = draw_sample(con, run, population=population, n=n, seed=seed, stratify=stratify)
        rows = sample_rows(con, run, design.sample_id)
    template = write_sample_files(to, rows)
    how = f"stratified by {stratify} ({len(design.strata)} strata)" if stratify else "simple random"
    again = " (drawn before: the stored sample)" if design.reused else ""
    typer.echo(
        f"Drew {design.n:,} of {design.population_size:,} {population} items, {how}, seed "
        f"{seed}{again}: {to}\nSample id: {design.sample_id}\nAnswer in {template} "
        f"(categories: {', '.join(c.key for c in REVIEW_CATEGORIES)}), then: "
        f"audit review import {out} {template} --reviewer NAME"
    )


@review_app.command("import")
def import_answers(
    out: Annotated[Path, OutArg],
    answers: Annotated[Path, typer.Argument(help="CSV with columns item_id, category, present.")],
    reviewer: Annotated[str, typer.Option("--reviewer", help="Who answered (recorded).")],
) -> None:
    """Append reviewers' answers (present true/false per item and category) to the audit
    database. Append-only: a later answer for the same item and category supersedes an
    earlier one, nothing is changed or deleted. Every row is checked first: a bad row, an
    unknown category or item id is an error naming file:line, and nothing is recorded. Rows
    with a blank `present` are not answered yet and are counted, not recorded.

    Example:  audit review import audit-out sample.answers.csv --reviewer "A. Reviewer"

    Exit codes: 0 recorded; 2 bad file or row (file:line), no audit database, or the folder is
    in use by a scan.
    """
    from audit.assurance.answers import append_answers, check_items, read_answers
    from audit.assurance.outdir import audit_db

    parsed = read_answers(answers)
    with audit_db(out, write=True) as (con, _run):
        check_items(con, parsed)
        recorded = append_answers(con, parsed.answers, reviewer)
    blank = f"; {parsed.blank:,} rows left blank (not answered)" if parsed.blank else ""
    typer.echo(f"Recorded {recorded:,} answers by {reviewer.strip()} from {answers}{blank}")


def register(app: typer.Typer) -> None:
    """Add the `review` command group to the CLI."""
    app.add_typer(review_app, name="review")
