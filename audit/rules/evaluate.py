"""Evaluate a rule pack over the audit store: set-based, one statement per rule, sandboxed.

Writes ``rule_catalog`` (what was evaluated, with the compiled SQL) and ``flags`` for the
run. Rule SQL runs in the locked sandbox (audit/rules/sandbox.py), never on ``con``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import duckdb

from audit.rules.compile import CompiledRule, compile_rules, source_projection
from audit.rules.loader import RuleSet
from audit.rules.problems import Problem, RuleLoadError
from audit.rules.sandbox import copy_in, open_sandbox
from audit.store import query

Progress = Callable[[str, int, int | None], None]


@dataclass
class RulesSummary:
    """What one evaluation did."""

    per_rule: dict[str, int]
    seconds: float
    skipped: dict[str, str] = field(default_factory=dict)  # rule id → why it did not run
    rule_seconds: dict[str, float] = field(default_factory=dict)
    phase_seconds: dict[str, float] = field(default_factory=dict)  # copy_in, rules, write

    @property
    def flags(self) -> int:
        """Total flags written."""
        return sum(self.per_rule.values())


def _catalog_rows(run_id: str, ruleset: RuleSet, compiled: list[CompiledRule]) -> list[list]:
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
                None if comp.skip_reason else comp.sql,
            ]
        )
    return rows


def _run_in_sandbox(
    con: duckdb.DuckDBPyConnection,
    ruleset: RuleSet,
    active: list[CompiledRule],
    progress: Progress | None,
) -> tuple[duckdb.DuckDBPyConnection, dict[str, float]]:
    sandbox = open_sandbox()
    columns = set().union(*(c.columns for c in active)) if active else {"item_id"}
    copy_in(sandbox, con.sql(source_projection(columns)), "copy_items")
    if any(c.uses_findings for c in active):
        copy_in(sandbox, con.sql(query("rules.sql", "read_findings")), "copy_findings")
    else:
        sandbox.execute(query("rules.sql", "empty_findings"))
    timings = {}
    for n, comp in enumerate(active):
        started = time.perf_counter()
        try:
            sandbox.execute(comp.sql, comp.params)
        except duckdb.Error as exc:
            loaded = ruleset.get(comp.rule_id)
            detail = str(exc).split("\n", 1)[0]
            raise RuleLoadError(
                [Problem(loaded.file, loaded.line, "match", f"cannot be evaluated: {detail}")]
            ) from exc
        timings[comp.rule_id] = time.perf_counter() - started
        if progress:
            progress("rules", n + 1, len(active))
    return sandbox, timings


def evaluate_rules(
    con: duckdb.DuckDBPyConnection,
    ruleset: RuleSet,
    run_id: str,
    *,
    progress: Progress | None = None,
) -> RulesSummary:
    """Evaluate every rule over ``item_view``; replace the run's ``flags`` and ``rule_catalog``.

    Raises :class:`RuleLoadError` (file:line) when a rule names a source column the corpus
    lacks (unless listed in its ``requires_columns``, then it is skipped and reported).
    """
    started = time.perf_counter()
    extra = {row[0] for row in con.execute(query("rules.sql", "extra_column_names")).fetchall()}
    compiled = compile_rules(ruleset.rules, extra)
    active = [c for c in compiled if c.skip_reason is None]
    sandbox, timings = _run_in_sandbox(con, ruleset, active, progress)
    evaluated = time.perf_counter()
    try:
        con.execute(query("rules.sql", "clear_run"), [run_id])
        con.execute(query("rules.sql", "clear_catalog"), [run_id])
        con.executemany(
            query("rules.sql", "insert_catalog"), _catalog_rows(run_id, ruleset, compiled)
        )
        con.register(
            "rules_hits_in", sandbox.sql(query("rules.sql", "read_hits")).to_arrow_reader(500_000)
        )
        try:
            con.execute(query("rules.sql", "insert_flags"), [run_id])
        finally:
            con.unregister("rules_hits_in")
    finally:
        sandbox.close()
    counts = dict(con.execute(query("rules.sql", "flag_counts"), [run_id]).fetchall())
    return RulesSummary(
        per_rule={c.rule_id: counts.get(c.rule_id, 0) for c in active},
        seconds=time.perf_counter() - started,
        skipped={c.rule_id: c.skip_reason for c in compiled if c.skip_reason},
        rule_seconds=timings,
        phase_seconds={
            "copy_in": evaluated - started - sum(timings.values()),
            "rules": sum(timings.values()),
            "write": time.perf_counter() - evaluated,
        },
    )
