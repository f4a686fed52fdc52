"""`audit compliance`: EU training-content summary, Croissant RAI fields, dataset-card section."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer


def compliance(
    out: Annotated[Path, typer.Argument(help="Out folder of a scan (or its audit.duckdb).")],
    eu_summary: Annotated[
        Path | None,
        typer.Option("--eu-summary", help="Markdown: data sections of the EU public summary."),
    ] = None,
    croissant: Annotated[
        Path | None,
        typer.Option("--croissant", help="JSON-LD: Croissant description with rai:* fields."),
    ] = None,
    dataset_card: Annotated[
        Path | None,
        typer.Option(
            "--dataset-card", help="Markdown: 'Personal and Sensitive Information' section."
        ),
    ] = None,
    name: Annotated[
        str | None,
        typer.Option("--name", help="Dataset name (default: the scanned corpus file's name)."),
    ] = None,
    run_id: Annotated[
        str | None, typer.Option("--run-id", help="Run (default: the latest complete run).")
    ] = None,
) -> None:
    """Draft compliance documents from the audit database: every figure is read from it.

    --eu-summary: the data sections of the EU AI Act public summary of training content
    (Art. 53(1)(d), the Commission's template of July 2025): sources by type, the top 10% of
    domain names by share of items, the posting period, and the measures taken — opt-outs and
    text-and-data-mining reservations honoured by signal, personal data and minors excluded or
    redacted, and the residual estimates of the sampled review (`audit assurance`).
    --croissant: the Responsible-AI fields of an MLCommons Croissant 1.0 description
    (rai:personalSensitiveInformation, rai:dataCollection, rai:dataBiases, …).
    --dataset-card: a "Personal and Sensitive Information" section for a Hugging Face card.
    What only the provider knows is left as a marked [provider: …] gap.

    Example:  audit compliance audit-out --eu-summary eu-summary.md --croissant croissant.json

    Exit codes: 0 written; 2 no output asked for, no audit database or run, or a file cannot
    be written.
    """
    from audit import atomic
    from audit.assurance.compliance import (
        collect_facts,
        dataset_card_markdown,
        eu_summary_markdown,
    )
    from audit.assurance.compliance import (
        croissant as croissant_doc,
    )
    from audit.assurance.outdir import audit_db
    from audit.errors import UsageError

    if not (eu_summary or croissant or dataset_card):
        raise UsageError("nothing to write: give --eu-summary, --croissant and/or --dataset-card")
    with audit_db(out, run_id) as (con, run):
        facts = collect_facts(con, run, name)
    written = []
    if eu_summary:
        atomic.write_text(eu_summary, eu_summary_markdown(facts))
        written.append(str(eu_summary))
    if croissant:
        text = json.dumps(croissant_doc(facts), indent=2, ensure_ascii=False) + "\n"
        atomic.write_text(croissant, text)
        written.append(str(croissant))
    if dataset_card:
        atomic.write_text(dataset_card, dataset_card_markdown(facts))
        written.append(str(dataset_card))
    typer.echo("Wrote " + ", ".join(written))


def register(app: typer.Typer) -> None:
    """Add `audit compliance` to the CLI."""
    app.command("compliance")(compliance)
