"""Compile a rule's `match` tree into one parameterised DuckDB statement over ``item_view i``.

This is the only place rule SQL is built. Identifiers come from the validated column
catalogue (audit/rules/columns.py), never from rule text; every value is a bound ``$n``
parameter. Semantics (DESIGN.md): a comparison on a missing value is false, never NULL
(``coalesce(..., false)``), so ``not`` of it is true.

The statement inserts ``(item_id, rule_id, evidence)`` rows into ``rule_hits`` of the
sandbox database (audit/rules/sandbox.py). Evidence lists the satisfied conditions in
plain words and the item's findings that a detector condition looked at (positions and
scores only, never the matched text). Aggregate conditions become materialised CTEs,
one group row per matching group, joined back to their items.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from audit.rules.columns import ITEM_VIEW_KINDS, FieldRef, resolve_field
from audit.rules.describe import describe
from audit.rules.loader import LoadedRule
from audit.rules.model import (
    AggregateCondition,
    AllCondition,
    AnyCondition,
    AnyItemHaving,
    DistinctHaving,
    FacesCondition,
    FieldCondition,
    MinorCuesCondition,
    NotCondition,
    PiiCondition,
    ShareHaving,
)
from audit.rules.problems import Problem, RuleLoadError
from audit.store import query

_SQL_OP = {"eq": "=", "ne": "<>", "lt": "<", "le": "<=", "gt": ">", "ge": ">="}
_CAST = {"number": "DOUBLE", "bool": "BOOLEAN", "timestamp": "TIMESTAMP", "date": "DATE"}

Path_ = tuple[Any, ...]


@dataclass
class CompiledRule:
    """A rule ready to run: SQL text, its parameters, and what it reads."""

    rule_id: str
    sql: str
    params: list[Any]
    columns: set[str]  # item_view columns the statement reads
    uses_findings: bool
    extra_names: set[str]  # source columns (items.extra) the statement reads
    is_aggregate: bool  # flags depend on other items of a group
    skip_reason: str | None = None  # set when the corpus lacks a column in requires_columns


@dataclass
class _State:
    loaded: LoadedRule
    extra_columns: set[str] | None
    params: list[Any] = field(default_factory=list)
    ctes: list[str] = field(default_factory=list)
    columns: set[str] = field(default_factory=lambda: {"item_id"})
    finding_filters: list[str] = field(default_factory=list)  # shown as item evidence
    uses_findings: bool = False
    problems: list[Problem] = field(default_factory=list)
    missing_required: set[str] = field(default_factory=set)
    extra_names: set[str] = field(default_factory=set)

    def bind(self, value: Any) -> str:
        """Add a parameter; returns its ``$n`` placeholder."""
        if isinstance(value, datetime | date):
            value = value.isoformat()
        self.params.append(value)
        return f"${len(self.params)}"


def _column(state: _State, ref: FieldRef, path: Path_, value_kind: str | None = None) -> str:
    """SQL for a field's value; source columns come out of the extra JSON."""
    state.columns.add(ref.column)
    name = ref.extra_name
    if name is None:
        return f'i."{ref.name}"'
    state.extra_names.add(name)
    known = state.extra_columns
    if known is not None and name not in known:
        if ref.name in state.loaded.rule.requires_columns:
            state.missing_required.add(ref.name)
        else:
            have = ", ".join(sorted(known)) or "none"
            state.problems.append(
                state.loaded.problem(
                    path,
                    f"this corpus has no source column '{name}' (source columns: {have}); "
                    f"list {ref.name} under requires_columns to skip the rule for such corpora",
                )
            )
    # the name matched columns._EXTRA_NAME (no quotes or backslashes), so it is safe here
    text = f"json_extract_string(i.extra, '$.\"{name}\"')"
    cast = _CAST.get(value_kind or "")
    return f"TRY_CAST({text} AS {cast})" if cast else text


def _value_kind(value: Any) -> str:
    if isinstance(value, list):
        value = value[0]
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    return "text"


def _field(state: _State, cond: FieldCondition, path: Path_) -> str:
    ref, op, value = cond.ref, cond.op, cond.value
    kind = ref.kind
    if kind == "extra":  # a source column's kind is that of the value it is compared with
        kind = "text" if op in ("is_null", "contains", "matches") else _value_kind(value)
    col = _column(state, ref, (*path, "field"), kind if ref.kind == "extra" else None)
    if op == "is_null":
        return f"({col} IS {'' if value else 'NOT '}NULL)"
    if op in _SQL_OP:
        placeholder = state.bind(value)
        if kind in ("timestamp", "date"):
            placeholder = f"CAST({placeholder} AS {_CAST[kind]})"
        expr = f"{col} {_SQL_OP[op]} {placeholder}"
    elif op in ("in", "not_in"):
        list_type = "DOUBLE[]" if kind == "number" else "VARCHAR[]"
        expr = f"list_contains({state.bind(list(value))}::{list_type}, {col})"
        expr = expr if op == "in" else f"NOT {expr}"
    elif op == "contains":
        fn = "list_contains" if ref.kind == "list" else "contains"
        expr = f"{fn}({col}, {state.bind(value)})"
    else:  # matches
        expr = f"regexp_matches({col}, {state.bind(value)})"
    return f"coalesce({expr}, false)"


