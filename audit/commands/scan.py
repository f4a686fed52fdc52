"""`audit scan`: the whole audit of a corpus into an output folder."""

from __future__ import annotations

import json
import shlex
import sys
from pathlib import Path
from typing import Annotated

import typer

from audit.detectors.registry import detectors_help


def scan(
    corpus: Annotated[
        str,
        typer.Argument(help="Corpus file, folder, glob, or corpus spec YAML (sources + mappings)."),
    ],
    mapping: Annotated[
        str | None,
        typer.Option("--mapping", help="Mapping preset name or mapping YAML file (default: auto)."),
    ] = None,
    extra: Annotated[
        str,
        typer.Option(
            "--extra",
            help="all (default): items.extra keeps every unmapped source field, so rules can "
            "name any of them; declared: only the mapping's `extra:` fields, for bulk dumps "
            "(Pushshift: ~1.7x the rows per second, ~2.5x smaller database).",
        ),
    ] = "all",
    rules: Annotated[
        Path | None,
        typer.Option("--rules", help="Rule folder or file (default: the shipped rule pack)."),
    ] = None,
    out: Annotated[Path, typer.Option("--out", help="Output folder.")] = Path("audit-out"),
    fail_on: Annotated[
        str | None,
        typer.Option(
            "--fail-on",
            help="Exit 1 if any flag has this severity or higher (info|low|medium|high|critical).",
        ),
    ] = None,
    detectors: Annotated[
        str | None,
        typer.Option(
            "--detectors",
            help=detectors_help(),
        ),
    ] = None,
    workers: Annotated[
        int | None, typer.Option("--workers", help="Worker processes (default: CPU count).")
    ] = None,
    engine: Annotated[
        str, typer.Option("--engine", help="Execution engine: local or ray.")
    ] = "local",
    skip_rule_tests: Annotated[
        bool,
        typer.Option(
            "--skip-rule-tests",
            help="Evaluate the rules even if their own test cases fail (default: refuse, exit 2).",
        ),
    ] = False,
    registry: Annotated[
        list[Path] | None,
        typer.Option(
            "--registry",
            help="Consent registry file (CSV or JSONL: request_id, kind, subject_type, subject, "
            "platform, received_at); repeatable. Every covered item is flagged. See docs/REGISTRY.md.",
        ),
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress output.")] = False,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print a machine summary on stdout.")
    ] = False,
    strict: Annotated[
        bool,
        typer.Option(
            "--strict",
            help="One flag: any ignored input or skipped rule is an error (exit 2). An ingest "
            "warning (a mapped field empty in every record of a file, a file without records) "
            "stops the scan; a skipped rule (its zero is not a finding) fails it after the "
            "reports are written. Partly evaluated rules are listed, not errors.",
        ),
    ] = False,
    fetch_media: Annotated[
        bool,
        typer.Option(
            "--fetch-media",
            help="Download remote images into OUT/media-cache and analyse them (robots.txt "
            "and X-Robots-Tag noai are honoured; a refusal is recorded as noai). Never by "
            "default: remote images are otherwise 'not analysed (remote)'.",
        ),
    ] = False,
    fetch_concurrency: Annotated[
        int, typer.Option("--fetch-concurrency", help="Parallel downloads (--fetch-media).")
    ] = 8,
    fetch_timeout: Annotated[
        float, typer.Option("--fetch-timeout", help="Seconds per download (--fetch-media).")
    ] = 10.0,
) -> None:
    """Audit a corpus: ingest, detect (cached), evaluate rules, write reports.

    Writes into --out: audit.duckdb, report.html, report.json, flags.parquet, findings.parquet, exclusions.txt, manifest.json (each file replaced atomically).

    A re-run only analyses content the detector cache has not seen; a killed scan resumes where it stopped when started again with the same arguments.

    Without --mapping the format is recognised: an X/Twitter or Mastodon archive folder, a
    Bluesky CAR, Instagram/Facebook/Reddit exports, Pushshift .zst dumps, JSON documents or
    lines, CSV, Parquet, webdataset .tar shards (docs/MAPPINGS.md).

    Example:  audit scan sample_data/corpus.yaml --out audit-out --fail-on high --registry sample_data/registry/requests.csv

    Exit codes: 0 nothing at or above --fail-on (or no --fail-on); 1 flags at or above --fail-on; 2 usage or input error (bad corpus or rule file, a rule failing its own test cases, a bad consent registry row — one line per row —, unrecognised format, no item read or every row rejected, an ingest warning or a skipped rule under --strict, output folder not writable or in use by another scan).
    """
    from audit.progress import make_progress
    from audit.scan import ScanOptions, run_scan

    opts = ScanOptions(
        corpus=corpus,
        out=out,
        mapping=mapping,
        extra=extra,
        rules=rules,
        detectors=tuple(d.strip() for d in detectors.split(",") if d.strip())
        if detectors
        else None,
        workers=workers,
        engine=engine,
        fail_on=fail_on,
        command=shlex.join(["audit", *sys.argv[1:]]),
        strict=strict,
        fetch_media=fetch_media,
        fetch_concurrency=fetch_concurrency,
        fetch_timeout=fetch_timeout,
        skip_rule_tests=skip_rule_tests,
        registry=tuple(registry or ()),
    )
    with make_progress(quiet=quiet) as progress:
        result = run_scan(opts, progress)
    for warning in result.warnings:
        typer.echo(f"warning: {warning}", err=True)
    if as_json:
        typer.echo(json.dumps(result.summary(), indent=2, default=str))
    elif not quiet:
        h = result.headline
        typer.echo(
            f"{h['items']:,} items · {h['flagged_items']:,} flagged · "
            f"{h['excluded_items']:,} excluded · {h['errors']:,} errors"
        )
        skipped = result.manifest.get("rules", {}).get("skipped") or {}
        if skipped:
            typer.echo(f"{len(skipped)} rule(s) not evaluated (their zero is not a finding):")
            for rule_id, reason in sorted(skipped.items()):
                typer.echo(f"  {rule_id}: {reason}")
        partial = result.manifest.get("rules", {}).get("partial") or {}
        if partial:
            typer.echo(f"{len(partial)} rule(s) partly evaluated:")
            for rule_id, reason in sorted(partial.items()):
                typer.echo(f"  {rule_id}: {reason}")
        typer.echo(f"Report: {result.outputs['report.html']}")
    skipped_any = result.manifest.get("rules", {}).get("skipped")
    if strict and skipped_any:
        typer.echo(f"--strict: {len(skipped_any)} rule(s) were not evaluated: exit 2", err=True)
    raise typer.Exit(result.exit_code)


def register(app: typer.Typer) -> None:
    """Add `audit scan` to the CLI."""
    app.command("scan")(scan)
