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
from audit.rules.problems import Problem, RuleLoadError
from audit.rules.sandbox import BATCH_ROWS, Sandbox, copy_in, open_sandbox
from audit.store import query

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


def _culprit(sandbox: Sandbox, active: list[LoadedRule], extra: set[str]) -> RuleLoadError | None:
    """After the pack failed: the first rule that fails on its own, as a file:line problem."""
    for loaded in active:
        try:
            _run_plan(sandbox, compile_pack([loaded], extra))
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
        culprit = _culprit(sandbox, active, extra)
        sandbox.close()
        if culprit is not None:
            raise culprit from exc
        raise
    if progress:
        progress("rules", len(active), len(active))
    return sandbox, {"copy_in": copied - mark, "rules": time.perf_counter() - copied}


def evaluate_rules(
    con: duckdb.DuckDBPyConnection,
    ruleset: RuleSet,
    run_id: str,
    *,
    progress: Progress | None = None,
    detectors_run: set[str] | None = None,
) -> RulesSummary:
    """Evaluate every rule over ``item_view``; replace the run's ``flags`` and ``rule_catalog``.

    Raises :class:`RuleLoadError` (file:line) when a rule names a source column the corpus
    lacks (unless listed in its ``requires_columns``, then it is skipped and reported).
    """
    started = time.perf_counter()
    extra = {row[0] for row in con.execute(query("rules.sql", "extra_column_names")).fetchall()}
    compiled = compile_rules(ruleset.rules, extra)
    skipped = {c.rule_id: c.skip_reason for c in compiled if c.skip_reason}
    if detectors_run is not None:
        # a rule on findings of a detector that did not run would look like a rule that
        # found nothing: it is skipped, and the skip is reported
        for comp in compiled:
            missing = sorted(comp.detectors - detectors_run)
            if missing and comp.rule_id not in skipped:
                skipped[comp.rule_id] = (
                    f"needs detector {', '.join(missing)}, which did not run in this scan"
                )
    active = [r for r in ruleset.rules if r.rule.id not in skipped]
    plan = compile_pack(active, extra)
    sandbox, phases = _run_in_sandbox(con, plan, active, extra, progress, run_id)
    evaluated = time.perf_counter()
    try:
        con.execute(query("rules.sql", "clear_run"), [run_id])
        con.execute(query("rules.sql", "clear_catalog"), [run_id])
        con.executemany(
            query("rules.sql", "insert_catalog"),
            _catalog_rows(run_id, ruleset, compiled, skipped),
        )
        con.register(
            "rules_hits_in",
            sandbox.sql(query("rules.sql", "read_hits")).to_arrow_reader(BATCH_ROWS),
        )
        try:
            con.execute(query("rules.sql", "insert_flags"), [run_id])
        finally:
            con.unregister("rules_hits_in")
    finally:
        sandbox.close()
    counts = dict(con.execute(query("rules.sql", "flag_counts"), [run_id]).fetchall())
    phases["write"] = time.perf_counter() - evaluated
    return RulesSummary(
        per_rule={rule_id: counts.get(rule_id, 0) for rule_id in plan.rule_ids},
        seconds=time.perf_counter() - started,
        skipped=skipped,
        phase_seconds=phases,
    )