def _finding_filter(state: _State, cond: PiiCondition | FacesCondition | MinorCuesCondition) -> str:
    parts = [f"f.detector = {state.bind(cond.detector)}"]
    types = getattr(cond, "types", None)
    if types:
        parts.append(f"list_contains({state.bind(list(types))}::VARCHAR[], f.entity_type)")
    if cond.min_score is not None:
        parts.append(f"f.score >= {state.bind(cond.min_score)}")
    if getattr(cond, "min_size_px", None):
        parts.append(f"{query('rules.sql', 'face_size_px')} >= {state.bind(cond.min_size_px)}")
    return "(" + " AND ".join(parts) + ")"


def _detector(
    state: _State, cond: PiiCondition | FacesCondition | MinorCuesCondition, in_group: bool
) -> str:
    where = _finding_filter(state, cond)
    state.uses_findings = True
    if not in_group:  # inside an aggregate the evidence is the group label, not item spans
        state.finding_filters.append(where)
    # an uncorrelated semi-join: DuckDB hashes the qualifying item ids once
    having = (
        ""
        if cond.min_count == 1
        else f" GROUP BY f.item_id HAVING count(*) >= {state.bind(cond.min_count)}"
    )
    return f"i.item_id IN (SELECT f.item_id FROM findings f WHERE {where}{having})"


def _having_parts(state: _State, having: Any, hpath: Path_) -> tuple[str, str, str, str]:
    """(per-item SQL, group test, label format, label args) for one kind of `having`.

    Group columns available to the test and label: g, n (items), hits (items matching the
    per-item condition), example (smallest matching item id), distinct_n.
    """
    if isinstance(having, DistinctHaving):
        spec = having.distinct_count
        value = _column(state, resolve_field(spec.field), (*hpath, "distinct_count", "field"))
        test = f"distinct_n >= {state.bind(spec.ge)}"
        return value, test, "%s %s: %d distinct %s values", f"distinct_n, {state.bind(spec.field)}"
    if isinstance(having, AnyItemHaving):
        inner, wpath = having.any_item, (*hpath, "any_item")
    elif isinstance(having, ShareHaving):
        inner, wpath = having.share_of_items.where, (*hpath, "share_of_items", "where")
    else:
        inner, wpath = having.count_of_items.where, (*hpath, "count_of_items", "where")
    where = _expr(state, inner, wpath, units=None, in_group=True)
    said = state.bind(describe(inner))
    if isinstance(having, ShareHaving):
        test = f"hits >= {state.bind(having.share_of_items.ge)} * n"
        return where, test, "%s %s: %.0f%% of %d items matched: %s", f"100.0 * hits / n, n, {said}"
    need = 1 if isinstance(having, AnyItemHaving) else having.count_of_items.ge
    test = f"hits >= {state.bind(need)}"
    fmt = "%s %s: %d of %d items matched (e.g. item %s): %s"
    return where, test, fmt, f"hits, n, example, {said}"


def _aggregate(state: _State, cond: AggregateCondition, path: Path_) -> tuple[str, str]:
    """Returns (boolean SQL, evidence label SQL) for a group-level condition.

    One materialised CTE per aggregate: the per-item condition is evaluated once per item,
    counted per group, and only matching groups (with their evidence label) are kept.
    """
    agg = cond.aggregate
    group = _column(state, resolve_field(agg.group_by), (*path, "aggregate", "group_by"))
    per_item, test, fmt, args = _having_parts(state, agg.having, (*path, "aggregate", "having"))
    distinct = isinstance(agg.having, DistinctHaving)
    w = "true" if distinct else "w"
    name = f"agg_{len(state.ctes) + 1}"
    state.ctes.append(
        f"{name} AS MATERIALIZED (SELECT g, printf({state.bind(fmt)}, {state.bind(agg.group_by)}, g, {args}) AS label "
        f"FROM (SELECT g, count(*) AS n, count(*) FILTER (WHERE {w}) AS hits, "
        f"min(item_id) FILTER (WHERE {w}) AS example, "
        f"{'count(DISTINCT w)' if distinct else 'NULL'} AS distinct_n "
        f"FROM (SELECT {group} AS g, i.item_id, {per_item} AS w FROM item_view i WHERE {group} IS NOT NULL) "
        f"GROUP BY g) WHERE {test})"
    )
    test_sql = f"coalesce({group} IN (SELECT g FROM {name}), false)"
    return test_sql, f"(SELECT a.label FROM {name} a WHERE a.g = {group})"


