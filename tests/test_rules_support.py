"""Helpers for the rules tests: build rules in memory and evaluate them on small stores."""

from __future__ import annotations

import json
from typing import Any

import duckdb

from audit.rules.loader import LoadedRule, RuleSet
from audit.rules.model import Finding, Rule
from audit.rules.selftest import insert_finding, insert_item
from audit.store import open_memory, query

META = {
    "title": "t",
    "status": "stable",
    "severity": "high",
    "action": "exclude",
    "description": "d",
    "rationale": "r",
}


def make_rule(match: dict[str, Any], rule_id: str = "test.rule", **extra: Any) -> LoadedRule:
    """A validated in-memory rule (no file)."""
    return LoadedRule(
        Rule.model_validate({"id": rule_id, **META, "match": match, **extra}), "mem.yaml", {}
    )


def store(
    items: list[dict[str, Any]], findings: list[dict[str, Any]] = (), extra_columns=()
) -> duckdb.DuckDBPyConnection:
    """An in-memory audit store holding ``items`` and ``findings`` (each with item_id)."""
    con = open_memory()
    for name in extra_columns:
        con.execute(query("rules.sql", "selftest_extra_column"), [name])
    for item in items:
        insert_item(con, item)
    for f in findings:
        f = dict(f)
        insert_finding(con, f.pop("item_id"), Finding.model_validate(f))
    return con


def flagged(
    con: duckdb.DuckDBPyConnection, *rules: LoadedRule, run_id: str = "r1"
) -> dict[tuple[str, str], dict]:
    """Evaluate ``rules``; {(item_id, rule_id): evidence}."""
    from audit.rules import evaluate_rules

    evaluate_rules(con, RuleSet(list(rules), "mem", ""), run_id)
    rows = con.execute(
        "SELECT item_id, rule_id, evidence::VARCHAR FROM flags WHERE run_id = ?", [run_id]
    ).fetchall()
    return {(i, r): json.loads(e) for i, r, e in rows}


def matches(
    match: dict[str, Any], items: list[dict[str, Any]], findings=(), extra_columns=()
) -> set[str]:
    """Item ids flagged by a rule with this match over these items."""
    con = store(items, findings, extra_columns)
    return {item for item, _ in flagged(con, make_rule(match))}


class Batch:
    """Evaluate many matches over one store in a single run (keeps table-driven tests fast)."""

    def __init__(self, items, findings=(), extra_columns=(), cases=()) -> None:
        self.matches = [m for m, _ in cases]
        con = store(items, findings, extra_columns)
        rules = [make_rule(m, rule_id=f"case.n{n}") for n, m in enumerate(self.matches)]
        hits = flagged(con, *rules)
        self.results = [{i for i, r in hits if r == f"case.n{n}"} for n in range(len(rules))]

    def __call__(self, match) -> set[str]:
        return self.results[self.matches.index(match)]
