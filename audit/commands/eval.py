"""`audit eval`: score detectors against labelled data (precision / recall / F1)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

eval_app = typer.Typer(
    help="Score detectors against labelled data.", no_args_is_help=True, add_completion=False
)


@eval_app.command("pii")
def eval_pii(
    labelled: Annotated[Path, typer.Argument(help="Labelled file (see --format).")],
    fmt: Annotated[
        str,
        typer.Option(
            "--format",
            help="presidio: presidio-research JSON list; jsonl: {text, spans:[{entity_type,start,end}]}.",
        ),
    ] = "presidio",
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """Precision / recall / F1 of the pii detector per entity type (span overlap).

    Gold types are mapped to ours (GPE→LOCATION, DOMAIN_NAME→URL, …); types the detector
    does not produce (ORGANIZATION, TITLE, …) are listed as ignored.

    Example:

        audit eval pii labelled/synth_dataset_v2.json --format presidio
    """
    from audit.errors import UsageError
    from audit.evaluation.pii import evaluate_pii, format_pii_report

    if fmt not in ("presidio", "jsonl"):
        raise UsageError(f"--format must be presidio or jsonl, not {fmt!r}")
    result = evaluate_pii(labelled, fmt)  # type: ignore[arg-type]
    _emit(result, as_json, format_pii_report)


@eval_app.command("faces")
def eval_faces(
    folder: Annotated[Path, typer.Argument(help="Folder of images.")],
    counts: Annotated[
        Path | None,
        typer.Option("--counts", help="CSV with filename + faces (+ faces_min, faces_max)."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """Face counts of the faces detector against a CSV of expected counts.

    Example:

        audit eval faces photos/ --counts photos/face_counts.csv
    """
    from audit.evaluation.faces import evaluate_faces, format_faces_report

    _emit(evaluate_faces(folder, counts), as_json, format_faces_report)


@eval_app.command("ages")
def eval_ages(
    folder: Annotated[Path, typer.Argument(help="Folder of photos (or with an images/ folder).")],
    truth: Annotated[
        Path | None,
        typer.Option("--truth", help="CSV with filename and age, or age_min/age_max."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """Apparent age of the faces detector against age-labelled photos.

    Prints the mean absolute error, minor recall/precision at the shipped rules' thresholds
    (exclude, and exclude plus the review band), a precision-recall table by threshold and
    images per second (one process).

    Example:

        audit eval ages photos/ --truth photos/truth.csv
    """
    from audit.evaluation.ages import evaluate_ages, format_ages_report

    _emit(evaluate_ages(folder, truth), as_json, format_ages_report)


@eval_app.command("minors")
def eval_minors(
    posts: Annotated[Path, typer.Argument(help="Posts JSONL: {author_id, post_id, text, date}.")],
    authors: Annotated[Path, typer.Argument(help="Authors CSV with author_id, age.")],
    rules: Annotated[
        Path | None, typer.Option("--rules", help="Rule pack folder (default: the shipped one).")
    ] = None,
    target_precision: Annotated[
        float,
        typer.Option(
            "--target-precision",
            min=0.0,
            max=1.0,
            help="Precision the cross-validated threshold must reach on the training folds.",
        ),
    ] = 0.85,  # fmt: skip
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """Author-level recall / precision of the minors rules from the posts' text alone.

    The posts become a temporary audit database (no ages in it), the minor_cues detector and
    the rule pack run over it, and an author counts as flagged when an exclude rule of the
    minors category flags any of their posts; a minor is an author under 18. Also prints
    each minors rule's posts and authors, recall / precision by evidence-score threshold, a
    cross-validated threshold and texts/s. Dates: ISO or "31,May,2004".

    Example:

        audit eval minors labelled/posts.jsonl labelled/authors.csv --json
    """
    from audit.evaluation.minors import evaluate_minors, format_minors_report

    result = evaluate_minors(posts, authors, rules, target_precision=target_precision)
    _emit(result, as_json, format_minors_report)


def _emit(result: dict, as_json: bool, formatter) -> None:  # type: ignore[type-arg, no-untyped-def]
    if as_json:
        typer.echo(json.dumps(result, indent=2, default=str))
        return
    from rich.console import Console

    Console().print(formatter(result))


def register(app: typer.Typer) -> None:
    """Add `audit eval` to the CLI."""
    app.add_typer(eval_app, name="eval")
