"""Evaluate a rule pack over the audit store: set-based, all rules in one pass, sandboxed.

Writes ``rule_catalog`` (what was evaluated, with each rule's SQL compiled alone) and
``flags`` for the run. The pack's plan (audit/rules/compile.py) runs in the locked sandbox
(audit/rules/sandbox.py), never on ``con``; when it fails, each rule is run alone to name
the one at fault with its file:line.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import duckdb

from audit.rules.compile import CompiledRule, Plan, compile_pack, compile_rules, source_projection
from audit.rules.loader import LoadedRule, RuleSet
from audit.rules.probes import Probe, compile_checked_pack
from audit.rules.problems import Problem, RuleLoadError
from audit.rules.sandbox import BATCH_ROWS, Sandbox, copy_in, open_sandbox
from audit.store import query, registered

Progress = Callable[[str, int, int | None], None]

#: Sandbox inputs a pack may read besides items and findings: (store query, sandbox block)
#: pairs of audit/sql/rules.sql; the registry's matches are those of the run being evaluated.
_INPUTS = {
    "registry": (("read_registry_hits", "copy_registry_hits"),),
    "copies": (
        ("read_item_images", "copy_item_images"),
        ("read_image_copies", "copy_image_copies"),
    ),
}


@dataclass
class RulesSummary:
    """What one evaluation did."""

    per_rule: dict[str, int]
    seconds: float
    skipped: dict[str, str] = field(default_factory=dict)  # rule id → why it did not run
    partial: dict[str, str] = field(default_factory=dict)  # rule id → "evaluated without …"
    phase_seconds: dict[str, float] = field(default_factory=dict)  # copy_in, rules, write

    @property
    def flags(self) -> int:
        """Total flags written."""
        return sum(self.per_rule.values())


def _catalog_rows(
    run_id: str, ruleset: RuleSet, compiled: list[CompiledRule], skipped: dict[str, str]
) -> list[list]:
    rows = []
    for loaded, comp in zip(ruleset.rules, compiled, strict=True):
        rule = loaded.rule
        match_json = json.dumps(
            rule.model_dump(mode="json", by_alias=True, exclude_unset=True)["match"]
        )
        rows.append(
            [
                run_id,
                rule.id,
                rule.title,
                rule.category,
                rule.status,
                rule.severity,
                rule.action,
                rule.description,
                rule.rationale,
                rule.references,
                rule.tags,
                loaded.file,
                loaded.sha256,
                match_json,
                None if rule.id in skipped else comp.sql,  # the rule compiled alone
                skipped.get(rule.id),
                None if rule.id in skipped else comp.partial_reason,
            ]
        )
    return rows


def _run_plan(sandbox: Sandbox, plan: Plan) -> None:
    """Run a plan's statements as one transaction (a failure leaves no table behind)."""
    sandbox.execute(query("rules.sql", "begin"))
    try:
        for statement in plan.statements:
            sandbox.execute(statement.sql, statement.params)
    except BaseException:
        sandbox.execute(query("rules.sql", "rollback"))
        raise
    sandbox.execute(query("rules.sql", "commit"))


def _culprit(
    sandbox: Sandbox,
    active: list[LoadedRule],
    extra: set[str],
    detectors_run: set[str] | None,
) -> RuleLoadError | None:
    """After the pack failed: the first rule that fails on its own, as a file:line problem."""
    for loaded in active:
        try:
            _run_plan(sandbox, compile_pack([loaded], extra, detectors_run))
        except duckdb.Error as exc:
            detail = str(exc).split("\n", 1)[0]
            return RuleLoadError(
                [Problem(loaded.file, loaded.line, "match", f"cannot be evaluated: {detail}")]
            )
        finally:  # keep the sandbox as the pack left it: no hits, no tables
            sandbox.execute(query("rules.sql", "begin"))
            sandbox.execute("DELETE FROM rule_hits")
            sandbox.execute(query("rules.sql", "commit"))
    return None


def _run_in_sandbox(
    con: duckdb.DuckDBPyConnection,
    plan: Plan,
    active: list[LoadedRule],
    extra: set[str],
    detectors_run: set[str] | None,
    progress: Progress | None,
    run_id: str,
) -> tuple[Sandbox, dict[str, float]]:
    sandbox = open_sandbox()
    mark = time.perf_counter()
    copy_in(sandbox, con.sql(source_projection(plan.columns)), "copy_items")
    for name in sorted(plan.inputs):
        for read, block in _INPUTS[name]:
            sql = query("rules.sql", read)
            copy_in(sandbox, con.sql(sql, params=[run_id] if "$1" in sql else None), block)
    if plan.uses_findings:
        findings = con.sql(
            query("rules.sql", "read_findings"),
            params=[sorted(plan.detectors), sorted(plan.evidence_detectors)],
        )
        copy_in(sandbox, findings, "copy_findings")
    else:
        sandbox.execute(query("rules.sql", "empty_findings"))
    copied = time.perf_counter()
    try:
        _run_plan(sandbox, plan)
    except duckdb.Error as exc:
        culprit = _culprit(sandbox, active, extra, detectors_run)
        sandbox.close()
        if culprit is not None:
            raise culprit from exc
        raise
    if progress:
        progress("rules", len(active), len(active))
    return sandbox, {"copy_in": copied - mark, "rules": time.perf_counter() - copied}