def _expr(
    state: _State,
    cond: Any,
    path: Path_,
    units: list[tuple[str, str]] | None,
    in_group: bool = False,
    certain: bool = False,
) -> str:
    """Boolean SQL for ``cond``; appends (test, label) evidence units when ``units`` is given.

    ``certain`` marks nodes that hold whenever the rule matches (the root and children of
    an `all` chain under it): their evidence label needs no second evaluation of the test.
    """
    if isinstance(cond, AllCondition | AnyCondition):
        key, children, joiner = (
            ("all", cond.all, " AND ")
            if isinstance(cond, AllCondition)
            else ("any", cond.any, " OR ")
        )
        sure = certain and isinstance(cond, AllCondition)
        parts = [
            _expr(state, c, (*path, key, n), units, in_group, sure) for n, c in enumerate(children)
        ]
        return "(" + joiner.join(parts) + ")"
    if isinstance(cond, NotCondition):
        sql = f"(NOT {_expr(state, cond.not_, (*path, 'not'), None, in_group)})"
        label_sql = state.bind(describe(cond)) if units is not None else ""
    elif isinstance(cond, AggregateCondition):
        if in_group:
            state.problems.append(
                state.loaded.problem(path, "an aggregate cannot be nested inside another aggregate")
            )
            return "false"
        sql, label_sql = _aggregate(state, cond, path)
    elif isinstance(cond, FieldCondition):
        sql = _field(state, cond, path)
        label_sql = state.bind(describe(cond)) if units is not None else ""
    else:
        sql = _detector(state, cond, in_group)
        label_sql = state.bind(describe(cond)) if units is not None else ""
    if units is not None:
        units.append(("true" if certain else sql, label_sql))
    return sql


def _evidence(state: _State, units: list[tuple[str, str]]) -> str:
    labels = ", ".join(
        label if test == "true" else f"CASE WHEN {test} THEN {label} END" for test, label in units
    )
    conditions = f"list_filter([{labels}], lambda x: x IS NOT NULL)"
    findings = "coalesce(e.findings, [])" if state.finding_filters else "[]"
    return f"to_json({{'conditions': {conditions}, 'findings': {findings}}})"


def _evidence_join(state: _State) -> str:
    """LEFT JOIN of the per-item findings a detector condition looked at (one hash join)."""
    if not state.finding_filters:
        return ""
    body = query("rules.sql", "evidence_findings").replace(
        "/*FILTER*/", " OR ".join(dict.fromkeys(state.finding_filters))
    )
    state.ctes.append(f"rule_evidence AS ({body})")
    return " LEFT JOIN rule_evidence e ON e.item_id = i.item_id"


def compile_rule(loaded: LoadedRule, extra_columns: set[str] | None = None) -> CompiledRule:
    """Compile one rule; ``extra_columns`` (names in the store's extra_columns) enables the
    check that every ``extra.<name>`` field exists. Raises :class:`RuleLoadError`."""
    state = _State(loaded, extra_columns)
    rule_id = state.bind(loaded.rule.id)
    units: list[tuple[str, str]] = []
    where = _expr(state, loaded.rule.match, ("match",), units, certain=True)
    if state.problems:
        raise RuleLoadError(state.problems)
    is_aggregate = bool(state.ctes)
    evidence, join = _evidence(state, units), _evidence_join(state)
    with_clause = f"WITH {', '.join(state.ctes)} " if state.ctes else ""
    sql = (
        f"INSERT INTO rule_hits {with_clause}"
        f"SELECT i.item_id, {rule_id}, {evidence} FROM item_view i{join} WHERE {where}"
    )
    skip = None
    if state.missing_required:
        skip = f"corpus has no source column {', '.join(sorted(state.missing_required))}"
    return CompiledRule(
        rule_id=loaded.rule.id,
        sql=sql,
        params=state.params,
        columns=state.columns,
        uses_findings=state.uses_findings,
        extra_names=state.extra_names,
        is_aggregate=is_aggregate,
        skip_reason=skip,
    )


def compile_rules(
    loaded_rules: list[LoadedRule], extra_columns: set[str] | None = None
) -> list[CompiledRule]:
    """Compile every rule, collecting all problems into one :class:`RuleLoadError`."""
    compiled, problems = [], []
    for loaded in loaded_rules:
        try:
            compiled.append(compile_rule(loaded, extra_columns))
        except RuleLoadError as exc:
            problems.extend(exc.problems)
    if problems:
        raise RuleLoadError(problems)
    return compiled


def source_projection(columns: set[str]) -> str:
    """``SELECT <columns> FROM item_view``: what the sandbox needs of the store.

    Column names come from the validated catalogue (columns.ITEM_VIEW_KINDS), not rule text.
    """
    names = ["item_id", *sorted(c for c in columns if c != "item_id")]
    unknown = [c for c in names if c not in ITEM_VIEW_KINDS]
    if unknown:
        raise ValueError(f"not item_view columns: {unknown}")
    return "SELECT " + ", ".join(f'"{c}"' for c in names) + " FROM item_view"
