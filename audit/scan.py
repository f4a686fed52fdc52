"""`audit scan`: ingest → detect (cached) → evaluate rules → write every output.

One function, :func:`run_scan`, orchestrates the stages through their contracts
(docs/CONTRACTS.md) and owns the run bookkeeping (``runs`` row, manifest, exit code).
Stage modules are imported lazily so that a missing stage is a clear error, not an
ImportError at CLI start.
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from audit import atomic
from audit.detect import ENGINES
from audit.errors import EXIT_FLAGS, EXIT_INPUT, EXIT_OK, InputError, UsageError
from audit.lock import folder_lock
from audit.manifest import build_manifest, corpus_fingerprint, rules_fingerprint
from audit.paths import shipped_rules_dir
from audit.progress import Progress, QuietProgress, silence_duckdb
from audit.report import exports
from audit.report.queries import rows
from audit.report.render import DB_FILE, write_reports
from audit.store import StoreError, open_store, query
from audit.vocabulary import SEVERITIES, severity_rank


class RuleTestsFailed(InputError):
    """The rule pack fails its own test cases, so its flags cannot be trusted (exit 2)."""


@dataclass
class ScanOptions:
    """Arguments of one scan (the CLI flags)."""

    corpus: str
    out: Path = Path("audit-out")
    mapping: str | None = None
    extra: str = "all"  # items.extra: every unmapped source field, or "declared" ones only
    rules: Path | None = None
    detectors: tuple[str, ...] | None = None  # None = the registry's defaults
    workers: int | None = None
    engine: str = "local"
    fail_on: str | None = None
    command: str = "audit scan"
    # one flag: any ignored input (an ingest warning) or skipped rule is an error → exit 2
    strict: bool = False
    fetch_media: bool = False  # download remote images (audit/ingest/fetch.py); never by default
    fetch_concurrency: int = 8
    fetch_timeout: float = 10.0
    skip_rule_tests: bool = False  # evaluate a pack even when its own test cases fail
    registry: tuple[Path, ...] = ()  # consent registry files (--registry), beside the spec's


@dataclass
class ScanResult:
    """What a finished scan reports back to the CLI."""

    run_id: str
    out: Path
    exit_code: int
    headline: dict[str, Any]
    severity: list[dict[str, Any]]
    manifest: dict[str, Any]
    outputs: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)  # ingest warnings (printed on stderr)

    def summary(self) -> dict[str, Any]:
        """The machine summary printed by ``audit scan --json``."""
        return {
            "run_id": self.run_id,
            "out": str(self.out),
            "exit_code": self.exit_code,
            "headline": self.headline,
            "severity": self.severity,
            "outputs": self.outputs,
            "timings": self.manifest.get("timings", {}),
            "cache_hit_rate": self.manifest.get("cache_hit_rate"),
            "warnings": self.warnings,
        }


def new_run_id(now: dt.datetime) -> str:
    """Sortable and unique: ``20260126T101500Z-3f9a1c``."""
    return f"{now:%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}"


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


def exit_code_for(severity_rows: list[dict[str, Any]], fail_on: str | None) -> int:
    """1 when any flag is at or above ``fail_on`` (``None`` never fails), else 0."""
    if fail_on is None:
        return EXIT_OK
    threshold = severity_rank(fail_on)
    hit = any(
        r["severity"] in SEVERITIES and severity_rank(r["severity"]) >= threshold
        for r in severity_rows
    )
    return EXIT_FLAGS if hit else EXIT_OK


def validate(opts: ScanOptions) -> None:
    """Reject argument combinations before anything is written (exit 2)."""
    if opts.fail_on is not None and opts.fail_on not in SEVERITIES:
        raise UsageError(f"--fail-on must be one of {', '.join(SEVERITIES)}, not {opts.fail_on!r}")
    if opts.engine not in ENGINES:
        raise UsageError(f"--engine must be one of {', '.join(ENGINES)}, not {opts.engine!r}")
    if opts.workers is not None and opts.workers < 1:
        raise UsageError("--workers must be at least 1")
    if opts.rules is not None and not opts.rules.exists():
        raise UsageError(f"--rules {opts.rules}: no such file or folder")
    if opts.fetch_concurrency < 1 or opts.fetch_timeout <= 0:
        raise UsageError("--fetch-concurrency must be at least 1 and --fetch-timeout positive")


def _open(out: Path) -> duckdb.DuckDBPyConnection:
    try:
        con = open_store(out / DB_FILE)
        silence_duckdb(con)
        return con
    except StoreError as exc:
        raise atomic.OutputError(str(exc)) from exc


def _run_detectors(
    con: duckdb.DuckDBPyConnection, opts: ScanOptions, run_id: str, progress: Progress
) -> Any:
    from audit.detect import run_detectors  # heavy imports stay out of `audit --help`

    # None lets the detect stage pick the installed default detectors.
    names = list(opts.detectors) if opts.detectors else None
    return run_detectors(
        con, names, workers=opts.workers, run_id=run_id, progress=progress, engine=opts.engine
    )


def run_scan(opts: ScanOptions, progress: Progress | None = None) -> ScanResult:
    """Run the whole scan into ``opts.out`` under its folder lock and return the result.

    Raises :class:`AuditError` subclasses for user-fixable problems (exit 2); the run row is
    marked ``failed`` (or stays ``running`` if the process is killed, and is marked
    ``interrupted`` by the next scan into the same folder).
    """
    validate(opts)
    progress = progress or QuietProgress()
    out = atomic.check_writable(opts.out)
    rules_path = opts.rules or shipped_rules_dir()
    with folder_lock(out, purpose=f"scan {opts.corpus}"):
        con = _open(out)
        try:
            return _scan_locked(con, opts, out, rules_path, progress)
        finally:
            con.close()


def _scan_locked(
    con: duckdb.DuckDBPyConnection,
    opts: ScanOptions,
    out: Path,
    rules_path: Path,
    progress: Progress,
) -> ScanResult:
    started = _now()
    run_id = new_run_id(started)
    con.execute(query("scan.sql", "interrupt_stale_runs"))
    con.execute(
        query("scan.sql", "start_run"),
        {"run_id": run_id, "started_at": started.replace(tzinfo=None), "command": opts.command},
    )
    timings: dict[str, float] = {}
    t0 = time.monotonic()
    try:
        # Rules are loaded first: a bad rule file should fail before an hour of detection.
        from audit.ingest import ingest_corpus
        from audit.rules import evaluate_rules, load_rules

        ruleset = load_rules(rules_path)
        # and so is a bad registry row: every request must be honoured as written
        registry = _load_registry(opts)
        rule_tests = _check_rule_tests(con, ruleset, opts.skip_rule_tests)
        _encode_registry_subjects(con, registry)

        mark = time.monotonic()
        ingest_summary = ingest_corpus(
            con,
            opts.corpus,
            opts.mapping,
            run_id=run_id,
            progress=progress,
            strict=opts.strict,
            media_cache=out / "media-cache",
            workers=opts.workers,
            engine=opts.engine,
            extra=opts.extra,
        )
        timings["ingest"] = time.monotonic() - mark
        progress.note(f"ingest: {ingest_summary.items:,} items ({timings['ingest']:.1f}s)")
        for warning in ingest_summary.warnings:
            progress.note(f"warning: {warning}")
        fetch_summary = None
        if opts.fetch_media:
            from audit.ingest.fetch import FetchOptions, fetch_media

            mark = time.monotonic()
            fetch_summary = fetch_media(
                con,
                out / "media-cache",
                FetchOptions(concurrency=opts.fetch_concurrency, timeout=opts.fetch_timeout),
                run_id=run_id,
                progress=progress,
            )
            timings["fetch_media"] = time.monotonic() - mark
            progress.note(f"fetch media: {fetch_summary.outcomes} ({timings['fetch_media']:.1f}s)")

        mark = time.monotonic()
        detect_summary = _run_detectors(con, opts, run_id, progress)
        timings["detect"] = time.monotonic() - mark
        progress.note(f"detect: done ({timings['detect']:.1f}s)")

        mark = time.monotonic()
        registry_summary = _apply_registry(con, registry, run_id)
        timings["registry"] = time.monotonic() - mark
        if registry:
            progress.note(
                f"registry: {registry_summary.requests:,} requests, "
                f"{registry_summary.items:,} items covered ({timings['registry']:.1f}s)"
            )

        mark = time.monotonic()
        rules_summary = evaluate_rules(
            con, ruleset, run_id, detectors_run=set(detect_summary.detectors)
        )
        timings["rules"] = time.monotonic() - mark
        progress.note(
            f"rules: {sum(rules_summary.per_rule.values()):,} flags ({timings['rules']:.1f}s)"
        )

        mark = time.monotonic()
        excluded = exports.write_exports(con, out, run_id)
        timings["exports"] = time.monotonic() - mark

        counts = dict(
            zip(
                ("items", "findings", "flags", "ingest_errors", "detect_errors", "other_errors"),
                con.execute(query("scan.sql", "stage_counts"), {"run_id": run_id}).fetchone(),
                strict=True,
            )
        )
        counts.update(excluded)
        finished = _now()
        timings["total"] = time.monotonic() - t0
        manifest = build_manifest(
            run_id=run_id,
            command=opts.command,
            started_at=started.isoformat(),
            finished_at=finished.isoformat(),
            corpus=corpus_fingerprint(con, opts.corpus, ingest_summary),
            rules=rules_fingerprint(rules_path),
            detect_summary=detect_summary,
            rules_summary=rules_summary,
            counts=counts,
            timings=timings,
            options={
                "mapping": opts.mapping,
                "extra": opts.extra,
                "detectors": opts.detectors,
                "workers": opts.workers,
                "engine": opts.engine,
                "fail_on": opts.fail_on,
                "out": str(out),
                "strict": opts.strict,
                "fetch_media": opts.fetch_media,
                "rule_tests": rule_tests,
                "registry": [str(p) for p in _registry_paths(opts)],
            },
        )
        manifest["registry"] = registry_summary.manifest()
        manifest["ingest"] = {
            "warnings": ingest_summary.warnings,
            "visibility_basis": [
                {"visibility": v, "basis": b, "items": n}
                for v, b, n in ingest_summary.visibility_basis
            ],
            "not_items": ingest_summary.not_items,
            "duplicates": ingest_summary.duplicates,
            "skipped_files": [{"path": p, "reason": r} for p, r in ingest_summary.skipped_files],
            "fetch_media": fetch_summary.outcomes if fetch_summary else None,
        }
        outputs = write_reports(con, out, run_id, manifest)
        _finish(con, run_id, "complete", manifest)
    except BaseException as exc:
        _finish(con, run_id, "failed", {"error": f"{type(exc).__name__}: {exc}"})
        if isinstance(exc, duckdb.IOException):
            raise atomic.OutputError(f"{out}: {exc}") from exc
        raise
    severity = rows(con, "kpi_severity", run_id=run_id)
    headline = rows(con, "kpi_headline", run_id=run_id)[0]
    # --strict: a skipped rule's zero is not a finding (partly evaluated rules are reported)
    strict_failure = opts.strict and bool(rules_summary.skipped)
    return ScanResult(
        run_id=run_id,
        out=out,
        exit_code=EXIT_INPUT if strict_failure else exit_code_for(severity, opts.fail_on),
        headline=headline,
        severity=severity,
        manifest=manifest,
        outputs=outputs,
        warnings=ingest_summary.warnings,
    )


def _registry_paths(opts: ScanOptions) -> list[Path]:
    """The registry files of a scan: the corpus spec's ``registry:`` list, then --registry;
    a file named both ways (or twice) is read once, where it is first named."""
    from audit.registry.load import spec_registry_files

    first: dict[Path, Path] = {}
    for path in [*spec_registry_files(opts.corpus), *opts.registry]:
        first.setdefault(Path(path).resolve(), Path(path))
    return list(first.values())


def _load_registry(opts: ScanOptions) -> Any:
    """Read and check the registry (bad rows: RegistryError, exit 2) before any other work."""
    from audit.registry.load import Registry, RegistryError, read_registry

    paths = _registry_paths(opts)
    if not paths:
        return Registry()
    from audit.registry.match import check_subjects

    # Every bad row in one report: the rows' form, then the subjects of the rows that parsed.
    registry, problems = read_registry(paths)
    try:
        check_subjects(registry.requests)
    except RegistryError as exc:
        problems = [*problems, *exc.problems]
    if problems:
        raise RegistryError(sorted(problems, key=lambda p: (str(p.file), p.line or 0)))
    return registry


def _encode_registry_subjects(con: duckdb.DuckDBPyConnection, registry: Any) -> None:
    """Hash the reference images and encode the reference faces (cached in the store); a
    reference that gives nothing is a bad row too."""
    if registry:
        from audit.registry.subjects import encode_subjects

        encode_subjects(con, registry.requests)


def _apply_registry(con: duckdb.DuckDBPyConnection, registry: Any, run_id: str) -> Any:
    """Copies of images in the corpus, then the registry's matches (both read by rules)."""
    from audit.registry.match import RegistrySummary, apply_registry, find_copies

    summary = apply_registry(con, registry, run_id) if registry else RegistrySummary()
    summary.copies = find_copies(con)
    return summary