@dataclass
class PackRun:
    """A pack evaluated in its sandbox (open until :meth:`close`): the hits are in the
    sandbox's ``rule_hits``; what was skipped or partly evaluated, and why."""

    sandbox: Sandbox
    plan: Plan
    compiled: list[CompiledRule]
    skipped: dict[str, str]
    partial: dict[str, str]
    phases: dict[str, float]
    probes: list[Probe] = field(default_factory=list)  # thresholds to measure (probes.py)

    def close(self) -> None:
        """Close the sandbox."""
        self.sandbox.close()


def extra_column_names(con: duckdb.DuckDBPyConnection) -> set[str]:
    """The source columns of the store's corpus (``extra.<name>`` fields)."""
    return {row[0] for row in con.execute(query("rules.sql", "extra_column_names")).fetchall()}


def run_pack(
    con: duckdb.DuckDBPyConnection,
    ruleset: RuleSet,
    *,
    detectors_run: set[str] | None = None,
    run_id: str | None = None,
    progress: Progress | None = None,
    probes: bool = False,
) -> PackRun:
    """Compile the pack for this store and scan (availability.py decides what is unknown,
    skipped or partial) and run it in a fresh sandbox; nothing is written to ``con``.
    ``run_id``: the run whose consent registry matches registry conditions read (None: no
    request covers any item). ``probes``: also compile the probes of its thresholds (run
    them with check.py)."""
    extra = extra_column_names(con)
    compiled = compile_rules(ruleset.rules, extra, detectors_run)
    skipped = {c.rule_id: c.skip_reason for c in compiled if c.skip_reason}
    partial = {c.rule_id: c.partial_reason for c in compiled if c.partial_reason}
    active = [r for r in ruleset.rules if r.rule.id not in skipped]
    measured: list[Probe] = []
    if probes:
        plan, measured = compile_checked_pack(active, extra, detectors_run)
    else:
        plan = compile_pack(active, extra, detectors_run)
    sandbox, phases = _run_in_sandbox(con, plan, active, extra, detectors_run, progress, run_id)
    return PackRun(sandbox, plan, compiled, skipped, partial, phases, measured)


def evaluate_rules(
    con: duckdb.DuckDBPyConnection,
    ruleset: RuleSet,
    run_id: str,
    *,
    progress: Progress | None = None,
    detectors_run: set[str] | None = None,
    measure: bool = True,
) -> RulesSummary:
    """Evaluate every rule over ``item_view``; replace the run's ``flags`` and ``rule_catalog``
    and (``measure``) the thresholds measured against the corpus (``rule_checks``).

    A rule whose conditions read what this corpus or scan lacks (a source column, a detector
    that did not run) is partly evaluated or skipped, with the reason (availability.py).
    """
    from audit.rules.check import check_run  # check.py builds on this module

    started = time.perf_counter()
    run = run_pack(
        con,
        ruleset,
        detectors_run=detectors_run,
        run_id=run_id,
        progress=progress,
        probes=measure,
    )
    evaluated = time.perf_counter()
    try:
        checks = check_run(run, ruleset) if measure else []
        rows = [
            [run_id, c.rule_id, t.path, t.words, t.population, t.reaching, t.dead]
            for c in checks
            for t in c.thresholds
        ]
        run.phases["check"] = time.perf_counter() - evaluated
        con.execute(query("rules.sql", "clear_checks"), [run_id])
        if rows:
            con.executemany(query("rules.sql", "insert_check"), rows)
        con.execute(query("rules.sql", "clear_run"), [run_id])
        con.execute(query("rules.sql", "clear_catalog"), [run_id])
        con.executemany(
            query("rules.sql", "insert_catalog"),
            _catalog_rows(run_id, ruleset, run.compiled, run.skipped),
        )
        hits = run.sandbox.sql(query("rules.sql", "read_hits")).to_arrow_reader(BATCH_ROWS)
        with registered(con, "rules_hits_in", hits):
            con.execute(query("rules.sql", "insert_flags"), [run_id])
    finally:
        run.close()
    counts = dict(con.execute(query("rules.sql", "flag_counts"), [run_id]).fetchall())
    phases = dict(run.phases)
    phases["write"] = time.perf_counter() - evaluated
    return RulesSummary(
        per_rule={rule_id: counts.get(rule_id, 0) for rule_id in run.plan.rule_ids},
        seconds=time.perf_counter() - started,
        skipped=run.skipped,
        partial=run.partial,
        phase_seconds=phases,
    )