def _check_rule_tests(con: duckdb.DuckDBPyConnection, ruleset: Any, skip: bool) -> str:
    """Run the pack's own test cases; a pack that fails them is not evaluated (exit 2).

    Returns what the manifest records: "passed", "passed before" (the same pack on the same
    engine passed in this audit database: audit/rules/selftest_cache.py) or "skipped".
    """
    if skip:
        return "skipped"
    from audit.rules import selftest_cache
    from audit.rules.selftest import failing_rule, run_selftests

    if selftest_cache.passed_before(con, ruleset):
        return "passed before"
    failure = failing_rule(ruleset, run_selftests(ruleset))
    if failure:
        raise RuleTestsFailed(
            f"{failure} — fix the rule (see `audit rules test`) or scan with --skip-rule-tests"
        )
    selftest_cache.record_pass(con, ruleset)
    return "passed"


def _finish(con: duckdb.DuckDBPyConnection, run_id: str, status: str, manifest: dict) -> None:
    try:
        con.execute(
            query("scan.sql", "finish_run"),
            {
                "run_id": run_id,
                "status": status,
                "finished_at": _now().replace(tzinfo=None),
                "manifest": json.dumps(manifest, default=str),
            },
        )
    except duckdb.Error:
        # Bookkeeping must not mask the original failure (e.g. disk full).
        if status == "complete":
            raise
